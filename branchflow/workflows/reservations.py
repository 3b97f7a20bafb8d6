"""Activities that hold and release organizations' workflows for a joint branch (updates sent by a client).

A workflow cannot send an update to another workflow, so these activities do it with the worker's
client. Update ids derive from the joint branch, so a retried activity lands on the same update.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from branchflow.workflows.case_state import Applied
from branchflow.workflows.commands import Release, Reservation
from branchflow.workflows.failures import case_not_found, passed_on
from branchflow.workflows.formation import FormationWorkflow, workflow_id


class HoldRequest(BaseModel):
    organization_id: UUID
    reservation: Reservation


class ReleaseRequest(BaseModel):
    organization_id: UUID
    release: Release


class ReservationActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="reserve_organization")
    async def reserve(self, request: HoldRequest) -> Applied:
        handle = self.client.get_workflow_handle_for(FormationWorkflow.run, workflow_id(request.organization_id))
        try:
            return await handle.execute_update(FormationWorkflow.reserve, request.reservation,
                                               id=f"reserve-{request.reservation.joint_branch_id}")
        except WorkflowUpdateFailedError as e:
            raise passed_on(e) from None
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND:
                raise case_not_found(request.organization_id) from None
            raise

    @activity.defn(name="release_organization")
    async def release(self, request: ReleaseRequest) -> None:
        handle = self.client.get_workflow_handle_for(FormationWorkflow.run, workflow_id(request.organization_id))
        try:
            await handle.execute_update(FormationWorkflow.release, request.release,
                                        id=f"release-{request.release.joint_branch_id}")
        except RPCError as e:
            if e.status != RPCStatusCode.NOT_FOUND:  # no workflow, nothing held
                raise
