"""`GET /work-queue` and `branchflow queue` against the running stack, over a demo district."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import member, registration

DISTRICT = "440403"
YEAR_END_FORMATION = frozenset({"members_need_party_organization", "party_organization_required",
                                "standalone_branch_required"})


def demo_district(stack: Stack) -> str:
    """A demo district loaded (once: loading it again changes nothing) and projected; a supervisor's token."""
    done = stack.cli("demo", "--size", "60", "--seed", "7")  # the demo of test_import_and_demo: loaded once
    assert done.returncode == 0, done.stdout + done.stderr
    supervisor = stack.token(Role.SUPERVISOR, DISTRICT)
    stack.projected(supervisor)
    return supervisor


def whole_queue(stack: Stack, token: str, **params: Any) -> list[dict[str, Any]]:
    with stack.client(token) as api:
        answer = api.get("/work-queue", params={"page_size": 500, **params})
        assert answer.status_code == 200, answer.text
        body = answer.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


def community_with_year_end_first(items: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A community whose queue opens with an overdue year-end formation deadline (the queue's order holds
    within every region, so the first item of a community is its first in the district's list)."""
    seen: set[str] = set()
    for item in items:
        if item["region_code"] in seen:
            continue
        seen.add(item["region_code"])
        if item["overdue"] and item["rule"] in YEAR_END_FORMATION and item["due_on"].endswith("-12-31"):
            return item["region_code"], item
    pytest.fail("no community of the demo opens its queue with an overdue year-end formation deadline")


@pytest.fixture(scope="module")
def supervisor(stack: Stack) -> str:
    return demo_district(stack)


def test_the_queue_answers_overdue_first_with_the_steps_that_discharge_each(stack: Stack, supervisor: str) -> None:
    items = whole_queue(stack, supervisor)
    assert len(items) > 20
    flags = [not i["overdue"] for i in items]
    assert flags == sorted(flags) and items[0]["overdue"]
    dated = [i["due_on"] for i in items if i["overdue"] and i["due_on"]]
    assert dated == sorted(dated)
    case_id = next(i["organization_id"] for i in items if i["rule"] in YEAR_END_FORMATION)
    with stack.client(supervisor) as api:
        case = api.get(f"/organizations/{case_id}").json()
    own = {(o["rule"], o["subject"], o["due_on"]) for o in case["obligations"]}
    listed = [i for i in items if i["organization_id"] == case_id]
    assert {(i["rule"], i["subject"], i["due_on"]) for i in listed} == own
    assert all(set(i["actions"]) <= set(case["next_actions"]) for i in listed)
    assert all(set(i) == {"organization_id", "name", "region_code", "rule", "subject", "subject_name", "detail",
                          "due_on", "overdue", "actions"} for i in items)


def test_filters_and_scope(stack: Stack, supervisor: str) -> None:
    items = whole_queue(stack, supervisor)
    street = items[0]["region_code"][:9]
    assert whole_queue(stack, supervisor, street=street) == [i for i in items if i["region_code"].startswith(street)]
    assert whole_queue(stack, supervisor, overdue="true") == [i for i in items if i["overdue"]]
    rule = "members_need_party_organization"
    assert whole_queue(stack, supervisor, rule=rule) == [i for i in items if i["rule"] == rule]
    organizer = stack.token(Role.ORGANIZER, street)
    assert whole_queue(stack, organizer) == [i for i in items if i["region_code"].startswith(street)]
    with stack.client(organizer) as api:
        other = "440403999"
        assert api.get("/work-queue", params={"street": other}).status_code == 403
        bad = api.get("/work-queue", params={"rule": "no_such_rule"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.rule"
        short = api.get("/work-queue", params={"street": DISTRICT})
        assert short.status_code == 422 and short.json()["errors"][0]["field"] == "query.street"
        assert api.get("/work-queue", params={"region": street, "street": "440403998"}).status_code == 422
        assert api.get("/work-queue", params={"colour": "red"}).status_code == 422


def test_branchflow_queue_prints_the_users_list(stack: Stack, supervisor: str) -> None:
    items = whole_queue(stack, supervisor)
    region, _ = community_with_year_end_first(items)
    name = f"queue-cli-{region}"
    stack.token(Role.ORGANIZER, region, name=name)
    done = stack.cli("queue", "--user", name)
    assert done.returncode == 0, done.stderr
    head, *lines = done.stdout.splitlines()
    mine = [i for i in items if i["region_code"].startswith(region)]
    overdue = sum(i["overdue"] for i in mine)
    assert head.startswith(f"{name} ({region}): overdue {overdue} ")
    assert [line.split("\t")[-1] for line in lines] == [i["organization_id"] for i in mine]
    first = lines[0].split("\t")
    assert first[0] == "overdue" and first[2] in YEAR_END_FORMATION and date.fromisoformat(first[1]) < date.today()
    assert stack.process("queue", "--user", "nobody-at-all").returncode == 1  # as a process exits


def test_one_transfer_away_shows_a_committees_user_its_own_cases_only(stack: Stack) -> None:
    street = "440404113"  # a street no other test of the shared stack registers in
    committee = f"ZH-TR-{uuid.uuid4().hex[:4]}"
    added = stack.cli("committee", "add", committee, "珠海市物流行业党委", "--kind", "industry", "--region", "4404")
    assert added.returncode == 0, added.stderr
    organizer = stack.token(Role.ORGANIZER, street)
    with stack.client(organizer) as api:
        ids = []
        for n, code in enumerate((committee, None)):
            answer = api.post("/organizations", json=registration(f"{street}00{n + 1}", responsible_committee=code))
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
            for name in ("甲", "乙", "丙"):
                step = api.post(f"/organizations/{ids[-1]}/actions",
                                json={**member(f"转接{name}{n}"), "relation_transferred": False})
                assert step.status_code == 200, step.text
    stack.projected(organizer)
    user = stack.cli("user", "add", f"物流党委{committee}", "--role", "supervisor", "--committee", committee)
    assert user.returncode == 0, user.stderr
    token = user.stdout.split("token: ")[1].strip()
    for who, expected in ((organizer, ids), (token, ids[:1])):
        with stack.client(who) as api:
            answer = api.get("/boards/one-transfer-away", params={"region": street})
            assert answer.status_code == 200, answer.text
            assert [i["organization_id"] for i in answer.json()["items"]] == expected
