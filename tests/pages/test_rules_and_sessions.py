"""What the pages refuse, and how they say it: another street's cases, a step the server refuses, forms without
the session's CSRF token; and what the session cookie lets JavaScript see."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, expect

from branchflow.api.users import Role
from tests.pages.conftest import SCREENSHOTS, Stack, signed_in
from tests.pages.test_formation_path import register

HOME_STREET = "440403103"
OTHER_STREET = "440403104"


def test_an_organizer_does_not_see_another_streets_cases(browser: Browser, stack: Stack) -> None:
    home = stack.token(Role.ORGANIZER, HOME_STREET, name="周组织员")
    other = stack.token(Role.ORGANIZER, OTHER_STREET, name="吴组织员")
    with signed_in(browser, stack, home) as desk:
        register(desk, "井岸镇某五金制品有限公司", f"{HOME_STREET}001", employees=30)
        case_path = desk.page.url.removeprefix(stack.base_url).split("?")[0]
    stack.projected(home)
    with signed_in(browser, stack, other) as neighbour:
        page = neighbour.page
        neighbour.open(case_path)
        expect(page.locator("h1")).to_contain_text("无权访问（403）")
        expect(page.locator("main")).not_to_contain_text("井岸镇某五金制品有限公司")
        neighbour.shot("11-other-street-403")
        neighbour.open(f"/board?region={HOME_STREET}")
        expect(page.locator("h1")).to_contain_text("无权访问")
        neighbour.open("/cases")
        expect(page.locator("#case-total")).to_have_text("0")
        expect(page.locator("#case-table")).not_to_contain_text("井岸镇某五金制品有限公司")
        # Organizers do not read the audit trail.
        neighbour.open("/audit")
        expect(page.locator("h1")).to_contain_text("无权访问")


def test_refused_steps_say_why_beside_the_field_or_at_the_top(browser: Browser, stack: Stack) -> None:
    organizer = stack.token(Role.ORGANIZER, HOME_STREET, name="郑组织员")
    with signed_in(browser, stack, organizer) as desk:
        page = desk.page
        register(desk, "井岸镇某塑胶制品有限公司", f"{HOME_STREET}002", employees=60)
        case_path = page.url.removeprefix(stack.base_url).split("?")[0]
        # A malformed field (422): the server's word stands next to the field, what was typed is kept.
        page.click("#step-add_member > summary")
        page.fill("#add_member-name", "孙丽")
        page.fill("#add_member-birth_date", "2099-01-01")
        page.click("#step-add_member button[type=submit]")
        expect(page.locator("#add_member-birth_date-error")).to_have_text("日期不能晚于今天")
        expect(page.locator("#add_member-name")).to_have_value("孙丽")
        desk.shot("12-case-field-error")
        # A rule (409): a second tab still shows a step that the first has just taken.
        stale = page.context.new_page()
        stale.goto(stack.base_url + case_path)
        desk.open(case_path)
        page.click("#step-assign_instructor > summary")
        page.fill("#assign_instructor-name", "钱指导")
        page.click("#step-assign_instructor button[type=submit]")
        expect(page.locator("#case-instructor")).to_have_text("钱指导")
        stale.click("#step-assign_instructor > summary")
        stale.fill("#assign_instructor-name", "孙指导")
        stale.click("#step-assign_instructor button[type=submit]")
        expect(stale.locator("#top-error")).to_contain_text("已有指导员")  # the step's own rule, not "unavailable"
        expect(stale.locator("#case-instructor")).to_have_text("钱指导")
        # Once taken, the step is no longer offered.
        expect(stale.locator("#step-assign_instructor")).to_have_count(0)
        stale.screenshot(path=str(SCREENSHOTS / "13-case-rule-refused.png"), full_page=True)


def test_the_session_cookie_is_hidden_from_scripts_and_forms_need_its_csrf_token(
        browser: Browser, stack: Stack) -> None:
    organizer = stack.token(Role.ORGANIZER, HOME_STREET, name="冯组织员")
    with signed_in(browser, stack, organizer) as desk:
        page = desk.page
        cookies = {c["name"]: c for c in page.context.cookies()}
        session = cookies["branchflow_session"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert organizer not in session["value"]
        assert page.evaluate("document.cookie") == ""
        # The same session, without the form's CSRF token: refused, nothing registered.
        answer = page.request.post(f"{stack.base_url}/cases/new", form={"name": "无令牌公司"})
        assert answer.status == 403 and "安全令牌" in answer.text()
        answer = page.request.post(f"{stack.base_url}/logout", form={"csrf": "wrong"})
        assert answer.status == 403
        page.click("button:has-text('退出')")
        expect(page).to_have_url(re.compile(r"/login$"))
        desk.open("/board")
        expect(page).to_have_url(re.compile(r"/login\?next=/board"))
    # Signing in needs the sign-in page's own CSRF value, and a valid token.
    with httpx.Client(base_url=stack.base_url) as client:
        assert client.post("/login", data={"token": organizer, "csrf": "x"}).status_code == 403
        form = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        assert client.post("/login", data={"token": "not-a-token", "csrf": csrf[1]}).status_code == 401
    with signed_in(browser, stack, None) as anonymous:
        anonymous.open("/login")
        anonymous.page.fill("#token", "not-a-token")
        anonymous.page.click("button:has-text('登录')")
        expect(anonymous.page.locator(".top-error")).to_have_text("令牌无效，请核对后重试。")
