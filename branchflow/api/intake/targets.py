"""Where an import or the demo sends its commands: the workflows (CLI) or the application itself (tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_fixed,
)

from branchflow.domain import relations
from branchflow.domain.actions import Step
from branchflow.domain.application import FormationApplication
from branchflow.domain.credit_codes import CreditCodeClaim, claim_id
from branchflow.domain.errors import CaseNotFound, DomainError
from branchflow.domain.organization import Organization, organization_id
from branchflow.domain.receipt import (
    BatchReceipt,
    Receipt,
    batch_receipt_id,
    receipt_id,
    registration_fingerprint,
)
from branchflow.domain.registration import Registration
from branchflow.domain.rules import PartyOrgType
from branchflow.domain.stamp import Stamp
from branchflow.workflows.case_state import CaseState, case_state
from branchflow.workflows.client import ADOPTING_AT_ONCE, FormationClient, adopt_all

BATCH_SIZE = 200  # cases per transaction on the batch path; well under the size where pipelined saves hang
Progress = Callable[[int, int], None]  # (rows done, rows in the file)
StepResults = list[DomainError | None]  # per step: the error that refused it, or None


@dataclass(frozen=True)
class Stored:
    """A case of a batch that was registered before (a file imported again): left as it is, its id told once."""

    organization_id: UUID


# A batch's answer per case: the new case's step results, the stored case it names, or None (register it alone).
BatchResult = StepResults | Stored | None


class Commands(Protocol):
    """What an import or the demo sends: the CLI binds it to the workflows, tests to the application."""

    def register(self, registration: Registration) -> UUID:
        """The new case's id; raises AlreadyRegistered if the case exists."""

    def step(self, org_id: UUID, step: Step) -> bool | None:
        """One step (raises RuleViolation, CaseNotFound, ...); returns False if its command_id was applied before."""

    def holder(self, credit_code: str) -> UUID | None:
        """The case that holds this credit code now (FormationApplication.holder); None: no case does."""

    def form_joint_branch(
        self, name: str, org_ids: Sequence[UUID], party_org_type: PartyOrgType, reason: str, *,
        occurred_on: date | None = None, command_id: str | None = None,
    ) -> None:
        """One joint branch over several cases, all or nothing."""


@runtime_checkable
class BatchCommands(Commands, Protocol):
    """Commands that can also register many new cases at once, the way to issue 7's 2,000 cases/s. A binding
    to the workflows may save the batch in the event store, then start the new cases' workflows."""

    def register_batch(self, cases: Sequence[tuple[Registration, Sequence[Step]]]) -> list[BatchResult]:
        """New cases, each with its first steps, in one go. For a case it did not register (nothing was done):
        `Stored` where the registration names a stored case (as the API derives its id), else None: one whose
        credit code has a history (corrected away from its first case, or claimed by a correction), to register
        one by one."""


