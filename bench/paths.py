"""The paths measured by bench/city.py: the import, a step over HTTP, projection catch-up, boards and reports."""

from __future__ import annotations

import asyncio
import random
import statistics as stats
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.blocks import Timed
from bench.ledger import City, CityCase
from branchflow.api.intake.ledger_import import ImportSummary, import_ledger
from branchflow.api.intake.targets import BatchResult, WorkflowCommands
from branchflow.domain.actions import SUPERVISOR_ACTIONS, Step
from branchflow.domain.application import FormationApplication
from branchflow.domain.registration import Registration
from branchflow.runtime.actor_key import actor_key
from branchflow.runtime.settings import load_settings
from branchflow.workflows.client import FormationClient
from branchflow.workflows.config import TASK_QUEUE


class TimedWorkflowCommands(WorkflowCommands):
    """`WorkflowCommands` with its parts timed: the batch into the event store (`store`: the aggregates built
    from the rows' commands, and `save`, eventsourcing's part of it), the workflow starts, and the wait for the
    workers to take the started workflows' first tasks before the next batch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store, self.save, self.batches, self.started = Timed(), Timed(), Timed(), 0
        self.starts, self.waits = Timed(), Timed()
        self.direct.save_batch = self.store.wrap(self.direct.save_batch)  # type: ignore[method-assign]
        self.direct.app.save = self.save.wrap(self.direct.app.save)  # type: ignore[method-assign]
        self._start = self.starts.wrap_async(self._start)  # type: ignore[method-assign,assignment]
        self._wait_for_workers = self.waits.wrap_async(self._wait_for_workers)  # type: ignore[method-assign,assignment]

    def register_batch(self, cases: Sequence[tuple[Registration, Sequence[Step]]]) -> list[BatchResult]:
        results: list[BatchResult] = self.batches.wrap(super().register_batch)(cases)
        self.started += sum(isinstance(r, list) for r in results)
        return results


@dataclass
class ImportRun:
    summary: ImportSummary
    seconds: float
    commands: TimedWorkflowCommands
    loaded_after: float | None = None  # seconds from the start until every workflow had loaded its case


def import_city(stack_url: str, address: str, ledger: Path, today: date, app_env: dict[str, str]) -> ImportRun:
    """`branchflow import`'s code path, in a thread of its own (WorkflowCommands runs its own event loop)."""
    loop = asyncio.new_event_loop()
    app = FormationApplication(app_env)
    try:
        key = actor_key(load_settings(postgres_schema=app_env.get("POSTGRES_SCHEMA")), stack_url)
        client = loop.run_until_complete(FormationClient.connect(address, key=key))  # the workers check it
        commands = TimedWorkflowCommands(client, app, "import", today, loop)
        started = time.perf_counter()
        summary = import_ledger(ledger, commands, today)
        return ImportRun(summary, time.perf_counter() - started, commands)
    finally:
        app.close()
        loop.close()


async def wait_until_loaded(address: str, since: float, timeout: float, task_queue: str = TASK_QUEUE) -> float | None:
    """Seconds from `since` (perf_counter) until the task queue has no workflow task waiting: every started
    workflow has had its first task (its case in memory, its deadline's timer set); None after `timeout`."""
    client = await FormationClient.connect(address, task_queue=task_queue)
    deadline, empty = time.perf_counter() + timeout, 0
    while time.perf_counter() < deadline:
        empty = empty + 1 if await client.waiting_workflow_tasks() == 0 else 0
        if empty == 2:  # twice in a row: the count is approximate
            return time.perf_counter() - since
        await asyncio.sleep(0.5)
    return None


def percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "n": 0}
    ordered = sorted(ms)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50": stats.median(ordered), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)  # ms, of the answers counted
    seconds: float = 0.0
    refused: int = 0  # 409: a rule refused the step (its latency is counted too)
    failed: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def run_load(clients: int, count: int, one: Callable[[int], Awaitable[tuple[float, int]]]) -> Load:
    """`count` calls of `one(i)` from `clients` concurrent callers; `one` returns (ms, HTTP-like status)."""
    load, issued = Load(), iter(range(count))

    async def caller() -> None:
        for i in issued:
            try:
                ms, status = await one(i)
            except Exception as error:  # a benchmark reports failures instead of stopping
                load.failed.append(f"{type(error).__name__}: {error}"[:300])
                continue
            if status >= 500 or status in (400, 401, 403, 404, 422):
                load.failed.append(f"HTTP {status}")
                continue
            load.refused += status == 409
            load.latencies.append(ms)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(clients)))
    load.seconds = time.perf_counter() - started
    return load


class Stepper:
    """Takes the city's planned steps over HTTP, each case's in order, no two of one case at once. Cases come
    in a shuffled order, as organizers across the city would step them: a mix of every kind of step, on
    cases mostly not in the worker's workflow cache."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str], city: City, seed: int = 7) -> None:
        self.http, self.tokens = http, tokens
        cases = [c for c in city.cases if c.steps]
        random.Random(seed).shuffle(cases)
        self.queue: deque[tuple[CityCase, int]] = deque((c, 0) for c in cases)
        self.stepped: dict[UUID, None] = {}  # the cases stepped, in order (bench/history.py reads theirs)

    async def one(self, _: int) -> tuple[float, int]:
        case, i = self.queue.popleft()
        self.stepped[case.org_id] = None
        # Dated today, as an organizer enters a step on the day (the plan's own dates are months back: every
        # deadline they open would have passed, and its escalation follow at once).
        step = case.steps[i].model_copy(update={"occurred_on": None})
        status, ms = await self.post(case.org_id, step)
        if i + 1 < len(case.steps):
            self.queue.append((case, i + 1))
        return ms, status

    async def post(self, org_id: UUID, step: Step) -> tuple[int, float]:
        body = step.model_dump(mode="json", exclude_none=True)
        role = "supervisor" if body["action"] in SUPERVISOR_ACTIONS else "organizer"
        started = time.perf_counter()
        answer = await self.http.post(f"/api/v1/organizations/{org_id}/actions", json=body,
                                      headers={"Authorization": f"Bearer {self.tokens[role]}"})
        return answer.status_code, (time.perf_counter() - started) * 1000


async def timed_get(http: httpx.AsyncClient, path: str, params: dict[str, str], token: str) -> tuple[float, int]:
    started = time.perf_counter()
    answer = await http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    await answer.aread()
    return (time.perf_counter() - started) * 1000, answer.status_code
