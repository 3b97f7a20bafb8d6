"""Cases: register, read, and move one step at a time (api.md "Cases"). Steps go through the case's workflow."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Request

from branchflow.api import use_cases
from branchflow.api.access import STEP_ROLES, require_role
from branchflow.api.auth import CurrentUser
from branchflow.api.examples import CASE, HISTORY, REGISTRATION, example
from branchflow.api.services import services
from branchflow.domain.actions import Action
from branchflow.domain.application import HistoryEntry
from branchflow.domain.case import CaseView
from branchflow.domain.errors import UnknownPerson
from branchflow.domain.registration import Registration

router = APIRouter(prefix="/api/v1", tags=["cases"])

STEP_EXAMPLES = {
    "add_member": {"value": {"action": "add_member", "name": "王芳", "gender": "female", "birth_date": "1988-05-02",
                             "education": "bachelor", "status": "formal", "relation_transferred": True,
                             "command_id": "7b1e0c1e-add-member-1"}},
    "request_formal_branch": {"value": {"action": "request_formal_branch", "name": "某电子科技有限公司党支部"}},
    "approve_formal_branch": {"value": {"action": "approve_formal_branch", "reason": "条件成熟，同意成立"}},
}


# OpenAPI links: what a client (and a stateful fuzzer) can do next with the case an answer shows: read it, its
# audit trail, take a step on it — any step, or the one every open case allows (its headcount as it stands,
# the link's whole body, so that a chain of calls reaches a step that is taken and not only refused).
def _on_the_case(*names: str) -> dict[str, Any]:
    links: dict[str, dict[str, Any]] = {
        "GetCase": {"operationId": "get_case_api_v1_organizations__org_id__get", "description": "the case"},
        "TakeStep": {"operationId": "act_api_v1_organizations__org_id__actions_post", "description": "a step on it"},
        "ReportHeadcount": {
            "operationId": "act_api_v1_organizations__org_id__actions_post",
            "description": "its headcount reported again as it stands, a step every open case allows",
            "requestBody": {"action": "report_headcount", "employees": "$response.body#/employees",
                            "above_scale": "$response.body#/above_scale"},
            "x-schemathesis": {"merge_body": False}},
        "History": {"operationId": "history_api_v1_organizations__org_id__history_get",
                    "description": "its audit trail"},
    }
    return {"links": {name: {**links[name], "parameters": {"org_id": "$response.body#/id"}} for name in names}}


@router.post("/organizations", status_code=201, response_model=CaseView, summary="Register an organization",
             responses={201: {**example(CASE), **_on_the_case("GetCase", "TakeStep", "ReportHeadcount", "History")}})
async def register(
    request: Request, user: CurrentUser,
    registration: Annotated[Registration, Body(openapi_examples={"enterprise": {"value": REGISTRATION}})],
) -> CaseView:
    require_role(user, *STEP_ROLES)
    return await use_cases.register(services(request), user, registration)


@router.get("/organizations/{org_id}", response_model=CaseView, summary="One case with its figures and next actions",
            responses={200: {**example(CASE), **_on_the_case("TakeStep", "ReportHeadcount", "History")}})
def get_case(request: Request, user: CurrentUser, org_id: UUID) -> CaseView:
    system = services(request)
    return use_cases.viewed(system, use_cases.case_in_scope(system, user, org_id), user)


@router.post("/organizations/{org_id}/actions", response_model=CaseView, summary="Take one step on a case",
             responses={200: {**example(CASE), **_on_the_case("GetCase", "TakeStep", "History")}})
async def act(
    request: Request, user: CurrentUser, org_id: UUID,
    step: Annotated[Action, Body(openapi_examples=STEP_EXAMPLES)],
) -> CaseView:
    values = step.model_dump()
    try:
        return await use_cases.take_step(services(request), user, org_id, values)
    except UnknownPerson as unknown:
        # The domain knows only the id; the 422 names the field of this step that gave it (member_id,
        # introducer_ids, contact_ids, ...), not a `person_id` the step may not have.
        person = unknown.person_id
        unknown.field = next((name for name, value in values.items()
                              if value == person or (isinstance(value, list) and person in value)), unknown.field)
        raise


@router.get("/organizations/{org_id}/history", response_model=list[HistoryEntry], summary="The case's audit trail",
            responses={200: example(HISTORY)})
def history(request: Request, user: CurrentUser, org_id: UUID) -> list[HistoryEntry]:
    system = services(request)
    return use_cases.history_shown(system, user, use_cases.case_in_scope(system, user, org_id))