class ApplicationCommands:
    """`Commands` straight on the event-sourced application: tests, and loading a store without Temporal."""

    def __init__(self, app: FormationApplication, actor: str, today: date) -> None:
        self.app, self.actor, self.today = app, actor, today
        self._batch_steps: tuple[UUID, dict[str, int]] | None = None  # the last batch receipt read, by case

    def register(self, registration: Registration) -> UUID:
        return self.app.register_organization(registration, self.actor, self.today).id

    def holder(self, credit_code: str) -> UUID | None:
        return self.app.holder(credit_code)

    def region_of(self, org_id: UUID) -> str | None:
        """The region of a stored case, None for none."""
        try:
            return self.app.case(org_id).region_code
        except CaseNotFound:
            return None

    def answered(self, org_id: UUID, command_id: str) -> bool:
        """Whether a step with this command id was applied to the case before (a refused one was not: sent
        again, it is reported again with its refusal)."""
        if command_id in self.batch_steps(org_id):
            return True
        try:
            receipt: object = self.app.repository.get(receipt_id(str(org_id), command_id))
        except AggregateNotFoundError:
            return False
        return isinstance(receipt, Receipt) and receipt.refusal is None

    def batch_steps(self, org_id: UUID) -> dict[str, int]:
        """The steps the case was registered with in a batch (command id -> version); none for a case
        registered alone. Kept for the last case asked: a file imported again asks for each of its rows."""
        if self._batch_steps is not None and self._batch_steps[0] == org_id:
            return self._batch_steps[1]
        try:
            receipt: object = self.app.repository.get(batch_receipt_id(str(org_id)))
        except AggregateNotFoundError:
            receipt = None  # kept too: a case registered alone has none, now or later
        assert receipt is None or isinstance(receipt, BatchReceipt)
        # Written once with its case, never changed.
        self._batch_steps = (org_id, receipt.versions if receipt is not None else {})
        return self._batch_steps[1]

    def step(self, org_id: UUID, step: Step) -> bool:
        if step.command_id is not None and self.answered(org_id, step.command_id):
            return False
        self.app.perform(org_id, step, self.actor, self.today)
        return True

    def form_joint_branch(
        self, name: str, org_ids: Sequence[UUID], party_org_type: PartyOrgType, reason: str, *,
        occurred_on: date | None = None, command_id: str | None = None,
    ) -> None:
        stamp = Stamp(self.actor, occurred_on or self.today, reason)
        self.app.form_joint_branch(name, list(org_ids), party_org_type, stamp, command_id)

    def register_batch(self, cases: Sequence[tuple[Registration, Sequence[Step]]]) -> list[BatchResult]:
        """One transaction with the events `register_organization` and `perform` would write case by case
        (one transaction per command manages a few hundred cases a second)."""
        return self.save_batch(cases)[0]

    def save_batch(self, cases: Sequence[tuple[Registration, Sequence[Step]]]
                   ) -> tuple[list[BatchResult], list[Organization]]:
        """`register_batch`, also giving the new cases as saved.

        A case is built here with the id of its code's first case (`organization_id`) and a new claim of its code
        (as `register_organization` claims it): where that case or a claim exists, the save collides, and the
        case is left out: the stored case its registration names, looked up once here (the import and the
        adoption of its workflow take it from the answer), or for `register` (its own id, the claim moved, or
        credit_code_taken). So a batch of new codes reads nothing per case."""
        ids = [organization_id(r.credit_code, r.region_code, r.name) for r, _ in cases]
        new = set(range(len(cases)))
        if ids and self._exists(ids[0]):  # likely a file imported before: spare the save that would fail
            new = {i for i in new if not self._taken(ids[i], cases[i][0])}

        def save() -> tuple[list[BatchResult], list[Organization]]:
            saved: list[Aggregate] = []
            taken: dict[str, str] = {}  # relations placed by the batch's cases so far: key -> organization id
            results: list[BatchResult] = [self._build(*cases[i], saved, taken) if i in new else None
                                          for i in range(len(cases))]
            self.app.save(*saved)
            return results, [o for o in saved if isinstance(o, Organization)]

        def leave_out_existing(_: RetryCallState) -> None:
            new.difference_update({i for i in new if self._taken(ids[i], cases[i][0])})

        # Some cases or codes' claims exist already (another import meanwhile, a code corrected away or onto
        # another case): leave them out and try once more.
        once_more = Retrying(stop=stop_after_attempt(2), retry=retry_if_exception_type(IntegrityError),
                             before_sleep=leave_out_existing, reraise=True)
        results, saved = once_more(save)
        return [result if i in new else self._stored(cases[i][0], ids[i]) for i, result in enumerate(results)], saved

    def _stored(self, registration: Registration, org_id: UUID) -> Stored | None:
        """The stored case a registration left out of the batch names. Without a credit code that is the case
        found there (`org_id`, its only id); with one, the case that holds the code, found as the API finds it."""
        if registration.credit_code is None:
            return Stored(org_id)
        return Stored(stored) if (stored := self.app.registered_case(registration)) is not None else None

    def _build(self, reg: Registration, steps: Sequence[Step], out: list[Aggregate], taken: dict[str, str]
               ) -> StepResults:
        """The case with its steps, and where its members' relations now sit. A step placing a relation held
        elsewhere (in the store or by an earlier case of the batch) is refused: found after it ran, the case is
        built again without it (rare: the rules come before any event, this one needs the registry)."""
        refused: dict[int, DomainError] = {}
        while True:
            org, receipts, conflict, results = self._built(reg, steps, refused, taken)
            if conflict is None:
                break
            refused[conflict[0]] = relations.elsewhere(conflict[1])
        moved = self.app.relations_moved(org, {}, taken)
        taken.update(dict.fromkeys(relations.placed(org), str(org.id)))
        if reg.command_id:  # the answer to a repeat: the case then, bound to its request as registering binds it
            out.append(Receipt(scope=str(org.id), command_id=reg.command_id, versions={str(org.id): 1},
                               fingerprint=registration_fingerprint(reg, self.actor), refusal=None))
        if receipts:  # one receipt for the steps (an import's member rows): not one a step
            out.append(BatchReceipt(scope=str(org.id), versions=receipts))
        claim = [CreditCodeClaim(credit_code=reg.credit_code, organization_id=str(org.id))] if reg.credit_code else []
        out += [org, *moved, *claim]
        return results

    def _built(self, reg: Registration, steps: Sequence[Step], refused: dict[int, DomainError],
               taken: dict[str, str]
               ) -> tuple[Organization, dict[str, int], tuple[int, str] | None, StepResults]:
        """(case, its steps' command ids with the version after each, the first step that placed a relation
        held elsewhere with its member, results)."""
        org = Organization(stamp=Stamp(self.actor, reg.occurred_on or self.today, reg.reason), **reg.facts())
        receipts: dict[str, int] = {}
        results: StepResults = []
        held: dict[str, str] = {}  # the relations the case holds so far (a new case: none), read once a step
        for i, step in enumerate(steps):
            if i in refused:
                results.append(refused[i])
                continue
            try:
                step.apply(org, Stamp(self.actor, step.occurred_on or self.today, step.reason), self.app.thresholds)
            except DomainError as error:  # the rules are checked before any event: the case is unchanged
                results.append(error)
                continue
            placed = relations.placed(org)
            for key in [k for k in placed if k not in held]:
                relation = self.app.relation(key)
                holder = (relation.organization_id if relation is not None else None) or taken.get(key)
                if holder not in (None, str(org.id)):
                    return org, receipts, (i, placed[key]), results
            held = placed
            results.append(None)
            if step.command_id:
                receipts[step.command_id] = org.version
        return org, receipts, None, results

    def _taken(self, org_id: UUID, registration: Registration) -> bool:
        """Whether the case a batch would build exists, or its code's claim (then `register` derives its id)."""
        code = registration.credit_code
        return self._exists(org_id) or (code is not None and self._exists(claim_id(code)))

    def _exists(self, aggregate_id: UUID) -> bool:
        return any(True for _ in self.app.recorder.select_events(aggregate_id, limit=1))


