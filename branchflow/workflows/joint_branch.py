"""JointBranchWorkflow: one joint branch over several organizations, all or nothing.

It holds every member organization's workflow (the update `reserve`: a held workflow refuses other steps; in
runs before the coded case state its validator also refused an organization that may not join, since then
the domain's guard does, below), then one activity saves every organization's event in one transaction
(`FormationApplication.form_joint_branch`, which checks each may join), then it releases
each workflow with its new state. On any failure it releases them all unchanged: nothing was written.
Its id derives from the command id, its caller and its request, so a repeated command finds the first run
and its answer.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID, uuid5

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from branchflow.domain.receipt import joint_branch_fingerprint
    from branchflow.workflows.activities import FormationActivities
    from branchflow.workflows.case_state import Applied, CaseState
    from branchflow.workflows.commands import JointBranchCommand, Release, Reservation
    from branchflow.workflows.failures import CONCURRENT_CHANGE, NON_RETRYABLE, passed_on
    from branchflow.workflows.reservations import HoldRequest, ReleaseRequest, ReservationActivities

JOINT_BRANCH_NAMESPACE = UUID("5a8c2f4e-1d3b-4e6a-9c7f-0b2d4e6f8a1c")
HOLD_RETRY = RetryPolicy(maximum_attempts=3, non_retryable_error_types=[*NON_RETRYABLE, CONCURRENT_CHANGE])
FORM_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=list(NON_RETRYABLE))
TIMEOUT = timedelta(seconds=30)


def joint_branch_workflow_id(command: JointBranchCommand) -> str:
    """From the command id, its caller and its request: another caller's or another request's command with the
    same id runs apart and never gets this one's answer (its application receipt then refuses a reuse)."""
    fingerprint = joint_branch_fingerprint(command.name, command.organization_ids, command.party_org_type.value,
                                           command.reason, command.actor)
    return f"joint-branch-{uuid5(JOINT_BRANCH_NAMESPACE, f'{command.actor}/{command.command_id}/{fingerprint}')}"


@workflow.defn
class JointBranchWorkflow:
    @workflow.run
    async def run(self, command: JointBranchCommand) -> list[Applied]:
        joint_id = workflow.info().workflow_id
        org_ids = list(dict.fromkeys(command.organization_ids))
        holds = await asyncio.gather(*(self._reserve(o, joint_id) for o in org_ids), return_exceptions=True)
        failure = next((h for h in holds if isinstance(h, BaseException)), None)
        states: list[CaseState] = []
        if failure is None:
            try:
                states = await workflow.execute_activity_method(
                    FormationActivities.form_joint_branch, command, start_to_close_timeout=TIMEOUT,
                    retry_policy=FORM_RETRY)
            except ActivityError as e:
                failure = e
        # Every organization is released, also those whose hold seemed to fail (it may have landed).
        by_id = {s.id: s for s in states}
        await asyncio.gather(*(self._release(o, joint_id, by_id.get(o)) for o in org_ids))
        if failure is not None:
            raise passed_on(failure)
        return [Applied.of(s) for s in states]  # the client composes their views

    async def _reserve(self, organization_id: UUID, joint_id: str) -> Applied:
        request = HoldRequest(organization_id=organization_id, reservation=Reservation(joint_branch_id=joint_id))
        return await workflow.execute_activity_method(
            ReservationActivities.reserve, request, start_to_close_timeout=TIMEOUT, retry_policy=HOLD_RETRY)

    async def _release(self, organization_id: UUID, joint_id: str, state: CaseState | None) -> None:
        request = ReleaseRequest(organization_id=organization_id,
                                 release=Release(joint_branch_id=joint_id, state=state))
        # Retried until it lands: a held organization takes no other step.
        await workflow.execute_activity_method(ReservationActivities.release, request, start_to_close_timeout=TIMEOUT)
