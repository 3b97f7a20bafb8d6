"""In the browser: an organizer signs in, lands on the work queue, sees an overdue year-end formation deadline
of a demo case first, clicks it, and the case page opens at the step that discharges it."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from branchflow.api.pages import labels
from branchflow.api.users import Role
from branchflow.domain.actions import ACTIONS
from branchflow.domain.work_queue import DISCHARGED_BY
from tests.api.test_case_path import member, registration
from tests.api.test_work_queue import community_with_year_end_first, demo_district, whole_queue
from tests.domain.every_event import VERBS
from tests.pages.conftest import Stack, signed_in


def test_an_organizer_lands_on_the_queue_and_opens_the_overdue_deadline_at_its_step(
    browser: Browser, stack: Stack,
) -> None:
    supervisor = demo_district(stack)
    region, first = community_with_year_end_first(whole_queue(stack, supervisor))
    organizer = stack.token(Role.ORGANIZER, region, name=f"待办组织员{region}")
    mine = whole_queue(stack, organizer)
    assert mine[0] == first

    with signed_in(browser, stack, organizer) as desk:
        page = desk.page
        expect(page).to_have_url(re.compile(r"/work-queue$"))
        expect(page.locator("h1")).to_contain_text("我的待办")
        expect(page.locator("h1")).not_to_contain_text(region)  # the community by its name (it showed the code)
        overdue = sum(i["overdue"] for i in mine)
        due_soon_text = page.locator("#queue-counts")
        expect(due_soon_text).to_contain_text(f"逾期 {overdue}")
        expect(page.locator("#overdue-notice")).to_have_text(str(overdue))
        row = page.locator("#queue tbody tr").first
        expect(row).to_contain_text(labels.OBLIGATIONS[first["rule"]])
        expect(row).to_contain_text(first["due_on"])
        expect(row).to_contain_text("逾期")
        expect(row).to_contain_text(first["name"])
        desk.shot("20-work-queue")

        step = first["actions"][0]
        row.locator("a.item").click()
        expect(page).to_have_url(re.compile(rf"/cases/{first['organization_id']}\?step={step}"))
        expect(page.locator("h1")).to_have_text(first["name"])
        form = page.locator(f"#step-{step}")
        expect(form).to_have_attribute("open", "")
        expect(form.locator("button[type=submit]")).to_be_visible()
        expect(page.locator("#obligations")).to_contain_text("已逾期")
        desk.shot("21-case-at-the-discharging-step")


def test_an_organizers_queue_offers_no_step_only_a_supervisor_may_take(browser: Browser, stack: Stack) -> None:
    # Found in review: a formal branch waiting for approval showed the organizer 批准/不批准 buttons that 403.
    street = "440403133"
    organizer = stack.token(Role.ORGANIZER, street, name="待办组织员审批")
    with stack.client(organizer) as api:
        case = api.post("/organizations", json=registration(f"{street}001")).json()["id"]
        for step in [member(f"党员{n}") for n in range(3)] + [
                {"action": "request_formal_branch", "name": "测试党支部", "party_org_type": "branch"}]:
            assert api.post(f"/organizations/{case}/actions", json=step).status_code == 200
    stack.projected(organizer)
    with signed_in(browser, stack, organizer) as desk:
        desk.open("/work-queue?rule=approve_formal_branch")
        row = desk.page.locator("#queue tbody tr").first
        expect(row).to_contain_text(labels.OBLIGATIONS["approve_formal_branch"])
        expect(row.locator("a.button")).to_have_count(0)
        expect(row.locator("a.item")).to_have_attribute("href", f"/cases/{case}")


def test_every_rule_of_the_queue_its_steps_and_their_records_have_their_chinese_words() -> None:
    """A rule that comes due (the union where configured, the Youth League, a development review) is shown in
    words on the queue and the case page, its steps as buttons and its events in the timeline."""
    assert set(DISCHARGED_BY) <= set(labels.OBLIGATIONS)
    assert set(ACTIONS) <= set(labels.ACTIONS)
    assert set(VERBS) <= set(labels.EVENTS)
    assert {"union_formed", "union_not_configured", "youth_league_formed"} <= set(labels.RULES)
