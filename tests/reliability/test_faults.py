"""Faults with real processes: each part of a deployment killed or stopped while clients send steps.

After each fault: every step a client was told was applied is in the event store exactly once; a refused
step left nothing; where a step did not happen the client was told to retry (503 with `retry: true`, or 409
concurrent_change), and its retry with the same command_id applied it once; and `branchflow verify` finds the
projections equal to a recount and every open case with its running workflow.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from branchflow.api.users import Role
from branchflow.projections.schema import TABLES, TRACKING
from tests.api.test_case_path import registration
from tests.reliability.processes import Deployment
from tests.reliability.protocol import Command, history, member_step, members_added, send

pytestmark = pytest.mark.slow
STREET = "440403106"
CLIENTS = 5
STEPS = 8
# Longer than the Temporal client's own retries of a call (about 10 s): the API must answer in the meantime.
TEMPORAL_DOWN = 12
FORBIDDEN = {"action": "withdraw_instructor"}  # no instructor was ever assigned: the rules refuse it


def register(api: Any, region: str = f"{STREET}001") -> str:
    command = send(api, Command("/organizations", registration(region)))
    assert command.final.status == 201 and not command.unexpected(), command.answers
    return str(command.final.body["id"])


def plan(client: int) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [member_step(f"成员{client}-{n}") for n in range(STEPS)]
    steps.insert(STEPS // 2, FORBIDDEN)
    return steps


def send_while(deployment: Deployment, fault: Callable[[], None]) -> tuple[list[str], list[list[Command]]]:
    """CLIENTS clients, each on a case of its own, send their plan one step after another while `fault` runs."""
    token = deployment.token(Role.ORGANIZER, STREET)
    with deployment.client(token) as api:
        cases = [register(api) for _ in range(CLIENTS)]
    sent: list[list[Command]] = [[] for _ in cases]
    started = threading.Barrier(CLIENTS + 1)

    def client(index: int) -> None:
        with deployment.client(token) as api:
            started.wait()
            for body in plan(index):
                sent[index].append(send(api, Command(f"/organizations/{cases[index]}/actions", body)))
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    started.wait()
    while sum(c.applied for commands in sent for c in commands) < CLIENTS:  # steps are under way everywhere
        time.sleep(0.05)
    fault()
    for thread in threads:
        thread.join(180)
        assert not thread.is_alive(), "a client did not finish"
    return cases, sent


def check_exactly_once(deployment: Deployment, cases: list[str], sent: list[list[Command]]) -> int:
    """Every planned step applied once, the forbidden one refused and absent; returns the retries asked for."""
    retries = 0
    with deployment.client(deployment.token(Role.SUPERVISOR, STREET)) as api:
        for index, (case, commands) in enumerate(zip(cases, sent, strict=True)):
            for command in commands:
                assert not command.unexpected(), f"answers that neither apply nor ask for a retry: {command.answers}"
                retries += sum(a.asks_retry for a in command.answers)
                if command.body == FORBIDDEN:
                    assert command.final.status == 409 and command.final.body["rule"] != "concurrent_change"
                else:
                    assert command.applied, command.answers
            entries = history(api, case)
            assert members_added(entries) == [f"成员{index}-{n}" for n in range(STEPS)]  # each once, in order
            assert [e["sequence"] for e in entries] == list(range(1, len(entries) + 1))
            assert "InstructorWithdrawn" not in {e["type"] for e in entries}
            versions = [c.final.body["version"] for c in commands if c.applied]
            assert versions == sorted(set(versions)), "versions must increase with every step"
    return retries


def test_a_worker_killed_between_its_commit_and_its_answer_applies_the_step_once(running: Deployment) -> None:
    token = running.token(Role.ORGANIZER, STREET)
    with running.client(token) as api:
        case = register(api)
        running.worker.stop()
        running.worker.start(BRANCHFLOW_FAULT_DELAY_AFTER_SAVE="30")  # it commits, then waits before answering
        first = Command(f"/organizations/{case}/actions", member_step("赵一"))
        second = Command(f"/organizations/{case}/actions", member_step("钱二"))
        threads = [threading.Thread(target=send_with_own_client, args=(running, token, c)) for c in (first, second)]
        threads[0].start()
        deadline = time.monotonic() + 30
        while "赵一" not in members_added(history(api, case)):  # committed; the activity has not answered
            assert time.monotonic() < deadline, running.logs()
            time.sleep(0.05)
        threads[1].start()  # queued behind the first, in the workflow
        time.sleep(0.5)
        running.worker.kill()  # in the middle of the activity
        running.worker.start()
        for thread in threads:
            thread.join(120)
        for command in (first, second):
            assert command.applied and not command.unexpected(), command.answers
        again = send(api, Command(first.path, first.body, first.command_id))  # the client's retry
        assert again.final.status == 200 and again.final.body["version"] == first.final.body["version"]
        assert members_added(history(api, case)) == ["赵一", "钱二"]
    running.verify()


def send_with_own_client(deployment: Deployment, token: str, command: Command) -> None:
    with deployment.client(token) as api:
        send(api, command)


def projection_tables(deployment: Deployment) -> dict[str, list[Any]]:
    return {t: sorted(deployment.sql(f"SELECT * FROM {t}"), key=repr) for t in (*TABLES, TRACKING)}


def test_a_projection_runner_killed_in_the_middle_of_a_batch_leaves_no_trace_and_catches_up(
    running: Deployment,
) -> None:
    token = running.token(Role.ORGANIZER, STREET)
    with running.client(token) as api:
        register(api)
        wait_for_projections(api)
        before = projection_tables(running)
        runner = running.RUNNER_NAME
        with running.holding("LOCK TABLE audit IN EXCLUSIVE MODE"):  # the batch's last write will wait here
            cases = [register(api, f"{STREET}00{n}") for n in range(2, 5)]
            for case in cases:
                assert send(api, Command(f"/organizations/{case}/actions", member_step("孙三"))).applied
            deadline = time.monotonic() + 30
            while not running.sql("SELECT 1 FROM pg_stat_activity WHERE application_name = %s "
                                  "AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL", runner):
                assert time.monotonic() < deadline, "the runner's batch did not reach the audit table"
                time.sleep(0.02)
            running.projector.kill()  # its transaction has written cases, members and summaries
        deadline = time.monotonic() + 30
        while running.sql("SELECT 1 FROM pg_stat_activity WHERE application_name = %s", runner):
            assert time.monotonic() < deadline, "the killed runner's transaction did not end"
            time.sleep(0.05)
        assert projection_tables(running) == before  # nothing of the batch, not even its position
        running.projector.start()
        wait_for_projections(api)
        for case in cases:
            assert api.get(f"/organizations/{case}").json()["formal_members"] == 1
    running.verify()


def wait_for_projections(api: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while api.get("/projections").json()["lag"] > 0:
        assert time.monotonic() < deadline, "the projections did not catch up"
        time.sleep(0.1)


def test_postgresql_stopped_and_restarted_while_steps_are_sent(running: Deployment) -> None:
    def outage() -> None:
        running.stop_postgres()
        time.sleep(3)
        running.restart_postgres()

    cases, sent = send_while(running, outage)
    assert check_exactly_once(running, cases, sent) > 0, "no client was asked to retry: the outage went unseen"
    running.verify()


def test_temporal_stopped_and_restarted_while_steps_and_registrations_are_sent(running: Deployment) -> None:
    token = running.token(Role.ORGANIZER, STREET)
    registration_ = Command("/organizations", registration(f"{STREET}009"))
    registering = threading.Thread(target=send_with_own_client, args=(running, token, registration_))

    def outage() -> None:
        running.stop_temporal()
        registering.start()  # a registration while Temporal is down: retried until it applies
        time.sleep(TEMPORAL_DOWN)
        running.restart_temporal()

    cases, sent = send_while(running, outage)
    registering.join(120)
    assert check_exactly_once(running, cases, sent) > 0, "no client was asked to retry: the outage went unseen"
    assert registration_.final.status == 201 and not registration_.unexpected(), registration_.answers
    assert any(a.asks_retry for a in registration_.answers)
    with running.client(running.token(Role.SUPERVISOR, STREET)) as api:
        assert [e["type"] for e in history(api, registration_.final.body["id"])] == ["Registered"]
    running.verify()


def test_a_stalled_database_holds_only_the_requests_that_need_it(running: Deployment) -> None:
    token = running.token(Role.ORGANIZER, STREET)
    with running.client(token) as api:
        case = register(api)
        step = Command(f"/organizations/{case}/actions", member_step("郑七"))
        with running.holding("LOCK TABLE branchflow_events IN ACCESS EXCLUSIVE MODE"):  # reads of a case wait
            stepping = threading.Thread(target=send_with_own_client, args=(running, token, step))
            stepping.start()
            time.sleep(0.5)
            started = time.monotonic()
            assert httpx.get(f"http://127.0.0.1:{running.port}/openapi.json", timeout=10).status_code == 200
            assert time.monotonic() - started < 2, "the web server's event loop waited for the database"
            assert stepping.is_alive()  # still waiting for the lock
        stepping.join(60)
        assert step.applied and members_added(history(api, case)) == ["郑七"]
