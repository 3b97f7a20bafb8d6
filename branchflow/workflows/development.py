"""MemberDevelopmentWorkflow: one child workflow per person on the way to membership.

applicant → activist → development target → probationary → formal. The organization's workflow starts
it when the person is recorded and tells it the person's schedule after every step that changes it;
the child holds the person's timers (talk within a month, half-yearly activist review, approval within
three months, conversion vote at the end of probation, and the days the next step opens) and reports
each one back to its parent by signal. It never writes: the parent is the case's single writer. It
ends when the parent tells it the person became a formal member or left.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    # Not `from branchflow.workflows import deadlines`: a submodule named in a fromlist is imported past the
    # sandbox's passthrough, so deadlines.py would run again for every workflow instance (BENCHMARKS.md).
    import branchflow.workflows.deadlines as deadlines
    from branchflow.workflows.alarm import Alarm
    from branchflow.workflows.deadlines import PersonSchedule

PERSON_DUE_SIGNAL = "person_due"  # FormationWorkflow's signal (named: the parent imports this module)


class PersonDue(BaseModel):
    person_id: str
    key: str  # a deadline's key, or `deadlines.opening_key(day)`


def development_workflow_id(parent_workflow_id: str, person_id: str) -> str:
    return f"{parent_workflow_id}-person-{person_id}"


@workflow.defn
class MemberDevelopmentWorkflow:
    @workflow.init
    def __init__(self, schedule: PersonSchedule) -> None:
        self.schedule = schedule
        self.revision = 0
        self.finished = False
        self.reported: set[str] = set()
        self.alarm = Alarm("person deadline")

    @workflow.run
    async def run(self, schedule: PersonSchedule) -> None:
        parent = workflow.info().parent
        parent_id = parent.workflow_id if parent else f"organization-{schedule.organization_id}"
        while not self.finished:
            self.alarm.set(min((at for at, _ in self._moments()), default=None))
            revision = self.revision
            await workflow.wait_condition(
                lambda: self.finished or self.revision != revision or self.alarm.rung  # noqa: B023
            )
            now = workflow.now()
            for at, key in self._moments():
                if at <= now and not self.finished:
                    self.reported.add(key)
                    try:
                        await workflow.get_external_workflow_handle(parent_id).signal(
                            PERSON_DUE_SIGNAL, PersonDue(person_id=self.schedule.person_id, key=key))
                    except FailureError:
                        return  # the organization's workflow has ended (the case is closed)
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self.schedule)

    @workflow.signal
    def reschedule(self, schedule: PersonSchedule) -> None:
        self.schedule = schedule
        self.reported &= {key for _, key in self._moments(include_reported=True)}
        self.revision += 1

    @workflow.signal
    def finish(self) -> None:
        self.finished = True

    @workflow.query
    def current(self) -> PersonSchedule:
        return self.schedule

    def _moments(self, *, include_reported: bool = False) -> list[tuple[datetime, str]]:
        """What this person waits for, not yet reported: deadlines passing, and the day a step opens."""
        found = [(deadlines.passes_at(o.due_on), deadlines.key(o))
                 for o in self.schedule.deadlines if o.due_on is not None]
        if (opens := self.schedule.opens_on) is not None:
            found.append((deadlines.day_begins(opens), deadlines.opening_key(opens)))
        return sorted(m for m in found if include_reported or m[1] not in self.reported)
