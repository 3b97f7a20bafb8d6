"""A scenario's view of the system: a FormationClient on the time-skipping server, the event store, the clock."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from branchflow.domain.actions import parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.case import CaseView
from branchflow.domain.registration import Registration
from branchflow.domain.values import CREDIT_CODE_CHARSET, make_credit_code
from branchflow.workflows.deadlines import business_date
from branchflow.workflows.development import MemberDevelopmentWorkflow
from branchflow.workflows.formation import FormationState, FormationWorkflow, workflow_id
from branchflow.workflows.joint_branch import JointBranchWorkflow
from branchflow.workflows.worker import build_worker

ORGANIZER, SUPERVISOR = "organizer-1", "supervisor-1"
WORKFLOWS = [FormationWorkflow, MemberDevelopmentWorkflow, JointBranchWorkflow]
# Set to a folder to keep the histories of a run (tests/workflows/histories holds the committed ones).
RECORD_TO = os.environ.get("BRANCHFLOW_RECORD_HISTORIES")


def credit_code(region: str = "440403") -> str:
    return make_credit_code("91" + region + "".join(secrets.choice(CREDIT_CODE_CHARSET) for _ in range(9)))


def registration(today: date, *, employees: int = 20, region_code: str = "440403101001", industry: str = "C",
                 registered: bool = True, **facts: Any) -> Registration:
    return Registration.model_validate({
        "name": f"测试科技有限公司-{secrets.token_hex(4)}", "kind": "economic", "subtype": "private",
        "registered": registered,
        "credit_code": credit_code(region_code[:6]) if registered else None, "region_code": region_code,
        "industry": industry, "employees": employees, "founded_on": today, **facts,
    })


def member(name: str = "王芳", *, status: str = "formal", transferred: bool = True) -> dict[str, Any]:
    return {"action": "add_member", "name": name, "gender": "female", "birth_date": "1988-05-02",
            "education": "bachelor", "status": status, "relation_transferred": transferred}


class Harness:
    def __init__(self, env: WorkflowEnvironment, app: FormationApplication, task_queue: str,
                 steps_before_continue: int) -> None:
        from branchflow.workflows.client import FormationClient

        self.env, self.app, self.task_queue = env, app, task_queue
        self.client = FormationClient(env.client, task_queue=task_queue, steps_before_continue=steps_before_continue,
                                      app=app)
        self.tracked: list[str] = []

    @asynccontextmanager
    async def worker(self) -> AsyncIterator[None]:
        async with build_worker(self.env.client, self.app, task_queue=self.task_queue, max_cached_workflows=50):
            yield

    async def today(self) -> date:
        return business_date(await self.env.get_current_time())

    async def skip(self, days: float) -> None:
        """Moves the server's clock on; timers on the way fire (a year takes about a second)."""
        await self.env.sleep(timedelta(days=days))

    async def register(self, **facts: Any) -> CaseView:
        view = await self.client.register(registration(await self.today(), **facts), ORGANIZER, await self.today())
        self.track(workflow_id(view.id))
        return view

    async def step(self, org_id: UUID, body: dict[str, Any], actor: str = ORGANIZER) -> CaseView:
        return await self.client.step(org_id, parse_action(body), actor, await self.today())

    async def formal_branch(self, org_id: UUID) -> CaseView:
        """Three transferred-in formal members, a request and its approval."""
        for name in ("王芳", "李强", "张伟"):
            await self.step(org_id, member(name))
        await self.step(org_id, {"action": "request_formal_branch", "name": "党支部"})
        return await self.step(org_id, {"action": "approve_formal_branch"}, SUPERVISOR)

    def events(self, org_id: UUID) -> list[str]:
        return [e.type for e in self.app.history(org_id)]

    async def details(self, org_id: UUID) -> FormationState:
        return await self.env.client.get_workflow_handle(workflow_id(org_id)).query(FormationWorkflow.details)

    async def eventually(self, check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
        """Waits (real time) for what a timer set off to land: the clock skip returns before the worker is done."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not await check():
            assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
            await asyncio.sleep(0.05)

    def track(self, *workflow_ids: str) -> None:
        self.tracked += [w for w in workflow_ids if w not in self.tracked]

    def workflow_ids(self) -> list[str]:
        return self.tracked


async def histories(client: Client, workflow_ids: Iterable[str]) -> list[WorkflowHistory]:
    """Every run's history, oldest first (a workflow that continued as new has several)."""
    found: list[WorkflowHistory] = []
    for wid in workflow_ids:
        runs = [await client.get_workflow_handle(wid).fetch_history()]
        while previous := runs[0].events[0].workflow_execution_started_event_attributes.continued_execution_run_id:
            runs.insert(0, await client.get_workflow_handle(wid, run_id=previous).fetch_history())
        found += runs
    return found


async def replay(client: Client, workflow_ids: Iterable[str]) -> None:
    """Replays the recorded histories against today's workflow code: a nondeterministic change fails here."""
    recorded = await histories(client, workflow_ids)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    for history in recorded:
        await replayer.replay_workflow(history)
    if RECORD_TO:
        folder = Path(RECORD_TO)
        folder.mkdir(parents=True, exist_ok=True)
        for history in recorded:
            (folder / f"{history.workflow_id}-{history.run_id[:8]}.json").write_text(history.to_json())


async def skip_past(h: Harness, due_on: date, *, margin_days: float = 1) -> None:
    """Moves the clock just past the moment a deadline on `due_on` passes."""
    from branchflow.workflows.deadlines import passes_at

    now = await h.env.get_current_time()
    await h.skip(max((passes_at(due_on) - now).total_seconds() / 86400, 0) + margin_days)


def due_on(case: CaseView, rule: str) -> date:
    found = [o.due_on for o in case.obligations if o.rule == rule and o.due_on is not None]
    assert found, f"no {rule} deadline in {case.obligations}"
    return found[0]
