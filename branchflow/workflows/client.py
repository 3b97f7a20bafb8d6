"""FormationClient: what the API (and the import) calls to change a case: every command goes through Temporal.

Failures come back as the domain's errors (`RuleViolation`, `CaseNotFound`, `AlreadyRegistered`,
`ConcurrentChange`, `UnknownPerson`), or `InvalidStep` / `WorkflowUnavailable` from `failures.py`.
A command without a `command_id` gets one here, before it is sent, so that every retry reuses it.

A workflow answers a command with the case's new version only (`Applied`): the view is composed here from the
event store at that version and for that date, so a retried command's answer is the first one's (issue 19: the
view was a quarter of a step's history). The client therefore takes the application of the event store.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import date
from typing import TypeVar
from uuid import UUID, uuid4

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from branchflow.domain.actions import ReopenCase, Step
from branchflow.domain.application import FormationApplication
from branchflow.domain.case import CaseView, case_view
from branchflow.domain.errors import CaseNotFound, RuleViolation
from branchflow.domain.organization import organization_id
from branchflow.domain.receipt import registration_fingerprint, step_fingerprint
from branchflow.domain.registration import Registration
from branchflow.domain.rules import PartyOrgType, open_case
from branchflow.workflows.case_state import Applied, CaseState, NewVersion, refusal
from branchflow.workflows.commands import CallerScope, JointBranchCommand, RegisterCommand, StepCommand
from branchflow.workflows.config import NO_ACCESS, TASK_QUEUE, ClusterAccess, connect
from branchflow.workflows.failures import StepNotOffered, WorkflowUnavailable, domain_error
from branchflow.workflows.formation import DEFAULT_STEPS_BEFORE_CONTINUE, FormationState, FormationWorkflow, workflow_id
from branchflow.workflows.gates import CaseGates
from branchflow.workflows.joint_branch import JointBranchWorkflow, joint_branch_workflow_id
from branchflow.workflows.signing import signature

C = TypeVar("C", RegisterCommand, StepCommand, JointBranchCommand)
# What an update answers: runs started before the compact state answer the view, those since the coded state
# the version alone.
Answer = CaseView | Applied | NewVersion
DEFAULT_ANSWER_WITHIN = 30.0  # seconds a caller waits for a command before it is told to retry
ADOPTING_AT_ONCE = 32  # workflow starts in flight while cases are adopted (BENCHMARKS.md "What was changed", 5)


class FormationClient:
    def __init__(self, client: Client, *, task_queue: str = TASK_QUEUE,
                 steps_before_continue: int = DEFAULT_STEPS_BEFORE_CONTINUE,
                 answer_within: float = DEFAULT_ANSWER_WITHIN, key: bytes | None = None,
                 app: FormationApplication | None = None) -> None:
        self.client = client
        self.app = app  # the event store the views are composed from (None: only the bare `registered`, `stepped`)
        self.key = key  # signs every command (signing.py); a worker with a key refuses commands without
        self.task_queue = task_queue
        self.steps_before_continue = steps_before_continue
        # A command still waiting after this (the event store is down, no worker runs) raises
        # WorkflowUnavailable; it goes on in its workflow, and a retry with its command_id finds it.
        self.answer_within = answer_within
        self.gates = CaseGates()  # commands in flight per case (see gates.py)

    @classmethod
    async def connect(
        cls, address: str, namespace: str = "default", *, task_queue: str = TASK_QUEUE, key: bytes | None = None,
        app: FormationApplication | None = None, access: ClusterAccess = NO_ACCESS,
    ) -> FormationClient:
        return cls(await connect(address, namespace, access), task_queue=task_queue, key=key, app=app)

    def _signed(self, kind: str, scope: str, command: C) -> C:
        if self.key is None:
            return command
        return command.model_copy(update={"signature": signature(self.key, kind, scope, command)})

    async def register(self, registration: Registration, actor: str, today: date) -> CaseView:
        """Starts the case's workflow with its registration (update-with-start): a repeat starts nothing."""
        return await self._viewed(await self.registered(registration, actor, today), today)

    async def registered(self, registration: Registration, actor: str, today: date) -> Applied:
        """`register` without the view (the import's: it needs the case's id only)."""
        command_id = registration.command_id or str(uuid4())
        if registration.command_id is None:
            registration = registration.model_copy(update={"command_id": command_id})
        org_id = (await asyncio.to_thread(self.app.registration_id, registration) if self.app is not None
                  else organization_id(registration.credit_code, registration.region_code, registration.name))
        start = WithStartWorkflowOperation(
            FormationWorkflow.run, self._state(org_id, awaiting_registration=True), id=workflow_id(org_id),
            task_queue=self.task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        command = self._signed("register", workflow_id(org_id),
                               RegisterCommand(registration=registration, actor=actor, today=today))
        async with self.gates.entered(org_id), self._translated(org_id):
            answer: Answer = await asyncio.wait_for(self.client.execute_update_with_start_workflow(
                FormationWorkflow.register, command, start_workflow_operation=start,
                id=update_id("register", command_id, registration_fingerprint(registration, actor)),
            ), self.answer_within)
            return _applied(answer, org_id, today)
        raise AssertionError("unreachable")  # pragma: no cover (mypy: the context manager may swallow)

    async def step(self, org_id: UUID, step: Step, actor: str, today: date, scope: CallerScope | None = None
                   ) -> CaseView:
        """One step; `scope` is the caller's, checked by the workflow against the case it holds (NotInScope)."""
        return await self._viewed(await self.stepped(org_id, step, actor, today, scope), today)

    async def stepped(self, org_id: UUID, step: Step, actor: str, today: date, scope: CallerScope | None = None
                      ) -> Applied:
        """`step` without the view (the import's, and the API's, which composes the view it answers itself)."""
        command_id = step.command_id or str(uuid4())
        if step.command_id is None:
            step = step.model_copy(update={"command_id": command_id})
        command = self._signed("step", workflow_id(org_id), StepCommand.model_validate(
            {"step": step, "actor": actor, "today": today, "scope": scope}))
        step_id = update_id("step", command_id, step_fingerprint(org_id, step, actor))
        try:
            async with self.gates.entered(org_id), self._translated(org_id):
                if isinstance(step, ReopenCase):  # the one step a closed case (its workflow has ended) takes
                    return _applied(await asyncio.wait_for(self._reopen(org_id, command, step_id),
                                                           self.answer_within), org_id, today)
                handle = self.client.get_workflow_handle_for(FormationWorkflow.run, workflow_id(org_id))
                answer: Answer = await asyncio.wait_for(
                    handle.execute_update(FormationWorkflow.step, command, id=step_id), self.answer_within)
                return _applied(answer, org_id, today)
        except StepNotOffered as e:
            raise await asyncio.to_thread(self._refusal, org_id, e.action, today) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _reopen(self, org_id: UUID, command: StepCommand, step_id: str) -> Answer:
        """A closed case's workflow has ended (issue 13, finding 10): the reopening starts a run that adopts the
        case from the event store, as an imported case's does, and is its first update (update-with-start). A
        refused reopening leaves that run to end again with the case closed; on a case whose workflow still
        runs (a repeat after the reopening) the update goes to the running one, and the receipt answers it."""
        start = WithStartWorkflowOperation(
            FormationWorkflow.run, self._state(org_id), id=workflow_id(org_id), task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return await self.client.execute_update_with_start_workflow(
            FormationWorkflow.step, command, start_workflow_operation=start, id=step_id)

    async def form_joint_branch(
        self, name: str, org_ids: Sequence[UUID], party_org_type: PartyOrgType, actor: str, today: date,
        reason: str = "", command_id: str | None = None,
    ) -> list[CaseView]:
        """All or nothing; the same command_id twice forms one joint branch and answers the same."""
        command = JointBranchCommand(name=name, organization_ids=list(org_ids), party_org_type=party_org_type,
                                     actor=actor, today=today, reason=reason, command_id=command_id or str(uuid4()))
        joint_id = joint_branch_workflow_id(command)
        command = self._signed("joint_branch", joint_id, command)
        async with self._translated(None):
            with suppress(WorkflowAlreadyStartedError):  # formed before: its first answer is given again
                await self.client.start_workflow(
                    JointBranchWorkflow.run, command, id=joint_id, task_queue=self.task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    # A failed attempt may be tried again with the same command id.
                    id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                )
            handle = self.client.get_workflow_handle_for(JointBranchWorkflow.run, joint_id)
            answers = await asyncio.wait_for(handle.result(), self.answer_within)
            return [await self._viewed(a, today) for a in answers]
        raise AssertionError("unreachable")  # pragma: no cover

    async def case(self, org_id: UUID) -> CaseView:
        """The case at the version its workflow holds (a query, then the event store; nothing is written)."""
        state = await self._query(org_id)
        if state is None:
            raise CaseNotFound(org_id)
        return state.view or await self._viewed(Applied.of(state), state.as_of)

    async def adopt(self, org_id: UUID, state: CaseState | None = None) -> None:
        """Starts the workflow of a case stored without one (an import); a running workflow is left as it is.

        Without `state` the workflow loads the case from the event store itself.
        """
        try:
            await self.client.start_workflow(
                FormationWorkflow.run, self._state(org_id, case=state), id=workflow_id(org_id),
                task_queue=self.task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        except RPCError as e:
            raise WorkflowUnavailable(str(e)) from e

    async def waiting_workflow_tasks(self) -> int | None:
        """Workflow tasks waiting on the task queue for a worker (approximate); None where the server cannot say."""
        request = DescribeTaskQueueRequest(
            namespace=self.client.namespace, task_queue=TaskQueue(name=self.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, report_stats=True)
        try:
            answer = await self.client.workflow_service.describe_task_queue(request)
        except RPCError:
            return None
        return answer.stats.approximate_backlog_count

    def _state(self, org_id: UUID, *, case: CaseState | None = None, awaiting_registration: bool = False
               ) -> FormationState:
        return FormationState(organization_id=org_id, case=case, awaiting_registration=awaiting_registration,
                              steps_before_continue=self.steps_before_continue)

    async def _viewed(self, answer: CaseView | Applied, today: date) -> CaseView:
        if isinstance(answer, CaseView):
            return answer
        return await asyncio.to_thread(self._compose, answer, today)

    def _compose(self, answer: Applied, today: date) -> CaseView:
        """The case's view at the answered version, for the date it was answered on (older answers: `today`)."""
        if self.app is None:
            raise RuntimeError("a FormationClient without the event store's application composes no views")
        org = self.app.case(answer.id, version=answer.version)
        return case_view(org, answer.as_of or today, self.app.thresholds)

    def _refusal(self, org_id: UUID, action: str, today: date) -> RuleViolation:
        """The domain's rule for a step the workflow's validator found not offered (the rule is not held there)."""
        if self.app is None:
            return RuleViolation("step_not_available", f"{action} is not possible for this case now")
        return refusal(self.app.case(org_id), action, today, self.app.thresholds)

    async def _query(self, org_id: UUID) -> CaseState | None:
        handle = self.client.get_workflow_handle_for(FormationWorkflow.run, workflow_id(org_id))
        try:
            return await handle.query(FormationWorkflow.case)
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND:
                raise CaseNotFound(org_id) from e
            raise WorkflowUnavailable(str(e)) from e
        except WorkflowQueryFailedError as e:
            raise WorkflowUnavailable(str(e)) from e

    @asynccontextmanager
    async def _translated(self, org_id: UUID | None) -> AsyncIterator[None]:
        try:
            yield
        except (WorkflowUpdateFailedError, WorkflowFailureError) as e:
            raise domain_error(e.cause) from e
        except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError) as e:
            raise WorkflowUnavailable("no answer in time; retry with the same command_id") from e
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND and org_id is not None:
                raise await self._ended_or_missing(org_id) from e
            raise WorkflowUnavailable(str(e)) from e

    async def _ended_or_missing(self, org_id: UUID) -> Exception:
        """No running workflow: a closed case (its workflow has finished) refuses every step, else not found.

        The event store says which where the client has it: a finished workflow answers a query only when a
        worker replays its whole history (0.1-0.25 s, and never with no worker up), where reading the case
        takes milliseconds."""
        if self.app is not None:
            return await asyncio.to_thread(self._closed_or_missing, self.app, org_id)
        handle = self.client.get_workflow_handle_for(FormationWorkflow.run, workflow_id(org_id))
        try:
            state = await handle.query(FormationWorkflow.details)
        except (RPCError, WorkflowQueryFailedError):
            return CaseNotFound(org_id)
        if state.case is not None and (closed := state.case.closed) is not None:
            return RuleViolation(closed.rule, closed.message)
        return CaseNotFound(org_id)


    @staticmethod
    def _closed_or_missing(app: FormationApplication, org_id: UUID) -> Exception:
        try:
            org = app.case(org_id)
        except CaseNotFound as missing:
            return missing
        return open_case(org) or CaseNotFound(org_id)  # an open case with no workflow: not adopted yet


def update_id(kind: str, command_id: str, fingerprint: str) -> str:
    """The id of a command's update. Temporal answers a repeated update id from the workflow's history: the id
    stands for the command id and its request's fingerprint together, so the same request again is answered
    the same, and another request with this command id gets another id and reaches the receipt, which refuses
    it (`command_id_reused`). A digest of the two (128 bits), not the two spelt out: the id is written four
    times into every step's history (74 -> 27 characters; issue 19, BENCHMARKS.md "History per step")."""
    digest = hashlib.sha256(f"{command_id}\n{fingerprint}".encode()).digest()[:16]
    return f"{kind}-{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def _applied(answer: Answer, org_id: UUID, today: date) -> Applied:
    """An update's answer as the case's id and version, and the date its view is composed for."""
    if isinstance(answer, Applied):
        return answer
    if isinstance(answer, NewVersion):  # the command's case, on the date it was sent for
        return Applied(id=org_id, version=answer.version, as_of=today)
    return Applied(id=answer.id, version=answer.version)


async def adopt_all(client: FormationClient, cases: Iterable[tuple[UUID, CaseState | None]],
                    at_once: int = ADOPTING_AT_ONCE) -> int:
    """`client.adopt` for each (case, state or None), `at_once` in flight; an iterable read as it goes (a slot
    is taken before the next case is), so a long one starts its first cases at once. The cases adopted."""
    slots = asyncio.Semaphore(at_once)

    async def adopted(org_id: UUID, state: CaseState | None) -> None:
        try:
            await client.adopt(org_id, state)
        finally:
            slots.release()

    started = []
    for org_id, state in cases:
        await slots.acquire()
        started.append(asyncio.create_task(adopted(org_id, state)))
    await asyncio.gather(*started)
    return len(started)
