"""Cases: register, read, and move one step at a time (api.md "Cases"). Steps go through the case's workflow."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool

from branchflow.api.auth import CurrentUser, disclosed, require_region, require_role, require_step_in_scope
from branchflow.api.errors import FieldError
from branchflow.api.examples import CASE, HISTORY, REGISTRATION, example
from branchflow.api.jurisdiction import committee_problem, named, unknown_county, with_committee
from branchflow.api.services import services
from branchflow.api.users import Role, User
from branchflow.domain.actions import SUPERVISOR_ACTIONS, Action, ChangeResponsibleCommittee, Step, parse_action
from branchflow.domain.application import HistoryEntry
from branchflow.domain.case import CaseView, case_view
from branchflow.domain.errors import AlreadyRegistered, RuleViolation
from branchflow.domain.registration import Registration
from branchflow.runtime.bootstrap import Services

router = APIRouter(prefix="/api/v1", tags=["cases"])

STEP_ROLES = (Role.ORGANIZER, Role.SUPERVISOR)

STEP_EXAMPLES = {
    "add_member": {"value": {"action": "add_member", "name": "王芳", "gender": "female", "birth_date": "1988-05-02",
                             "education": "bachelor", "status": "formal", "relation_transferred": True,
                             "command_id": "7b1e0c1e-add-member-1"}},
    "request_formal_branch": {"value": {"action": "request_formal_branch", "name": "某电子科技有限公司党支部"}},
    "approve_formal_branch": {"value": {"action": "approve_formal_branch", "reason": "条件成熟，同意成立"}},
}


def today() -> date:
    return date.today()



def _case(request: Request, user: CurrentUser, org_id: UUID) -> CaseView:
    system = services(request)
    org = system.application.case(org_id)
    require_region(user, org.region_code)
    return named(request, case_view(org, today(), system.application.thresholds))


@router.post("/organizations", status_code=201, response_model=CaseView, summary="Register an organization",
             responses={201: example(CASE)})
async def register(
    request: Request, user: CurrentUser,
    registration: Annotated[Registration, Body(openapi_examples={"enterprise": {"value": REGISTRATION}})],
) -> CaseView:
    require_role(user, *STEP_ROLES)
    require_region(user, registration.region_code)
    # Re-validated with today's date so that business dates in the future are refused.
    checked = Registration.model_validate(registration.model_dump(), context={"today": today()})
    if problem := await run_in_threadpool(unknown_county, request, checked.region_code):
        raise FieldError("region_code", problem)
    checked = await run_in_threadpool(with_committee, request, checked)
    system = services(request)
    try:
        case = await system.formation.register(checked, user.name, today())
    except AlreadyRegistered as duplicate:
        raise await run_in_threadpool(disclosed, system.application, user, duplicate) from None
    return await run_in_threadpool(named, request, case)


@router.get("/organizations/{org_id}", response_model=CaseView, summary="One case with its figures and next actions",
            responses={200: example(CASE)})
def get_case(request: Request, user: CurrentUser, org_id: UUID) -> CaseView:
    return _case(request, user, org_id)


@router.post("/organizations/{org_id}/actions", response_model=CaseView, summary="Take one step on a case",
             responses={200: example(CASE)})
async def act(
    request: Request, user: CurrentUser, org_id: UUID,
    step: Annotated[Action, Body(openapi_examples=STEP_EXAMPLES)],
) -> CaseView:
    require_role(user, *STEP_ROLES)
    if step.action in SUPERVISOR_ACTIONS:
        require_role(user, Role.SUPERVISOR)
    # Off the event loop: a database that is slow to answer must not hold every other request.
    org = await run_in_threadpool(services(request).application.case, org_id)
    require_region(user, org.region_code)
    checked = parse_action(step.model_dump(), today())
    require_step_in_scope(user, checked)
    if isinstance(checked, ChangeResponsibleCommittee) and (problem := await run_in_threadpool(
            committee_problem, request, checked.responsible_committee, org.region_code)):
        raise FieldError("responsible_committee", problem)
    case = await perform_step(services(request), org_id, checked, user)
    return await run_in_threadpool(named, request, case)


async def perform_step(system: Services, org_id: UUID, step: Step, user: User) -> CaseView:
    """The step through the case's workflow (the API's and the pages' door). A refusal spends its command id,
    also when the workflow's validator refused it before any activity ran (nothing is stored for it there)."""
    try:
        return await system.formation.step(org_id, step, user.name, today())
    except RuleViolation as refusal:
        await run_in_threadpool(system.application.refused, org_id, step, user.name, refusal)
        raise


@router.get("/organizations/{org_id}/history", response_model=list[HistoryEntry], summary="The case's audit trail",
            responses={200: example(HISTORY)})
def history(request: Request, user: CurrentUser, org_id: UUID) -> list[HistoryEntry]:
    system = services(request)
    require_region(user, system.application.case(org_id).region_code)
    return system.application.history(org_id)