class WorkflowCommands:
    """`Commands` through the cases' workflows, as the API sends them (the CLI's import and demo).

    New cases in a batch are saved in one transaction straight to the event store (no workflow exists for
    them yet, so nothing else can be writing them) and then handed to their workflows; every other command
    goes through the case's workflow, its single writer.
    """

    ADOPTING_AT_ONCE = ADOPTING_AT_ONCE  # workflow starts in flight while handing over a batch
    # Workflow tasks left waiting before the next batch is saved and its workflows start, and how long to wait
    # for that. Started faster than the workers take them, first tasks pile up in the task queue's backlog,
    # which the dev server stores in SQLite and hands out far more slowly than a task matched to a waiting
    # worker at once: with 20,000 cases started ahead it gave out 3.5 first tasks a second (BENCHMARKS.md).
    # None: no waiting. 0, not a batch's worth: the next batch's save then has the CPU that the dev server and
    # the worker would take from it, and the backlog stays out of SQLite (1,511 cases, the same run against
    # 200: into the event store 0.59 instead of 0.28 of the rate without Temporal, every case's workflow running
    # 0.90 instead of 0.73 of the bare start + first task, BENCHMARKS.md).
    WAITING_TASKS: int | None = 0
    WAIT_FOR_WORKERS = 120.0

    def __init__(self, client: FormationClient, app: FormationApplication, actor: str, today: date,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.client, self.direct, self.actor, self.today, self.loop = client, ApplicationCommands(app, actor, today), \
            actor, today, loop

    def register(self, registration: Registration) -> UUID:
        return self.loop.run_until_complete(self.client.registered(registration, self.actor, self.today)).id

    def holder(self, credit_code: str) -> UUID | None:
        return self.direct.holder(credit_code)

    def step(self, org_id: UUID, step: Step) -> bool:
        if step.command_id is not None and self.direct.answered(org_id, step.command_id):
            return False
        self.loop.run_until_complete(self.client.stepped(org_id, step, self.actor, self.today))
        return True

    def form_joint_branch(
        self, name: str, org_ids: Sequence[UUID], party_org_type: PartyOrgType, reason: str, *,
        occurred_on: date | None = None, command_id: str | None = None,
    ) -> None:
        self.loop.run_until_complete(self.client.form_joint_branch(
            name, org_ids, party_org_type, self.actor, occurred_on or self.today, reason=reason, command_id=command_id))

    def register_batch(self, cases: Sequence[tuple[Registration, Sequence[Step]]]) -> list[BatchResult]:
        results, saved = self.direct.save_batch(cases)
        # Each new workflow starts with its case as just saved, instead of loading it from the event store in a
        # local activity of its first workflow task: a third less of the worker's CPU per adopted case (22.5 ->
        # 15.4 ms on the 2-core machine, BENCHMARKS.md), and no read of the case back from the store.
        thresholds = self.direct.app.thresholds
        adopted: dict[UUID, CaseState | None] = {o.id: case_state(o, self.today, thresholds) for o in saved}
        # Cases stored before are adopted too (a running workflow is left as it is, a missing one loads its
        # case): an import stopped between a batch's commit and its workflows' starts, run again, finishes.
        # Those left out for a credit code's history are registered one by one, by their own workflows.
        adopted.update((r.organization_id, None) for r in results if isinstance(r, Stored))
        self.loop.run_until_complete(self._adopt(adopted))
        return results

    async def _adopt(self, cases: dict[UUID, CaseState | None]) -> None:
        await self._start(cases)
        await self._wait_for_workers()

    async def _start(self, cases: dict[UUID, CaseState | None]) -> None:  # timed apart by bench/paths.py
        await adopt_all(self.client, cases.items(), self.ADOPTING_AT_ONCE)

    async def _wait_for_workers(self) -> None:
        if (most := self.WAITING_TASKS) is None:
            return
        until_taken = AsyncRetrying(stop=stop_after_delay(self.WAIT_FOR_WORKERS), wait=wait_fixed(0.2),
                                    retry=retry_if_result(lambda waiting: waiting is not None and waiting > most),
                                    retry_error_callback=lambda _: None)  # waited long enough: go on
        await until_taken(self.client.waiting_workflow_tasks)
