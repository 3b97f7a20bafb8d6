"""In the browser, as people use it: an organizer registers an organization and brings it to a formal branch
request, a supervisor finds it on the board and approves; the board's figures and the timeline follow."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from branchflow.api.users import Role
from branchflow.domain.values import make_credit_code
from tests.pages.conftest import Stack, Visitor, signed_in

DISTRICT = "440403"
STREET = "440403102"
ORGANIZATION = "斗门区页面测试电子有限公司"


def credit_code() -> str:
    body = uuid.uuid4().hex[:8].upper().translate(str.maketrans("IOZSV", "10257"))
    return make_credit_code("914404031" + body)


def register(visitor: Visitor, name: str, region_code: str, employees: int) -> None:
    page = visitor.page
    page.click("header nav >> text=登记组织")
    page.fill("#register-name", name)
    page.select_option("#register-kind", "economic")
    page.select_option("#register-subtype", "private")
    page.fill("#register-credit_code", credit_code())
    page.fill("#register-region_code", region_code)
    page.select_option("#register-industry", "C")
    page.fill("#register-employees", str(employees))
    page.check("#register-above_scale")
    page.fill("#register-founded_on", "2026-03-01")
    visitor.shot("03-register")
    page.click("#register-form button[type=submit]")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#case-stage")).to_have_text("无党员")


def take_step(visitor: Visitor, action: str, fields: dict[str, str | bool], reason: str = "") -> None:
    """Opens the step's form (one click), fills it, submits (the second click)."""
    page = visitor.page
    page.click(f"#step-{action} > summary")
    for name, value in fields.items():
        locator = page.locator(f"#{action}-{name}")
        if isinstance(value, bool):
            locator.set_checked(value)
        elif locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    if reason:
        page.fill(f"#{action}-reason", reason)
    page.click(f"#step-{action} button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("已完成")


def add_member(visitor: Visitor, name: str) -> None:
    take_step(visitor, "add_member", {"name": name, "gender": "female", "birth_date": "1985-04-12",
                                      "education": "bachelor", "status": "formal", "relation_transferred": True})


def test_an_organizer_and_a_supervisor_take_a_case_to_a_formal_branch(browser: Browser, stack: Stack) -> None:
    organizer = stack.token(Role.ORGANIZER, STREET, name="张组织员")
    supervisor = stack.token(Role.SUPERVISOR, DISTRICT, name="李部长")

    with signed_in(browser, stack, None) as anonymous:
        anonymous.open("/board")
        expect(anonymous.page).to_have_url(re.compile(r"/login\?next=/board"))
        expect(anonymous.page.locator("h1")).to_have_text("登录")
        anonymous.shot("01-login")

    with signed_in(browser, stack, organizer) as desk:
        register(desk, ORGANIZATION, f"{STREET}001", employees=120)
        case_url = desk.page.url
        take_step(desk, "assign_instructor", {"name": "赵指导"}, reason="百人以上企业，派驻指导员")
        for name in ("王芳", "李强", "陈静"):
            add_member(desk, name)
        expect(desk.page.locator("#case-stage")).to_have_text("发展党员")
        expect(desk.page.locator("#members tbody tr")).to_have_count(3)
        # Only supervisors approve: the step is not offered to an organizer.
        expect(desk.page.locator("#step-approve_formal_branch")).to_have_count(0)
        take_step(desk, "request_formal_branch", {"name": "页面测试电子有限公司党支部"},
                  reason="三名正式党员，关系已转入")
        expect(desk.page.locator("dd.warn")).to_have_text("页面测试电子有限公司党支部")
        expect(desk.page.locator("#history li").first).to_contain_text("申请成立正式党组织")
        desk.shot("04-case-requested")

    stack.projected(supervisor)
    with signed_in(browser, stack, supervisor) as office:
        page = office.page
        expect(page.locator("#fig-total")).to_have_text("1")
        expect(page.locator("#fig-formed")).to_have_text("0")
        office.shot("02-board-district")
        # Three clicks: the board, the question, the list with who handles each.
        page.click(".quick >> text=大于100人未覆盖")
        row = page.locator("#case-table tbody tr", has_text=ORGANIZATION)
        expect(row).to_contain_text("赵指导")
        office.shot("05-cases-over-100-not-covered")
        # Drill-down from the district to the street.
        office.open(f"/board?region={DISTRICT}")
        page.click(f"table.data >> text={STREET}")
        expect(page.locator("h1")).to_contain_text(STREET)
        office.open(case_url.removeprefix(stack.base_url))
        take_step(office, "approve_formal_branch", {}, reason="条件成熟，同意成立")
        expect(page.locator("#case-stage")).to_have_text("正式党组织")
        expect(page.locator("#case-method")).to_have_text("单独组建")
        latest = page.locator("#history li").first
        expect(latest).to_contain_text("批准成立正式党组织")
        expect(latest).to_contain_text("李部长")
        expect(latest).to_contain_text("条件成熟，同意成立")
        expect(page.locator("#history li")).to_have_count(7)
        office.shot("06-case-formal-branch")

        stack.projected(supervisor)
        office.open(f"/board?region={DISTRICT}")
        expect(page.locator("#fig-formed")).to_have_text("1")
        expect(page.locator("#fig-formation-rate")).to_have_text("100.0%")
        expect(page.locator("#fig-blank")).to_have_text("0")
        office.shot("07-board-after-approval")

        page.click("header nav >> text=工作台帐")
        expect(page.locator("#case-table")).to_contain_text(ORGANIZATION)
        csv_link = re.compile(r"/ledger\?region=440403&format=csv")
        expect(page.locator("#download-csv")).to_have_attribute("href", csv_link)
        with page.expect_download() as download:
            page.click("#download-xlsx")
        assert download.value.suggested_filename == f"ledger-{DISTRICT}.xlsx"
        office.shot("08-cases")

        page.click("header nav >> text=审计")
        page.fill("#audit-filters input[name=actor]", "李部长")
        page.click("#audit-filters button[type=submit]")
        expect(page.locator("#audit-total")).to_have_text("1")
        expect(page.locator("#audit-table")).to_contain_text("批准成立正式党组织")
        office.open("/audit")
        office.shot("09-audit")

        page.click("header nav >> text=统计")
        expect(page.locator("svg.chart")).to_have_count(5)  # organizations, ages, education, gender; development
        expect(page.locator("main")).to_contain_text("党支部")
        office.shot("10-statistics")
