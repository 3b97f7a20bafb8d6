"""A `command_id` is bound to the request it first came with (issue 14, api.md "Additions"): the same id with
another action, body or caller is refused (409 `command_id_reused`), never answered with another request's
result; ids are scoped to their case and caller, so another region's caller never gets another case's answer;
`already_registered` names the case only to callers in its scope; a closed case stays closed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowExecutionStatus

from branchflow.api.users import Role
from branchflow.workflows.config import connect
from branchflow.workflows.formation import workflow_id
from tests.api.conftest import Stack
from tests.api.test_case_path import registration
from tests.reliability.protocol import member_step

pytestmark = pytest.mark.slow
COUNTY, OTHER = "440513", "440514"  # 潮阳区, 潮南区: no other test of the stack uses them
REUSED = "command_id_reused"


def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def reused(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 409, answer.text
    body: dict[str, Any] = answer.json()
    assert body["rule"] == REUSED, body
    return body


def case_with_members(api: httpx.Client, region: str, members: int, name: str | None = None) -> dict[str, Any]:
    case = ok(api.post("/organizations", json=registration(region, **({"name": name} if name else {}))), 201)
    for n in range(members):
        case = ok(api.post(f"/organizations/{case['id']}/actions", json=member_step(f"成员{uuid.uuid4().hex[:4]}{n}")))
    return dict(case)


def workflow_status(stack: Stack, case_id: str) -> WorkflowExecutionStatus | None:
    async def status() -> WorkflowExecutionStatus | None:
        client = await connect(stack.temporal_address)
        return (await client.get_workflow_handle(workflow_id(uuid.UUID(case_id))).describe()).status

    return asyncio.run(status())


def test_a_joint_branch_command_id_of_another_county_never_answers_with_its_cases(stack: Stack) -> None:
    command_id = f"joint-{uuid.uuid4()}"
    answers = []
    for county in (COUNTY, OTHER):
        with stack.client(stack.token(Role.SUPERVISOR, county)) as sup:
            cases = [case_with_members(sup, f"{county}005001", 2) for _ in range(2)]
            answer = sup.post("/joint-branches", json={
                "name": f"联合党支部{county}", "organization_ids": [c["id"] for c in cases], "command_id": command_id})
            answers.append((cases, answer))
    (first_cases, first), (own_cases, second) = answers
    assert {c["id"] for c in ok(first)} == {c["id"] for c in first_cases}
    # The second county's supervisor gets its own joint branch (ids are scoped to their caller), and nothing
    # of the first county's cases: no id, no name.
    assert {c["id"] for c in ok(second)} == {c["id"] for c in own_cases}
    assert not [c for c in first_cases if c["id"] in second.text or c["name"] in second.text]


def test_the_same_joint_branch_command_id_with_another_body_is_refused(stack: Stack) -> None:
    with stack.client(stack.token(Role.SUPERVISOR, COUNTY)) as sup:
        cases = [case_with_members(sup, f"{COUNTY}006001", 2) for _ in range(4)]
        body = {"name": "联合党支部甲", "organization_ids": [c["id"] for c in cases[:2]],
                "command_id": str(uuid.uuid4())}
        formed = ok(sup.post("/joint-branches", json=body))
        assert ok(sup.post("/joint-branches", json=body)) == formed  # a retry: the same answer
        reused(sup.post("/joint-branches", json={**body, "organization_ids": [c["id"] for c in cases[2:]]}))
        for case in cases[2:]:  # not joined
            assert ok(sup.get(f"/organizations/{case['id']}"))["method"] is None


def test_a_registration_command_id_replayed_from_another_region_gets_no_case(stack: Stack) -> None:
    with stack.client(stack.token(Role.ORGANIZER, f"{COUNTY}001")) as victim, \
            stack.client(stack.token(Role.ORGANIZER, f"{OTHER}001")) as attacker:
        command_id = str(uuid.uuid4())
        mine = registration(f"{COUNTY}001001", command_id=command_id)
        case = ok(victim.post("/organizations", json=mine), 201)
        assert ok(victim.post("/organizations", json=mine), 201)["id"] == case["id"]  # the victim's retry
        replay = attacker.post("/organizations", json={
            **registration(f"{OTHER}001001"), "credit_code": mine["credit_code"], "command_id": command_id})
        assert replay.status_code == 409, replay.text
        assert case["id"] not in replay.text and case["name"] not in replay.text
        # With an id of its own the answer is already_registered, naming no case outside the caller's scope.
        other = ok(attacker.post("/organizations", json={
            **registration(f"{OTHER}001001"), "credit_code": mine["credit_code"]}), 409)
        assert other["rule"] == "already_registered" and other.get("organization_id") is None
        assert case["id"] not in str(other)
    with stack.client(stack.token(Role.SUPERVISOR, COUNTY)) as own:  # in scope: named, to be found
        again = ok(own.post("/organizations", json={**mine, "command_id": str(uuid.uuid4())}), 409)
        assert again["rule"] == "already_registered" and again["organization_id"] == case["id"]


@pytest.mark.parametrize("who", ["another_county", "the_same_organizer"])
def test_re_registering_a_closed_case_with_a_steps_command_id_starts_nothing(stack: Stack, who: str) -> None:
    with stack.client(stack.token(Role.ORGANIZER, f"{COUNTY}002")) as victim, \
            stack.client(stack.token(Role.ORGANIZER, f"{OTHER}002")) as attacker:
        mine = registration(f"{COUNTY}002001")
        case = ok(victim.post("/organizations", json=mine), 201)
        step_id = str(uuid.uuid4())
        ok(victim.post(f"/organizations/{case['id']}/actions", json={**member_step("张三"), "command_id": step_id}))
        ok(victim.post(f"/organizations/{case['id']}/actions", json={"action": "close_case"}))
        caller, region = (attacker, f"{OTHER}002001") if who == "another_county" else (victim, mine["region_code"])
        answer = caller.post("/organizations", json={
            **registration(region), "credit_code": mine["credit_code"], "command_id": step_id})
        assert answer.status_code == 409, answer.text
        assert "张三" not in answer.text
        assert workflow_status(stack, case["id"]) is not WorkflowExecutionStatus.RUNNING
        assert ok(victim.get(f"/organizations/{case['id']}"))["stage"] == "CLOSED"


def test_a_steps_command_id_is_bound_to_its_action_body_and_caller(stack: Stack) -> None:
    organizer, colleague = stack.token(Role.ORGANIZER, f"{COUNTY}003"), stack.token(Role.ORGANIZER, f"{COUNTY}003")
    with stack.client(organizer) as api, stack.client(colleague) as other:
        case = ok(api.post("/organizations", json=registration(f"{COUNTY}003001")), 201)
        path = f"/organizations/{case['id']}/actions"
        step = {**member_step("李四"), "command_id": str(uuid.uuid4())}
        first = ok(api.post(path, json=step))
        assert ok(api.post(path, json=step)) == first  # a retry: the same answer, applied once
        reused(api.post(path, json={**step, "name": "王五"}))  # another body
        reused(api.post(path, json={"action": "assign_instructor", "name": "指导员",
                                    "command_id": step["command_id"]}))  # another action
        reused(other.post(path, json=step))  # another caller
        assert [m["name"] for m in ok(api.get(f"/organizations/{case['id']}"))["members"]] == ["李四"]
        # A refused command's id is spent: it cannot be taken for another step afterwards.
        refused_id = str(uuid.uuid4())
        refusal = ok(api.post(path, json={"action": "transfer_in", "member_id": "P1", "command_id": refused_id}),
                     409)
        assert refusal["rule"] != REUSED
        reused(api.post(path, json={"action": "report_headcount", "employees": 9, "above_scale": False,
                                    "command_id": refused_id}))
        assert ok(api.get(f"/organizations/{case['id']}"))["employees"] == 120
