"""A case from registration to formal branch through HTTP alone, with board and history following each step."""

from __future__ import annotations

import uuid
from contextlib import closing
from typing import Any

from branchflow.api.users import Role
from branchflow.domain.values import make_credit_code
from tests.api.conftest import Stack
from tests.reliability.protocol import csrf_token, signed_in

STREET = "440403101"


def registration(region_code: str = f"{STREET}001", **overrides: Any) -> dict[str, Any]:
    body = {
        "name": f"斗门区测试电子有限公司{uuid.uuid4().hex[:6]}", "kind": "economic", "subtype": "private",
        "registered": True,
        "credit_code": make_credit_code("914404031" + uuid.uuid4().hex[:8].upper().replace("I", "1")
                                        .replace("O", "0").replace("Z", "2").replace("S", "5").replace("V", "7")),
        "region_code": region_code, "industry": "C", "employees": 120, "above_scale": True,
        "founded_on": "2026-03-01",
    }
    return {**body, **overrides}


def member(name: str) -> dict[str, Any]:
    return {"action": "add_member", "name": name, "gender": "female", "birth_date": "1980-02-03",
            "education": "bachelor", "status": "formal", "relation_transferred": True}


def test_a_case_goes_from_registration_to_formal_branch_by_api_calls_alone(stack: Stack) -> None:
    organizer = stack.token(Role.ORGANIZER, STREET)
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    region = f"{STREET}002"
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        created = api.post("/organizations", json=registration(region))
        assert created.status_code == 201, created.text
        case = created.json()
        assert case["stage"] == "NO_MEMBERS" and case["version"] == 1
        path = f"/organizations/{case['id']}"

        stack.projected(organizer)
        board = api.get("/boards/status", params={"region": region}).json()
        assert (board["total"], board["by_stage"]["NO_MEMBERS"], board["blank_spots"]) == (1, 1, 1)

        for name in ("王芳", "李强", "张伟"):
            answer = api.post(f"{path}/actions", json=member(name))
            assert answer.status_code == 200, answer.text
        assert answer.json()["stage"] == "DEVELOPING_MEMBERS"
        assert "request_formal_branch" in answer.json()["next_actions"]

        requested = api.post(f"{path}/actions", json={"action": "request_formal_branch", "name": "测试支部"})
        assert requested.status_code == 200, requested.text
        refused = api.post(f"{path}/actions", json={"action": "approve_formal_branch"})
        assert refused.status_code == 403

        approved = sup.post(f"{path}/actions", json={"action": "approve_formal_branch", "reason": "条件成熟"})
        assert approved.status_code == 200, approved.text
        final = approved.json()
        assert (final["stage"], final["method"], final["party_org_type"], final["formed"]) == (
            "FORMAL_BRANCH", "standalone", "branch", True)

        stack.projected(organizer)
        board = api.get("/boards/status", params={"region": region}).json()
        assert board["by_stage"]["FORMAL_BRANCH"] == 1 and board["formation_rate"] == 1.0
        assert board["blank_spots"] == 0

        history = api.get(f"{path}/history").json()
        assert [h["type"] for h in history] == [
            "Registered", "MemberAdded", "MemberAdded", "MemberAdded", "FormalBranchRequested",
            "FormalBranchApproved"]
        assert history[-1]["actor"] != history[0]["actor"] and history[-1]["reason"] == "条件成熟"


def test_a_wrongly_closed_case_is_reopened_by_a_supervisor_over_http_and_its_page_offers_it(stack: Stack) -> None:
    """Issue 13 finding 10 over HTTP: the closed case's workflow has ended, and the reopening starts its case
    again; the organizer is refused (403) and not offered it; the same command id answers the same, once."""
    organizer = stack.token(Role.ORGANIZER, STREET)
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        created = api.post("/organizations", json=registration(f"{STREET}004"))
        assert created.status_code == 201, created.text
        path = f"/organizations/{created.json()['id']}"
        assert api.post(f"{path}/actions", json=member("王芳")).status_code == 200
        closed = api.post(f"{path}/actions", json={"action": "close_case", "reason": "以为已注销"})
        assert closed.status_code == 200 and closed.json()["next_actions"] == ["reopen_case"], closed.text

        reopen = {"action": "reopen_case", "reason": "企业仍在经营，关闭有误", "command_id": str(uuid.uuid4())}
        assert api.post(f"{path}/actions", json=reopen).status_code == 403
        with closing(signed_in(stack.base_url, organizer)) as browser:
            assert 'value="reopen_case"' not in browser.get(f"/cases/{created.json()['id']}").text
        with closing(signed_in(stack.base_url, supervisor)) as browser:
            page = browser.get(f"/cases/{created.json()['id']}")
            assert page.status_code == 200 and 'value="reopen_case"' in page.text and "重新开启案件" in page.text

        unexplained = sup.post(f"{path}/actions", json={"action": "reopen_case"})
        assert unexplained.status_code == 409 and unexplained.json()["rule"] == "reopening_needs_reason"
        reopened = sup.post(f"{path}/actions", json=reopen)
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["stage"] == "DEVELOPING_MEMBERS" and "close_case" in reopened.json()["next_actions"]
        again = sup.post(f"{path}/actions", json=reopen)
        assert again.status_code == 200 and again.json() == reopened.json()
        assert api.post(f"{path}/actions", json=member("李强")).status_code == 200  # the case goes on
        types = [e["type"] for e in api.get(f"{path}/history").json()]
        assert types == ["Registered", "MemberAdded", "CaseClosed", "CaseReopened", "MemberAdded"]


def test_a_candidates_details_are_corrected_over_http_and_by_the_page_form(stack: Stack) -> None:
    """correct_candidate, like correct_member: only the person's own record, the age at application re-checked."""
    organizer = stack.token(Role.ORGANIZER, STREET)
    with stack.client(organizer) as api:
        created = api.post("/organizations", json=registration(f"{STREET}005"))
        assert created.status_code == 201, created.text
        org = created.json()["id"]
        applied = api.post(f"/organizations/{org}/actions", json={
            "action": "record_applicant", "name": "孙七", "gender": "male", "birth_date": "1995-04-05",
            "education": "bachelor"})
        assert applied.status_code == 200 and "correct_candidate" in applied.json()["next_actions"], applied.text
        too_young = api.post(f"/organizations/{org}/actions", json={
            "action": "correct_candidate", "person_id": "P1", "corrects": 2, "changes": {"birth_date": "2015-01-01"}})
        assert too_young.status_code == 409 and too_young.json()["rule"] == "applicant_under_18", too_young.text
        not_its_record = api.post(f"/organizations/{org}/actions", json={
            "action": "correct_candidate", "person_id": "P1", "corrects": 1, "changes": {"name": "孙琦"}})
        assert not_its_record.status_code == 409 and not_its_record.json()["rule"] == "not_a_fact_event"
    with closing(signed_in(stack.base_url, organizer)) as browser:
        page = browser.get(f"/cases/{org}")
        assert 'value="correct_candidate"' in page.text
        answer = browser.post(f"/cases/{org}/actions", data={
            "csrf": csrf_token(page), "action": "correct_candidate", "person_id": "P1", "corrects": "2",
            "changes.key": "name", "changes.value": "孙琦"})
        assert answer.status_code == 303, answer.text[-500:]
    with stack.client(organizer) as api:
        assert [c["name"] for c in api.get(f"/organizations/{org}").json()["candidates"]] == ["孙琦"]
        assert api.get(f"/organizations/{org}/history").json()[-1]["type"] == "CandidateCorrected"
