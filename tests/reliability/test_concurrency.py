"""Fifty clients at once, on one case and on many (threads with their own HTTP client, on loopback, a bounded
number of requests each): no lost update, no duplicate event, versions strictly increasing, and every answer
consistent with the final state."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import registration
from tests.reliability.protocol import Command, history, member_step, members_added, send

pytestmark = pytest.mark.slow
CLIENTS = 50
T = TypeVar("T")


def at_once(work: Callable[[int], T], clients: int = CLIENTS) -> list[T]:
    """`work(i)` for every client, all released together by a barrier."""
    barrier = threading.Barrier(clients)

    def run(index: int) -> T:
        barrier.wait(30)
        return work(index)

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(run, range(clients)))


def answered_consistently(commands: list[Command], entries: list[dict[str, Any]]) -> None:
    """Each answer is the case as its own version left it: exactly the members added up to that version."""
    for command in commands:
        case = command.final.body
        added = [e["data"]["name"] for e in entries if e["type"] == "MemberAdded" and e["sequence"] <= case["version"]]
        assert sorted(m["name"] for m in case["members"]) == sorted(added), command.command_id
        assert case["formal_members"] == len(added)


def test_fifty_clients_stepping_one_case_at_once_lose_nothing_and_duplicate_nothing(stack: Stack) -> None:
    street = "440403121"
    token = stack.token(Role.ORGANIZER, street)
    with stack.client(token) as api:
        case = send(api, Command("/organizations", registration(f"{street}001"))).final.body["id"]
    path = f"/organizations/{case}/actions"

    def client(index: int) -> list[Command]:
        with stack.client(token) as api:  # two steps each, one after the other
            return [send(api, Command(path, member_step(f"并发{index}-{n}"))) for n in range(2)]

    per_client = at_once(client)
    commands = [c for sent in per_client for c in sent]
    for command in commands:
        assert command.applied and not command.unexpected(), command.answers
    with stack.client(token) as api:
        entries = history(api, case)
        final = api.get(f"/organizations/{case}").json()
    names = [f"并发{i}-{n}" for i in range(CLIENTS) for n in range(2)]
    assert sorted(members_added(entries)) == sorted(names)  # none lost, none twice
    assert [e["sequence"] for e in entries] == list(range(1, len(names) + 2))
    versions = [c.final.body["version"] for c in commands]
    assert sorted(versions) == list(range(2, len(names) + 2))  # every step its own version
    for sent in per_client:
        assert sent[0].final.body["version"] < sent[1].final.body["version"]
    answered_consistently(commands, entries)
    assert final["version"] == max(versions) and final["formal_members"] == len(names)


def test_fifty_clients_each_on_a_case_of_their_own_end_with_boards_equal_to_a_recount(stack: Stack) -> None:
    street = "440403122"
    token = stack.token(Role.ORGANIZER, street)

    def client(index: int) -> tuple[str, list[Command]]:
        with stack.client(token) as api:
            registered = send(api, Command("/organizations", registration(f"{street}{index % 3 + 1:03d}")))
            assert registered.final.status == 201 and not registered.unexpected(), registered.answers
            case = registered.final.body["id"]
            steps = [send(api, Command(f"/organizations/{case}/actions", member_step(f"多案{index}-{n}")))
                     for n in range(3)]
            api.get("/boards/status", params={"region": street})  # reading while others write
            return case, steps

    results = at_once(client)
    with stack.client(stack.token(Role.SUPERVISOR, street)) as api:
        for index, (case, steps) in enumerate(results):
            assert all(s.applied and not s.unexpected() for s in steps), [s.answers for s in steps]
            entries = history(api, case)
            assert members_added(entries) == [f"多案{index}-{n}" for n in range(3)]
            assert [s.final.body["version"] for s in steps] == [2, 3, 4]
            answered_consistently(steps, entries)
        stack.projected(stack.token(Role.SUPERVISOR, street))
        board = api.get("/boards/status", params={"region": street}).json()
        assert board["total"] == CLIENTS and board["by_stage"]["DEVELOPING_MEMBERS"] == CLIENTS
        assert sum(child["total"] for child in board["children"]) == CLIENTS
        statistics = api.get("/reports/statistics", params={"region": street}).json()
        assert statistics["members"]["formal"] == 3 * CLIENTS
    done = stack.cli("verify", "--wait", "60")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ten_clients_registering_the_same_organization_at_once_make_one_case(stack: Stack) -> None:
    street = "440403123"
    token = stack.token(Role.ORGANIZER, street)
    body = registration(f"{street}001", name=f"同名{uuid.uuid4().hex[:6]}有限公司")

    def client(_: int) -> Command:
        with stack.client(token) as api:
            return send(api, Command("/organizations", body))

    commands = at_once(client, clients=10)
    assert sorted(c.final.status for c in commands) == [201] + [409] * 9, [c.answers for c in commands]
    assert all(c.final.body["rule"] == "already_registered" for c in commands if c.final.status == 409)
    case = next(c.final.body["id"] for c in commands if c.final.status == 201)
    with stack.client(token) as api:
        assert [e["type"] for e in history(api, case)] == ["Registered"]
