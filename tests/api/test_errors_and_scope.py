"""Every error answer of api.md, the region scope of each role, and idempotent retries."""

from __future__ import annotations

import uuid

import httpx

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import STREET, member, registration


def register(api: httpx.Client, region: str = f"{STREET}003") -> str:
    answer = api.post("/organizations", json=registration(region))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_without_a_valid_token_every_call_is_401(stack: Stack) -> None:
    for token in (None, "not-a-token"):
        with stack.client(token) as api:
            assert api.get("/boards/status").status_code == 401
            assert api.post("/organizations", json=registration()).status_code == 401


def test_an_unknown_case_is_404(stack: Stack) -> None:
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        missing = api.get(f"/organizations/{uuid.uuid4()}")
        assert missing.status_code == 404
        assert api.post(f"/organizations/{uuid.uuid4()}/actions", json=member("王")).status_code == 404


def test_a_step_a_rule_forbids_is_409_with_the_rule_and_changes_nothing(stack: Stack) -> None:
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        org = register(api)
        answer = api.post(f"/organizations/{org}/actions", json={"action": "request_formal_branch", "name": "支部"})
        assert answer.status_code == 409
        assert answer.json()["rule"] == "standalone_needs_members" and "3 or more" in answer.json()["detail"]
        assert len(api.get(f"/organizations/{org}/history").json()) == 1


def test_malformed_input_is_422_naming_the_field(stack: Stack) -> None:
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        bad = api.post("/organizations", json=registration(credit_code="91440403MA4W12345T"))
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "credit_code"
        bad = api.post("/organizations", json=registration(employees=-5))
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "employees"
        bad = api.post("/organizations", json=registration(founded_on="2999-01-01"))
        assert bad.status_code == 422 and "founded_on" in bad.json()["detail"]
        org = register(api)
        bad = api.post(f"/organizations/{org}/actions", json={"action": "fly"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "action"
        bad = api.post(f"/organizations/{org}/actions", json={**member("王"), "birth_date": "yesterday"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "birth_date"
        assert api.post(f"/organizations/{org}/actions", content=b"{", headers={
            "content-type": "application/json"}).status_code == 422


def test_an_organizer_of_one_street_gets_403_on_another_streets_case_list_and_board(stack: Stack) -> None:
    other_street = "440403102"
    with stack.client(stack.token(Role.ORGANIZER, other_street)) as other:
        foreign = register(other, f"{other_street}001")
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        assert api.get(f"/organizations/{foreign}").status_code == 403
        assert api.get(f"/organizations/{foreign}/history").status_code == 403
        assert api.post(f"/organizations/{foreign}/actions", json=member("王")).status_code == 403
        assert api.get("/organizations", params={"region": other_street}).status_code == 403
        assert api.get("/boards/status", params={"region": "440403"}).status_code == 403
        assert api.post("/organizations", json=registration(f"{other_street}001")).status_code == 403
        assert api.get("/audit").status_code == 403


def test_a_supervisor_sees_the_district_and_an_admin_takes_no_steps(stack: Stack) -> None:
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        org = register(api)
    with stack.client(stack.token(Role.SUPERVISOR, "440403")) as sup:
        assert sup.get(f"/organizations/{org}").status_code == 200
        assert sup.get("/audit", params={"region": "440403"}).status_code == 200
        assert sup.get("/boards/status", params={"region": "4404"}).status_code == 403
    with stack.client(stack.token(Role.ADMIN, "44")) as admin:
        assert admin.get(f"/organizations/{org}").status_code == 200
        assert admin.post(f"/organizations/{org}/actions", json=member("王")).status_code == 403


def test_a_retried_step_with_the_same_command_id_applies_once(stack: Stack) -> None:
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        org = register(api)
        step = {**member("王芳"), "command_id": "retry-1"}
        first = api.post(f"/organizations/{org}/actions", json=step)
        again = api.post(f"/organizations/{org}/actions", json=step)
        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()
        assert [h["type"] for h in api.get(f"/organizations/{org}/history").json()] == ["Registered", "MemberAdded"]


def test_a_case_whose_region_is_corrected_moves_to_the_new_streets_scope(stack: Stack) -> None:
    other_street = "440403103"
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api, \
            stack.client(stack.token(Role.ORGANIZER, "440403")) as county:
        org = register(api)
        correction = {"action": "correct_facts", "corrects": 1, "changes": {"region_code": f"{other_street}001"},
                      "reason": "entered in the wrong street"}
        # The street's organizer cannot move it out of its own scope (issue 14); the county's can.
        assert api.post(f"/organizations/{org}/actions", json=correction).status_code == 403
        moved = county.post(f"/organizations/{org}/actions", json=correction)
        assert moved.status_code == 200, moved.text
        assert api.post(f"/organizations/{org}/actions", json=member("王")).status_code == 403
    with stack.client(stack.token(Role.ORGANIZER, other_street)) as api:
        assert api.post(f"/organizations/{org}/actions", json=member("王")).status_code == 200


def test_a_step_refused_for_its_date_is_409_naming_the_earlier_step_and_its_date(stack: Stack) -> None:
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        org = register(api)  # founded 2026-03-01
        answer = api.post(f"/organizations/{org}/actions", json={**member("王"), "occurred_on": "2026-02-01"})
        assert answer.status_code == 409, answer.text
        assert answer.json()["rule"] == "date_out_of_order"
        assert answer.json()["conflicts_with"] == {"step": "founded", "occurred_on": "2026-03-01"}
        answer = api.post(f"/organizations/{org}/actions", json={"action": "close_case", "occurred_on": 0})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "occurred_on"
        assert len(api.get(f"/organizations/{org}/history").json()) == 1
        # A registration dated before its own founding: the same rule and answer, and no case (issue 13, 9).
        body = registration(founded_on="2026-03-01", occurred_on="2026-02-28")
        early = api.post("/organizations", json=body)
        assert early.status_code == 409, early.text
        assert early.json()["rule"] == "date_out_of_order"
        assert early.json()["conflicts_with"] == {"step": "founded", "occurred_on": "2026-03-01"}
        on_the_day = api.post("/organizations", json={**body, "occurred_on": "2026-03-01"})
        assert on_the_day.status_code == 201, on_the_day.text  # nothing was stored by the refusal


def test_a_credit_code_corrected_away_registers_its_owner_as_a_case_of_its_own(stack: Stack) -> None:
    """issue 13 finding 9 (reviewer): the old code answered already_registered naming the corrected case."""
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        wrong = register(api)
        code = api.get(f"/organizations/{wrong}").json()["credit_code"]
        corrected = api.post(f"/organizations/{wrong}/actions", json={
            "action": "correct_facts", "corrects": 1, "changes": {"credit_code": registration()["credit_code"]}})
        assert corrected.status_code == 200, corrected.text
        owner = {**registration(f"{STREET}003", credit_code=code), "command_id": str(uuid.uuid4())}
        created = api.post("/organizations", json=owner)
        assert created.status_code == 201, created.text
        case = created.json()
        assert case["id"] != wrong and case["credit_code"] == code
        assert api.post("/organizations", json=owner).json() == case  # a retry: the same case, once
        again = api.post("/organizations", json=registration(f"{STREET}003", credit_code=code))
        assert again.status_code == 409 and again.json()["organization_id"] == case["id"], again.text
        # Each case has its own workflow: a step on either is its own.
        for org in (wrong, case["id"]):
            stepped = api.post(f"/organizations/{org}/actions", json=member("王"))
            assert stepped.status_code == 200 and stepped.json()["id"] == org, stepped.text
