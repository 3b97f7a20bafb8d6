"""In the browser (issue 18): an organizer walks a person from the application to formal member through the
case page, recording the past with each step's date; the page shows the stage, contacts, next review,
review and training and the next date allowed, offers only the steps allowed, and 统计 draws the funnel."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Browser, expect

from branchflow.api.users import Role
from branchflow.domain.calendar import add_months
from tests.api.test_case_path import member, registration
from tests.pages.conftest import Stack, Visitor, signed_in

STREET = "440402109"  # outside Doumen, whose district board other page tests count


def step(visitor: Visitor, action: str, on: date, fields: dict[str, str] | None = None,
         checks: tuple[str, ...] = (), reason: str = "") -> None:
    """Opens the step's form, fills it (`checks`: people to tick in its list of members), dates it, submits."""
    page = visitor.page
    page.click(f"#step-{action} > summary")
    for name, value in (fields or {}).items():
        locator = page.locator(f"#{action}-{name}")
        if locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    for person in checks:
        page.check(f"#step-{action} input[type=checkbox][value='{person}']")
    if reason:
        page.fill(f"#{action}-reason", reason)
    page.fill(f"#{action}-occurred_on", on.isoformat())
    page.click(f"#step-{action} button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("已完成")


def test_a_person_goes_from_application_to_formal_member_through_the_pages(browser: Browser, stack: Stack) -> None:
    organizer = stack.token(Role.ORGANIZER, STREET, name="孙组织员")
    supervisor = stack.token(Role.SUPERVISOR, STREET, name="钱部长")
    today = date.today()
    start = add_months(today, -48)
    with stack.client(organizer) as api, stack.client(supervisor) as sup:  # a formal branch of three, years ago
        created = api.post("/organizations", json=registration(
            f"{STREET}001", founded_on=start.isoformat(), occurred_on=start.isoformat()))
        assert created.status_code == 201, created.text
        case = created.json()["id"]
        for n, name in enumerate(("郑一", "郑二", "郑三")):
            done = api.post(f"/organizations/{case}/actions", json={
                **member(name), "occurred_on": (start + timedelta(days=n + 1)).isoformat()})
            assert done.status_code == 200, done.text
        done = api.post(f"/organizations/{case}/actions", json={
            "action": "request_formal_branch", "name": "郑氏党支部",
            "occurred_on": (start + timedelta(10)).isoformat()})
        assert done.status_code == 200, done.text
        done = sup.post(f"/organizations/{case}/actions", json={
            "action": "approve_formal_branch", "occurred_on": (start + timedelta(20)).isoformat()})
        assert done.status_code == 200, done.text

    applied = add_months(today, -36)
    activist_on = applied + timedelta(days=20)
    target_on = add_months(activist_on, 12)
    voted_on = target_on + timedelta(days=30)
    with signed_in(browser, stack, organizer) as desk:
        page = desk.page
        desk.open(f"/cases/{case}")
        row = page.locator("#candidates tbody tr").first
        step(desk, "record_applicant", applied, {"name": "冯晓", "gender": "female", "birth_date": "1996-05-04",
                                                 "education": "bachelor", "focus_group": "technical_backbone"})
        expect(row.locator(".stage")).to_have_text("入党申请人")
        expect(row).to_contain_text("技术骨干")
        step(desk, "designate_activist", activist_on, {"person_id": "P4"})
        expect(row.locator(".contacts")).to_have_text("未指定")
        expect(page.locator("#obligations")).to_contain_text("为入党积极分子指定培养联系人")
        expect(page.locator("#step-change_cultivation_contacts")).to_have_count(0)
        step(desk, "assign_cultivation_contacts", activist_on + timedelta(days=5), {"person_id": "P4"},
             checks=("P1", "P2"))
        expect(row.locator(".contacts")).to_have_text("郑一、郑二")
        expect(page.locator("#step-assign_cultivation_contacts")).to_have_count(0)  # offered only when allowed
        expect(page.locator("#step-change_cultivation_contacts")).to_have_count(1)
        step(desk, "review_activist", add_months(activist_on, 6), {"person_id": "P4"})
        step(desk, "confirm_development_target", target_on, {"person_id": "P4"})
        expect(row.locator(".stage")).to_have_text("发展对象")
        expect(row.locator(".checks")).to_contain_text("未审查")
        expect(row.locator(".next-step")).to_have_text("—")  # nothing is allowed before review and training
        expect(page.locator("#step-admit_probationary")).to_have_count(0)
        step(desk, "record_political_review", target_on + timedelta(days=5), {"person_id": "P4", "result": "passed"})
        step(desk, "record_training", target_on + timedelta(days=8), {
            "person_id": "P4", "started_on": (target_on + timedelta(days=6)).isoformat(),
            "ended_on": (target_on + timedelta(days=8)).isoformat(), "class_hours": "24"})
        expect(row.locator(".checks")).to_contain_text("合格")
        expect(row.locator(".checks")).to_contain_text("24学时")
        expect(row.locator(".next-step")).to_have_text((target_on + timedelta(days=8)).isoformat())
        desk.shot("20-case-development-target-ready")
        step(desk, "admit_probationary", voted_on, {"person_id": "P4"}, checks=("P1", "P2"))
        expect(row.locator(".stage")).to_have_text("待上级审批")

    with signed_in(browser, stack, supervisor) as office:
        office.open(f"/cases/{case}")
        step(office, "approve_probationary", voted_on + timedelta(days=30), {"person_id": "P4"})

    with signed_in(browser, stack, organizer) as desk:
        page = desk.page
        desk.open(f"/cases/{case}")
        expect(page.locator("#members")).to_contain_text("冯晓")
        step(desk, "convert_to_formal", add_months(voted_on, 12) + timedelta(days=1), {"person_id": "P4"})
        expect(page.locator("#members tbody tr", has_text="冯晓")).to_contain_text("正式党员")
        expect(page.locator("#candidates")).to_contain_text("没有正在发展的人员")

        stack.projected(organizer)
        desk.open(f"/statistics?region={STREET}")
        funnel = page.locator("#development-funnel")
        expect(funnel.locator("svg.chart")).to_have_count(1)
        formal_row = funnel.locator("#development-table tbody tr", has_text="技术骨干")
        expect(formal_row.locator("td").nth(5)).to_have_text("1")  # 已转为正式党员
        expect(funnel).to_contain_text("新发展党员（本单位发展、已接收且仍在本单位）1 人")
        desk.shot("21-statistics-development-funnel")
