"""FormationWorkflow: one per organization, the single writer of its case's events.

Every organizer or supervisor step is the update `step`: its validator rejects a case outside the caller's
scope and a step the case's last known `next_actions` do not offer, before anything runs; the handler runs a
local activity that appends the events through `FormationApplication.perform` and answers the case's new
version (`Applied`: the client composes the view from the event store). The case state it holds is compact
(case_state.py): it is written into the history with every step. Handlers take turns on one lock, so one
command at a time touches the case. The main loop keeps an alarm on the organization's next deadline and
escalates it when it passes unmet; people in member development have a child workflow each, holding their
timers and reporting back here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    # Not `from branchflow.workflows import deadlines`: a submodule named in a fromlist is imported past the
    # sandbox's passthrough, so deadlines.py would run again for every workflow instance (BENCHMARKS.md).
    import branchflow.workflows.deadlines as deadlines
    from branchflow.domain.case import CaseView, ObligationView
    from branchflow.domain.rules import Stage
    from branchflow.workflows.activities import (
        EscalateInput,
        FormationActivities,
        LoadInput,
        PerformInput,
        RegisterInput,
        RemindInput,
    )
    from branchflow.workflows.alarm import Alarm
    from branchflow.workflows.case_state import Applied, CaseState, NewVersion, Shape
    from branchflow.workflows.commands import RegisterCommand, Release, Reservation, StepCommand
    from branchflow.workflows.deadlines import PersonSchedule
    from branchflow.workflows.development import MemberDevelopmentWorkflow, PersonDue, development_workflow_id
    from branchflow.workflows.failures import (
        ALREADY_REGISTERED,
        NON_RETRYABLE,
        case_not_found,
        concurrent_change,
        expected,
        not_offered,
        out_of_scope,
        passed_on,
        rule_failure,
    )

    # Re-exported: the client and the tests know them from here.
    from branchflow.workflows.formation_state import DEFAULT_STEPS_BEFORE_CONTINUE as DEFAULT_STEPS_BEFORE_CONTINUE
    from branchflow.workflows.formation_state import FormationState as FormationState
    from branchflow.workflows.search import search_updates, search_values

RECENT_COMMANDS = 1000  # command ids remembered (across continue-as-new) so a repeat skips validation
# Reminders before a deadline (a term ending, a transfer due; issue 17) came after workflows that ran without
# them: their histories replay without reminders, and runs started since remind (workflow.patched).
REMINDERS_PATCH = "deadline-reminders"
# A step that recounts its joint branch in the other organizations' cases tells their workflows, which load
# the recount at once (issue 13); runs from before waited for the others' next step (workflow.patched).
RECOUNTS_PATCH = "joint-branch-recounts"
# Runs started since answer a step with its version and keep a compact case state, no view (issue 19: history
# per step 9.8 -> 3.3 KB, BENCHMARKS.md "History per step"); runs started before keep asking the activities
# for the view and answering it, so that a worker of the release before can still replay them.
COMPACT_PATCH = "compact-case-state"
# Runs started since write the case state coded (the offered steps as a number, no joint-branch rule: the domain's
# guard refuses a blocked reservation), answer a command with its version alone and upsert only the search
# attributes that changed (issue 19: history per step 2.3 -> ~1.8 KB, BENCHMARKS.md "History per step").
CODED_PATCH = "coded-case-state"
# Runs started since have the three patches above in one: each `patched` writes a marker and an upsert of
# TemporalChangeVersion, six of the eight commands of an adopted case's first workflow task (issue 19: its
# history 2,492 -> 1,932 B, BENCHMARKS.md "The import (issue 19)"). Runs started before still ask for the
# three, as they recorded them.
SINCE_CODED_PATCH = "since-coded-case-state"
HOLD_TIMEOUT = timedelta(minutes=10)  # a joint branch's hold ends by itself if its workflow vanished
# Only the rules' answers end a command: Temporal keeps an update's outcome under its id (the command id),
# so a failure for a passing fault would be given again to every retry. A store that is down makes the
# command wait instead; the client stops waiting after a while and its retry finds the same update.
STEP_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=5),
                         non_retryable_error_types=list(NON_RETRYABLE))
# A reminder or escalation is one read and one append: a worker lost in the middle (kill -9) is noticed after this
# long and the attempt retried, recorded once by its command id. Only the scheduled event's attribute changes,
# which replay does not compare: no patch needed (tests/workflows/test_replay.py).
RECORD_TIMEOUT = timedelta(seconds=10)
TIMER_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), non_retryable_error_types=list(NON_RETRYABLE))

T = TypeVar("T")
R = TypeVar("R", RemindInput, EscalateInput)  # what a deadline's record is given


def workflow_id(organization_id: UUID) -> str:
    return f"organization-{organization_id}"


@workflow.defn
class FormationWorkflow:
    @workflow.init
    def __init__(self, state: FormationState) -> None:
        self.state = state
        self.lock = asyncio.Lock()
        self.revision = 0  # bumped on every change the main loop must look at
        self.steps = 0  # commands applied in this run
        self.ended = False  # no case behind this workflow (its registration failed)
        self.alarm = Alarm("deadline")
        self.attempted: set[str] = set()  # deadlines escalated (or tried) in this run
        self.published: tuple[str, str, bool] | None = None
        self.reminding = False
        # The shape of the case state and of the answers, by the patches the run started under (case_state.Shape);
        # a registration's handler runs before `run`: only its activity's input sees this first value.
        self.shape = Shape.CODED

    @workflow.run
    async def run(self, state: FormationState) -> Applied | None:
        # First thing in the run: the same task on replay.
        if workflow.patched(SINCE_CODED_PATCH):
            self.reminding, self.shape = True, Shape.CODED
        else:
            self.reminding = workflow.patched(REMINDERS_PATCH)
            # Both asked, in this order, as before: every run records (or replays) the same markers.
            compact = workflow.patched(COMPACT_PATCH)
            self.shape = Shape.of_run(compact=compact, coded=workflow.patched(CODED_PATCH))
        if self.state.case is None and not self.state.awaiting_registration:
            await self._adopt()
        await workflow.wait_condition(lambda: self.state.case is not None or self.ended)
        while (case := self.state.case) is not None and case.stage is not Stage.CLOSED:
            self._publish(case)
            if self._should_continue():
                break
            await self._sync_people()
            self.alarm.set(self._next_moment())
            revision = self.revision
            await workflow.wait_condition(
                lambda: self.revision != revision or self._due() or self._should_continue()  # noqa: B023
            )
            await self._attend()
        await workflow.wait_condition(workflow.all_handlers_finished)
        case = self.state.case
        if case is not None and case.stage is not Stage.CLOSED:
            # The next run is compact (its patch is new to it): the view a run before it held is left behind.
            workflow.continue_as_new(self.state.model_copy(update={"case": case.model_copy(update={"view": None})}))
        if case is None:  # its registration was refused (a reused command id, say): there is no case to close
            return None
        await self._sync_people()  # a closed case: every development workflow finishes
        return Applied.of(case)

    # --- commands -----------------------------------------------------------------------------

    @workflow.update
    async def register(self, command: RegisterCommand) -> CaseView | Applied | NewVersion:
        async with self.lock:
            try:
                state = await self._local(FormationActivities.register, RegisterInput(command=command,
                                                                                      shape=self.shape))
            except ApplicationError as e:
                if self.state.case is None and e.type == ALREADY_REGISTERED:
                    with suppress(ApplicationError):
                        await self._reload()  # the case was stored without this workflow: it takes the case over
                self.ended = self.state.case is None
                raise
            self.state.registered_by = command.registration.command_id
            return self._applied(state, command.registration.command_id)

    @register.validator
    def _validate_register(self, command: RegisterCommand) -> None:
        if self.state.case is not None and command.registration.command_id != self.state.registered_by:
            org = self.state.organization_id
            raise expected(f"organization {org} is already registered", str(org), type=ALREADY_REGISTERED)

    @workflow.update
    async def step(self, command: StepCommand) -> CaseView | Applied | NewVersion:
        await self._ready()
        async with self.lock:
            command_id = command.step.command_id
            # Again under the lock: a step before this one may have moved the case (a corrected region), and a
            # case not loaded when the validator ran was not checked there.
            if command_id not in self.state.recent_commands and (what := self._outside(command)) is not None:
                raise out_of_scope(what)
            # Held since the validator passed: wait for the joint branch (release needs no lock).
            await workflow.wait_condition(
                lambda: self.state.held_by is None or command_id in self.state.recent_commands)
            state = await self._local(FormationActivities.perform, PerformInput(
                organization_id=self.state.organization_id, command=command, shape=self.shape))
            recounted, state.recounted = state.recounted, []
            answer = self._applied(state, command_id)
            if recounted and workflow.patched(RECOUNTS_PATCH):
                await asyncio.gather(*(self._tell_recounted(org_id) for org_id in recounted))
            return answer

    @step.validator
    def _validate_step(self, command: StepCommand) -> None:
        case = self.state.case
        if case is None or command.step.command_id in self.state.recent_commands:
            return  # not loaded yet, or a repeat (answered from its receipt): the domain decides
        if (what := self._outside(command)) is not None:
            raise out_of_scope(what)
        if self.state.held_by is not None:
            raise concurrent_change(self.state.organization_id, non_retryable=True)
        action = command.step.action
        # next_actions only grow with the date (a year of cultivation, of probation): a later step date
        # than the one they were computed for is judged by the domain alone. The rule that forbids it is not
        # held here (it was most of a step's history): the client asks the domain for it.
        if action not in case.next_actions and command.business_date <= case.as_of:
            raise not_offered(action)

    def _outside(self, command: StepCommand) -> str | None:
        case = self.state.case
        if command.scope is None or case is None:
            return None
        return command.scope.outside(case.region_code, case.responsible_committee)

    @workflow.update
    async def reserve(self, reservation: Reservation) -> Applied:
        await self._ready()
        async with self.lock:  # an update in flight finishes first
            self._validate_reserve(reservation)
            if self.state.held_by is None:
                self.state.held_by, self.state.held_since = reservation.joint_branch_id, workflow.now()
                self.revision += 1
            return Applied.of(self._case())

    @reserve.validator
    def _validate_reserve(self, reservation: Reservation) -> None:
        # A coded state holds no `join_blocked`: the joint branch's activity refuses a blocked organization with
        # the domain's guard and message (a refusal then costs a hold and its release, not every step's bytes).
        if self.state.held_by == reservation.joint_branch_id or self.state.case is None:
            return
        if self.state.held_by is not None:
            raise concurrent_change(self.state.organization_id, non_retryable=True)
        if (blocked := self.state.case.join_blocked) is not None:
            raise rule_failure(blocked.rule, blocked.message)

    @workflow.update
    def release(self, release: Release) -> None:
        # No lock: a step may be waiting under it for this very release.
        if self.state.held_by != release.joint_branch_id:
            return
        self.state.held_by = self.state.held_since = None
        self.revision += 1
        if release.state is not None:
            self._applied(release.state, None)

    @workflow.signal
    def person_due(self, report: PersonDue) -> None:
        if report not in self.state.reports:
            self.state.reports.append(report)

    @workflow.signal
    def recounted(self) -> None:
        """A step on another organization of the joint branch recounted it in this case: load the case."""
        self.state.recount_to_load = True

    @workflow.query
    def case(self) -> CaseState | None:
        return self.state.case

    @workflow.query
    def details(self) -> FormationState:
        return self.state

    # --- deadlines ----------------------------------------------------------------------------

    def _next_moment(self) -> datetime | None:
        if self.state.held_since is not None:
            return self.state.held_since + HOLD_TIMEOUT
        assert self.state.case is not None
        waiting = [o for o in self._own_deadlines() if deadlines.key(o) not in self.attempted]
        moment = deadlines.first_passing(waiting)
        if self.reminding:
            ringing = [deadlines.day_begins(on) for o, on in deadlines.reminders(self._case(), self.state.reminded)
                       if deadlines.reminder_key(o, on) not in self.attempted]
            moment = min(filter(None, [moment, *ringing]), default=None)
        return moment

    def _own_deadlines(self) -> list[ObligationView]:
        """The deadlines this workflow escalates: the organization's, and (since reminders) those of members
        no development workflow watches (a transfer under way); the others' are their own workflows'."""
        view = self._case()
        own = deadlines.pending(view, "")
        if self.reminding:
            watched = set(deadlines.tracked_people(view))
            own += [o for o in view.obligations if o.subject and o.subject not in watched and o.due_on is not None
                    and not o.overdue]
        return own

    def _due(self) -> bool:
        return self.alarm.rung or (self.state.held_by is None and (bool(self.state.reports)
                                                                   or self.state.recount_to_load))

    async def _attend(self) -> None:
        """Whatever woke the main loop: a hold that expired, deadlines passed, persons' reports."""
        if self.state.held_by is not None:
            if self.alarm.rung:  # the joint branch never released it: let go, and read what it may have written
                self.state.held_by = self.state.held_since = None
                async with self.lock:
                    await self._reload()
            return
        async with self.lock:  # reservations take the lock too: `held_by` stays as it is inside
            if self.state.held_by is not None:
                return
            if self.state.recount_to_load:
                self.state.recount_to_load = False
                await self._reload()  # obligations and deadlines from the joint branch's recount
            if self.alarm.rung:
                if self.reminding:
                    await self._remind()
                for obligation in self._own_deadlines():
                    await self._escalate_if_passed(obligation)
            while self.state.reports:
                report = self.state.reports.pop(0)
                if (day := deadlines.opening_day(report.key)) is not None:
                    if self._case().as_of < day:
                        await self._reload()  # a step opens today: next_actions change
                    continue
                for obligation in deadlines.pending(self._case(), report.person_id):
                    if deadlines.key(obligation) == report.key:
                        await self._escalate_if_passed(obligation)

    async def _remind(self) -> None:
        """Records the reminders whose day has begun, once each; of several passed at once (a case adopted
        late) only the latest is recorded: the earlier ones have nothing left to say."""
        now = workflow.now()
        latest: dict[str, tuple[ObligationView, date]] = {}
        for obligation, on in sorted(deadlines.reminders(self._case(), self.state.reminded), key=lambda r: r[1]):
            if deadlines.day_begins(on) > now or deadlines.reminder_key(obligation, on) in self.attempted:
                continue
            if (earlier := latest.get(deadlines.key(obligation))) is not None:
                self.state.reminded.append(deadlines.reminder_key(*earlier))  # passed over
            latest[deadlines.key(obligation)] = (obligation, on)
        for obligation, on in latest.values():
            key = deadlines.reminder_key(obligation, on)
            self.attempted.add(key)
            given = RemindInput(organization_id=self.state.organization_id, obligation=obligation, on=on,
                                today=self._today(), shape=self.shape)
            if (state := await self._recorded(FormationActivities.remind, given, "reminding of", key)) is None:
                continue
            self.state.reminded.append(key)
            self._applied(state, None)
        # Only the reminders of deadlines still standing are worth remembering.
        standing = {deadlines.reminder_key(o, on) for o in self._case().obligations for on in o.reminders}
        self.state.reminded = [k for k in dict.fromkeys(self.state.reminded) if k in standing]

    async def _escalate_if_passed(self, obligation: ObligationView) -> None:
        key = deadlines.key(obligation)
        passed = obligation.due_on is not None and deadlines.passes_at(obligation.due_on) <= workflow.now()
        if not passed or key in self.attempted:
            return
        self.attempted.add(key)
        given = EscalateInput(organization_id=self.state.organization_id, obligation=obligation, today=self._today(),
                              shape=self.shape)
        if (state := await self._recorded(FormationActivities.escalate, given, "escalating", key)) is not None:
            self._applied(state, None)

    async def _recorded(self, activity: Callable[[FormationActivities, R], CaseState], given: R, doing: str,
                        key: str) -> CaseState | None:
        """A reminder's or an escalation's record, as its activity answers it (retried as timers are); None: it
        failed (logged), and the caller goes on without it."""
        try:
            return await workflow.execute_activity_method(activity, given, start_to_close_timeout=RECORD_TIMEOUT,
                                                          retry_policy=TIMER_RETRY)
        except ActivityError as e:
            workflow.logger.warning("%s %s failed: %s", doing, key, e.cause)
            return None

    # --- member development -------------------------------------------------------------------

    async def _sync_people(self) -> None:
        """Starts, reschedules and finishes the development workflows to match the case."""
        case = self._case()
        wanted = {p: deadlines.person_schedule(case, case.as_of, p) for p in deadlines.tracked_people(case)}
        calls: list[Awaitable[None]] = []
        for person_id, schedule in wanted.items():
            if self.state.people.get(person_id) != schedule:
                calls.append(self._tell(schedule, new=person_id not in self.state.people))
                self.state.people[person_id] = schedule
        for person_id in [p for p in self.state.people if p not in wanted]:
            calls.append(self._signal(person_id, MemberDevelopmentWorkflow.finish))
            del self.state.people[person_id]
        if calls:
            await asyncio.gather(*calls)

    async def _tell(self, schedule: PersonSchedule, *, new: bool) -> None:
        if new:
            try:
                await workflow.start_child_workflow(
                    MemberDevelopmentWorkflow.run, schedule,
                    id=development_workflow_id(workflow.info().workflow_id, schedule.person_id),
                    # Children outlive each run of this workflow (continue-as-new); a closed case finishes them.
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                )
                return
            except WorkflowAlreadyStartedError:
                pass
        await self._signal(schedule.person_id, MemberDevelopmentWorkflow.reschedule, schedule)

    async def _signal(self, person_id: str, signal: Callable[..., Any], *args: Any) -> None:
        child = workflow.get_external_workflow_handle(development_workflow_id(workflow.info().workflow_id, person_id))
        try:
            await child.signal(signal, *args)
        except FailureError as e:
            workflow.logger.warning("development workflow of %s did not take a signal: %s", person_id, e)

    async def _tell_recounted(self, org_id: UUID) -> None:
        other = workflow.get_external_workflow_handle(workflow_id(org_id))
        try:
            await other.signal(FormationWorkflow.recounted)
        except FailureError as e:  # a case without a running workflow reads the recount when it is adopted
            workflow.logger.warning("the workflow of %s did not take the recount: %s", org_id, e)

    # --- state --------------------------------------------------------------------------------

    async def _ready(self) -> CaseState:
        await workflow.wait_condition(lambda: self.state.case is not None or self.ended)
        if self.state.case is None:
            raise case_not_found(self.state.organization_id)
        return self.state.case

    async def _adopt(self) -> None:
        async with self.lock:
            try:
                await self._reload()
            except ApplicationError:
                self.ended = True

    async def _reload(self) -> None:
        given = LoadInput(organization_id=self.state.organization_id, today=self._today(), shape=self.shape)
        self._applied(await self._local(FormationActivities.load, given), None)

    async def _local(self, activity: Callable[[Any, Any], T], arg: Any) -> T:
        try:
            return await workflow.execute_local_activity_method(
                activity, arg, start_to_close_timeout=timedelta(seconds=10), retry_policy=STEP_RETRY)
        except ActivityError as e:
            raise passed_on(e) from None

    def _applied(self, state: CaseState, command_id: str | None) -> CaseView | Applied | NewVersion:
        """Takes the activity's answer as the case's state, unless it is an older one (a repeated command's);
        answers the command's version (a run started before the compact state: its view; before the coded
        state: with the case's id and date)."""
        if self.state.case is None or state.version >= self.state.case.version:
            self.state.case = state
            self.revision += 1
        self.steps += 1
        if command_id is not None and command_id not in self.state.recent_commands:
            self.state.recent_commands = [*self.state.recent_commands[-(RECENT_COMMANDS - 1):], command_id]
        self._publish(self.state.case)
        if self.shape is Shape.WHOLE and state.view is not None:
            return state.view
        if self.shape is Shape.CODED:
            return NewVersion(version=state.version)
        return Applied.of(state)

    def _publish(self, case: CaseState) -> None:
        values = search_values(case)
        if values != self.published:
            # Runs before the coded state upserted all three whenever one changed.
            changed_only = self.shape is Shape.CODED
            workflow.upsert_search_attributes(search_updates(values, self.published if changed_only else None))
            self.published = values

    def _should_continue(self) -> bool:
        return self.steps >= self.state.steps_before_continue or workflow.info().is_continue_as_new_suggested()

    def _case(self) -> CaseState:
        assert self.state.case is not None
        return self.state.case

    def _today(self) -> date:
        return deadlines.business_date(workflow.now())
