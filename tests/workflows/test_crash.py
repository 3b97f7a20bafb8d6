"""Real processes on the dev server: the worker SIGKILLed mid-case and mid-activity, Temporal restarted.

Every event must land exactly once, and the standard `temporal` CLI must list the case by its stage.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from branchflow.domain.actions import parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.rules import Stage
from branchflow.runtime.actor_key import actor_key
from branchflow.runtime.settings import load_settings
from branchflow.runtime.temporal_dev_server import TemporalDevServer, temporal_binary
from branchflow.workflows.client import FormationClient
from branchflow.workflows.config import connect
from branchflow.workflows.deadlines import business_date
from branchflow.workflows.formation import workflow_id
from tests.reliability.processes import Part
from tests.workflows.conftest import LoopThread
from tests.workflows.harness import ORGANIZER, SUPERVISOR, member, registration, replay

pytestmark = pytest.mark.slow
DELAY_AFTER_SAVE = 30.0  # long enough to kill the worker between its commit and its answer


@pytest.fixture
def dev_server(tmp_path: Path, loop: LoopThread) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path / "temporal")
    loop.run(server.start())
    yield server
    server.stop()


@pytest.fixture
def worker(tmp_path: Path, dev_server: TemporalDevServer, database_url: str, app_env: dict[str, str]
           ) -> Iterator[Part]:
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server.address, "DATABASE_URL": database_url,
           "POSTGRES_SCHEMA": app_env["POSTGRES_SCHEMA"], "BRANCHFLOW_TASK_QUEUE": f"tq-{uuid.uuid4().hex[:8]}"}
    process = Part("worker", [sys.executable, "-m", "branchflow.runtime.worker"], env, tmp_path / "worker.log",
                   lambda log: "worker ready" in log)
    yield process
    process.stop()


def test_killing_the_worker_and_restarting_temporal_loses_no_event_and_duplicates_none(
    loop: LoopThread, dev_server: TemporalDevServer, worker: Part, app: FormationApplication
) -> None:
    def events(org_id: UUID) -> list[str]:
        return [e.type for e in app.history(org_id)]

    async def scenario() -> None:
        key = actor_key(load_settings(postgres_schema=worker.env["POSTGRES_SCHEMA"]), worker.env["DATABASE_URL"])
        client = FormationClient(await connect(dev_server.address), task_queue=worker.env["BRANCHFLOW_TASK_QUEUE"],
                                 key=key, app=app)  # the worker process refuses unsigned commands
        today = business_date(datetime.now(UTC))
        worker.start()
        case = await client.register(registration(today, employees=120), ORGANIZER, today)
        case = await client.step(case.id, parse_action(member("王芳")), ORGANIZER, today)

        worker.kill()  # in the middle of the case: the next step waits for a worker
        pending = asyncio.create_task(client.step(case.id, parse_action(member("李强")), ORGANIZER, today))
        await asyncio.sleep(1)
        assert not pending.done()
        worker.start()
        case = await pending

        worker.stop()
        worker.start(BRANCHFLOW_FAULT_DELAY_AFTER_SAVE=str(DELAY_AFTER_SAVE))
        pending = asyncio.create_task(client.step(case.id, parse_action(member("张伟")), ORGANIZER, today))
        while events(case.id).count("MemberAdded") < 3:  # committed; the activity has not answered yet
            await asyncio.sleep(0.05)
        worker.kill()  # in the middle of the activity
        worker.start()
        case = await asyncio.wait_for(pending, 60)  # the activity ran again: its receipt answered
        assert case.formal_members == 3

        dev_server.stop()  # Temporal itself restarts, keeping its SQLite file
        await dev_server.start()
        case = await client.step(case.id, parse_action({"action": "request_formal_branch", "name": "党支部"}),
                                 ORGANIZER, today)
        case = await client.step(case.id, parse_action({"action": "approve_formal_branch"}), SUPERVISOR, today)

        assert case.stage is Stage.FORMAL_BRANCH and await client.case(case.id) == case
        assert events(case.id) == ["Registered", "MemberAdded", "MemberAdded", "MemberAdded",
                                   "FormalBranchRequested", "FormalBranchApproved"]
        assert len({m.id for m in case.members}) == 3
        await _listed_by_stage(client, dev_server.address, workflow_id(case.id))
        await replay(client.client, [workflow_id(case.id)])

    loop.run(scenario(), 150)


async def _listed_by_stage(client: FormationClient, address: str, wid: str) -> None:
    """Found by the stage search attribute, through the SDK and through the standard `temporal` CLI."""
    for _ in range(100):
        found = [w.id async for w in client.client.list_workflows("Stage = 'FORMAL_BRANCH'")]
        if wid in found:
            break
        await asyncio.sleep(0.1)
    assert wid in found
    listed = subprocess.run(
        [temporal_binary(), "workflow", "list", "--address", address, "--query", "Stage='FORMAL_BRANCH'",
         "--output", "json"], capture_output=True, text=True, check=True, timeout=30)
    assert wid in {w["execution"]["workflowId"] for w in json.loads(listed.stdout)}
