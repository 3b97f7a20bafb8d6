"""Scale out (issue 19): two workers and two web servers on one PostgreSQL and one Temporal, each killed in turn.

Two `branchflow worker` processes poll one task queue (the fault tests' and this module's), two `branchflow api`
processes stand behind the test's own round-robin client (as behind a balancer), one `branchflow project` keeps the
read models. Eight clients step their cases while each worker and each web server is `kill -9`ed and started again,
one after another. Afterwards every step a client was told was applied is in the event store once, in its order;
both web servers answered steps; both workers ran the cases' workflow tasks and at least one case's were run by two
worker processes (a killed worker's cases taken over); and `branchflow verify` finds the projections equal to a
recount and every open case with its workflow.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from uuid import UUID

import httpx
import pytest
from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from branchflow.api.users import Role
from branchflow.workflows.formation import workflow_id
from tests.api.conftest import free_port
from tests.reliability.processes import Deployment, Part
from tests.reliability.protocol import Command, history, member_step, members_added, send
from tests.reliability.test_faults import register

pytestmark = pytest.mark.slow
STREET = "440403107"
CLIENTS = 8
MIN_STEPS = 4  # each client's steps before it stops (it goes on while the kills last)
PAUSE = 0.1  # between a client's steps


class RoundRobin(httpx.BaseTransport):
    """Sends each request to the next web server in turn, as a balancer without health checks would: a
    request to a killed one fails to connect, and the client's retry goes to the other. `answered` counts, per
    port, the commands (POSTs) answered below 500."""

    def __init__(self, ports: list[int], answered: Counter[int]) -> None:
        self.ports = itertools.cycle(ports)
        self.lock = threading.Lock()
        self.inner = httpx.HTTPTransport()
        self.answered = answered

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            port = next(self.ports)
        request.url = request.url.copy_with(port=port)
        response = self.inner.handle_request(request)
        if request.method == "POST" and response.status_code < 500:
            with self.lock:
                self.answered[port] += 1
        return response

    def close(self) -> None:
        self.inner.close()


class ScaledOut:
    """The session's deployment (the fault tests') with a second worker and a second web server of this module's
    on the same PostgreSQL, Temporal task queue and projection runner."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment, self.worker, self.api = deployment, deployment.worker, deployment.api
        self.port2 = free_port()
        self.answered: Counter[int] = Counter()  # commands answered, per web server's port (RoundRobin)
        # Ready by its own line, and then by Temporal's list of the task queue's pollers (pid@host).
        self.worker2 = Part("worker 2", [sys.executable, "-m", "branchflow", "worker"], deployment.env,
                            deployment.root / "worker2.log",
                            lambda log: "worker ready" in log and self.polling(self.worker2))
        self.api2 = Part("web server 2", [sys.executable, "-m", "branchflow", "api", "--port", str(self.port2)],
                         deployment.env, deployment.root / "api2.log", lambda log: "serving at" in log)
        self.own = (self.worker2, self.api2)
        self.queue = deployment.settings["BRANCHFLOW_TASK_QUEUE"]

    def start(self) -> None:
        self.deployment.start()
        for part in self.own:
            if not part.running:
                part.start()

    def close(self) -> None:
        for part in self.own:
            part.stop()

    def token(self, role: Role, region: str) -> str:
        return self.deployment.token(role, region)

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.deployment.port}/api/v1", transport=RoundRobin(
            [self.deployment.port, self.port2], self.answered), headers={"Authorization": f"Bearer {token}"},
            timeout=60)

    def polling(self, part: Part) -> bool:
        """Whether the part's process polls the task queue for workflow tasks (a poller's identity: pid@host)."""
        assert part.process is not None
        pid = part.process.pid

        async def pollers() -> list[str]:
            client = await Client.connect(self.deployment.temporal_address)
            answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
                namespace=client.namespace, task_queue=TaskQueue(name=self.queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
            return [p.identity for p in answer.pollers]

        return any(identity.startswith(f"{pid}@") for identity in asyncio.run(pollers()))

    def task_runners(self, cases: list[str]) -> dict[str, set[int]]:
        """Per case, the pids of the worker processes that completed its workflow's tasks (every run of it)."""
        wanted = {workflow_id(UUID(case)): case for case in cases}

        async def runners() -> dict[str, set[int]]:
            client = await Client.connect(self.deployment.temporal_address)
            found: dict[str, set[int]] = {case: set() for case in cases}
            async for execution in client.list_workflows(f"TaskQueue = '{self.queue}'"):
                if execution.id not in wanted:
                    continue
                history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
                found[wanted[execution.id]] |= {
                    int(e.workflow_task_completed_event_attributes.identity.split("@")[0]) for e in history.events
                    if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED}
            return found

        return asyncio.run(runners())

    def logs(self) -> str:
        return self.deployment.logs() + "".join(f"\n--- {p.name} ---\n{p.output()[-4000:]}" for p in self.own)

    def verify(self) -> None:
        self.deployment.verify()


@pytest.fixture(scope="module")
def scaled(deployment: Deployment) -> Iterator[ScaledOut]:
    system = ScaledOut(deployment)
    try:
        system.start()
        yield system
    finally:
        system.close()


def test_two_workers_and_two_web_servers_each_killed_in_turn_lose_no_step_and_apply_none_twice(
    scaled: ScaledOut,
) -> None:
    token = scaled.token(Role.ORGANIZER, STREET)
    with scaled.client(token) as api:
        cases = [register(api, f"{STREET}{n:03d}") for n in range(1, CLIENTS + 1)]
    scaled.answered.clear()  # from here on: the steps' answers
    sent: list[list[Command]] = [[] for _ in cases]
    kills_done = threading.Event()
    started = threading.Barrier(CLIENTS + 1)
    pids = {part.name: {part.process.pid} for part in (scaled.worker, scaled.worker2) if part.process is not None}

    def client(index: int) -> None:
        with scaled.client(token) as api:
            started.wait()
            while len(sent[index]) < MIN_STEPS or not kills_done.is_set():
                body = member_step(f"成员{index}-{len(sent[index])}")
                sent[index].append(send(api, Command(f"/organizations/{cases[index]}/actions", body)))
                time.sleep(PAUSE)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    started.wait()
    try:
        for part in (scaled.worker, scaled.api, scaled.worker2, scaled.api2):
            before = sum(c.applied for commands in sent for c in commands)
            part.kill()
            time.sleep(1)  # steps meet the part gone: the other one (or Temporal's retry) takes them
            part.start()
            if part.name in pids and part.process is not None:
                pids[part.name].add(part.process.pid)
            deadline = time.monotonic() + 60
            while sum(c.applied for commands in sent for c in commands) <= before:  # steps go on after it
                assert time.monotonic() < deadline, f"no step applied after {part.name} was killed:\n{scaled.logs()}"
                time.sleep(0.05)
    finally:
        kills_done.set()
        for thread in threads:
            thread.join(180)
    assert not any(t.is_alive() for t in threads), "a client did not finish"

    retried = 0
    with scaled.client(scaled.token(Role.SUPERVISOR, STREET)) as api:
        for case, commands in zip(cases, sent, strict=True):
            for command in commands:
                assert command.applied and not command.unexpected(), command.answers
                retried += sum(a.asks_retry for a in command.answers)
            entries = history(api, case)
            # Every step applied once, in the order its client sent it; nothing else was written.
            assert members_added(entries) == [c.body["name"] for c in commands]
            assert [e["sequence"] for e in entries] == list(range(1, len(entries) + 1))
    assert retried > 0, "no client was asked to retry: the kills went unseen"
    # Both web servers answered commands (not one answering while the other only refused connections).
    assert scaled.answered[scaled.deployment.port] > 0 and scaled.answered[scaled.port2] > 0, scaled.answered
    # Both workers ran these cases' workflows, and a killed worker's cases went on in another worker process.
    runners = scaled.task_runners(cases)
    ran = set().union(*runners.values())
    assert all(ran & incarnations for incarnations in pids.values()), (pids, runners)
    assert any(len(case_pids) > 1 for case_pids in runners.values()), (pids, runners)
    scaled.verify()
