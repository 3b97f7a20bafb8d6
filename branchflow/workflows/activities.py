"""Activities: thin calls into the event-sourced `FormationApplication`, the only code that writes events.

Each returns the case's new `CaseState` (compact: case_state.py). The application keeps a receipt per command
id in the same transaction as the events, so an activity retried after a crash (or a client repeating a command)
appends once and answers the same. Domain errors leave as typed, non-retryable `ApplicationError`s.
The methods are synchronous (psycopg): the worker runs them in a thread pool.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from branchflow.domain.application import FormationApplication
from branchflow.domain.case import ObligationView
from branchflow.domain.obligations import Obligation, obligations
from branchflow.domain.stamp import Stamp
from branchflow.workflows.case_state import CaseState, Shaped, case_state
from branchflow.workflows.commands import JointBranchCommand, RegisterCommand, StepCommand
from branchflow.workflows.failures import CONCURRENT_CHANGE, as_application_errors, concurrent_change
from branchflow.workflows.signing import check_signature


# Each input names the shape of the case state its run keeps (case_state.Shape, formation.py).
class RegisterInput(Shaped):
    command: RegisterCommand


class PerformInput(Shaped):
    organization_id: UUID
    command: StepCommand


class LoadInput(Shaped):
    organization_id: UUID
    today: date


class EscalateInput(Shaped):
    organization_id: UUID
    obligation: ObligationView
    today: date


class RemindInput(Shaped):
    organization_id: UUID
    obligation: ObligationView
    on: date  # the reminder's day
    today: date


class FormationActivities:
    def __init__(self, app: FormationApplication, *, delay_after_save: float = 0.0, delay_after_reminder: float = 0.0,
                 key: bytes | None = None) -> None:
        self.app = app
        self.key = key  # commands must carry the API's signature under it (signing.py); None: not checked
        # Fault injection for the crash tests: a pause between the commit and the answer (of a step, of a reminder).
        self.delay_after_save = delay_after_save
        self.delay_after_reminder = delay_after_reminder

    @activity.defn(name="register_organization")
    def register(self, given: RegisterInput) -> CaseState:
        command = given.command
        workflow = activity.info().workflow_id or ""
        check_signature(self.key, "register", workflow, command)
        try:
            with as_application_errors():
                # The case is the workflow's (formation.workflow_id names it): where the code changed hands since
                # the client chose the workflow (registration_id), nothing is written.
                org = self.app.register_organization(command.registration, command.actor, command.today,
                                                     at=_organization_of(workflow))
        except ApplicationError as e:
            if e.type == CONCURRENT_CHANGE:  # retrying here chooses the same other id: the caller's retry rechooses
                raise concurrent_change(e.details[0] if e.details else None, non_retryable=True) from None
            raise
        with as_application_errors():
            self._pause()
            return case_state(org, command.today, self.app.thresholds, given.shape)

    @activity.defn(name="perform_step")
    def perform(self, given: PerformInput) -> CaseState:
        command = given.command
        check_signature(self.key, "step", activity.info().workflow_id or "", command)
        recounted: list[UUID] = []
        with as_application_errors():
            org = self.app.perform(given.organization_id, command.step, command.actor, command.today, recounted)
            self._pause()
            state = case_state(org, command.today, self.app.thresholds, given.shape)
            return state.model_copy(update={"recounted": recounted})

    @activity.defn(name="load_case")
    def load(self, given: LoadInput) -> CaseState:
        with as_application_errors():
            return case_state(self.app.case(given.organization_id), given.today, self.app.thresholds,
                              given.shape)

    @activity.defn(name="escalate_deadline")
    def escalate(self, given: EscalateInput) -> CaseState:
        """Records a passed deadline once (its command id is the deadline's key); a met one is left alone."""
        due = given.obligation
        assert due.due_on is not None
        obligation = Obligation(due.rule, due.due_on, due.subject)
        since = due.due_on + timedelta(days=1)
        with as_application_errors():
            org = self.app.case(given.organization_id)
            if obligation in obligations(org, self.app.thresholds):
                org = self.app.escalate(given.organization_id, obligation, since, f"escalate/{obligation.key}")
            return case_state(org, given.today, self.app.thresholds, given.shape)

    @activity.defn(name="remind_deadline")
    def remind(self, given: RemindInput) -> CaseState:
        """Records a reminder once (its command id names it), while its deadline still stands."""
        due = given.obligation
        obligation = Obligation(due.rule, due.due_on, due.subject)
        with as_application_errors():
            org = self.app.case(given.organization_id)
            if obligation in obligations(org, self.app.thresholds):
                org = self.app.remind(given.organization_id, obligation, given.on,
                                      f"remind/{given.on.isoformat()}/{obligation.key}")
                if self.delay_after_reminder > 0:
                    time.sleep(self.delay_after_reminder)
            return case_state(org, given.today, self.app.thresholds, given.shape)

    @activity.defn(name="form_joint_branch")
    def form_joint_branch(self, command: JointBranchCommand) -> list[CaseState]:
        check_signature(self.key, "joint_branch", activity.info().workflow_id or "", command)
        with as_application_errors():
            orgs = self.app.form_joint_branch(
                command.name, command.organization_ids, command.party_org_type,
                Stamp(command.actor, command.today, command.reason), command.command_id,
            )
            self._pause()
            return [case_state(org, command.today, self.app.thresholds) for org in orgs]

    def _pause(self) -> None:
        if self.delay_after_save > 0:
            time.sleep(self.delay_after_save)


def _organization_of(workflow_id: str) -> UUID | None:
    """The case a formation workflow's id names (`formation.workflow_id`, which imports this module)."""
    try:
        return UUID(workflow_id.removeprefix("organization-"))
    except ValueError:
        return None
