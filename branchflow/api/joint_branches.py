"""Joint branches (联合组建): one branch over several neighbouring organizations, formed all or nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from branchflow.api.access import APPROVERS, narrowed, require_role, scoped_region
from branchflow.api.auth import CurrentUser
from branchflow.api.services import services
from branchflow.api.use_cases import case_in_scope, named
from branchflow.domain.case import CaseView
from branchflow.domain.joint_branch import joint_branch_groupings
from branchflow.domain.rules import PartyOrgType, Stage, branch_members
from branchflow.domain.values import BusinessDate, Reason, RegionPrefix, Title
from branchflow.projections import CaseFilters, case_list

router = APIRouter(prefix="/api/v1/joint-branches", tags=["joint branches"])


class JointBranchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Title
    organization_ids: Annotated[list[UUID], Field(min_length=2, max_length=20)]
    party_org_type: PartyOrgType = PartyOrgType.BRANCH
    reason: Reason = ""
    occurred_on: BusinessDate | None = None
    command_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class Grouping(BaseModel):
    street: str
    industry: str
    organization_ids: list[UUID]
    names: list[str]
    members: int  # transferred-in formal members together


@router.post("", response_model=list[CaseView], summary="Form one joint branch over several organizations")
async def form(request: Request, user: CurrentUser, body: JointBranchRequest) -> list[CaseView]:
    # Forming a party organization is approved by the organization department.
    require_role(user, *APPROVERS)
    system = services(request)
    for org_id in body.organization_ids:  # read off the event loop, as every database call of a coroutine
        await run_in_threadpool(case_in_scope, system, user, org_id)
    formed = await system.formation.form_joint_branch(
        body.name, body.organization_ids, body.party_org_type, user.name, body.occurred_on or date.today(),
        reason=body.reason, command_id=body.command_id,
    )
    # With their region's and committee's names, as GET /organizations/{id} shows each (they were null here).
    return [await run_in_threadpool(named, system, case) for case in formed]


@router.get("/candidates", response_model=list[Grouping], summary="Suggested joint branches in a region")
def candidates(
    request: Request, user: CurrentUser, region: Annotated[RegionPrefix | None, Query()] = None,
) -> list[Grouping]:
    system = services(request)
    region = scoped_region(user, region)
    t = system.application.thresholds
    ids: list[UUID] = []
    with system.pool.connection() as conn:
        # Only open cases with fewer formal members than a branch of their own needs can join one.
        for number in range(1, 10_000):
            filters = CaseFilters.model_validate(narrowed(user, {"region": region, "formed": False}))
            page = case_list(conn, filters, page=number, page_size=500)
            ids += [c.id for c in page.items if c.stage is not Stage.CLOSED and 0 < c.formal_members < t.branch_members]
            if number * page.page_size >= page.total:
                break
    orgs = [system.application.case(i) for i in ids]
    return [
        Grouping(street=g[0].region_code[:9], industry=g[0].industry, organization_ids=[o.id for o in g],
                 names=[o.name for o in g], members=sum(branch_members(o) for o in g))
        for g in joint_branch_groupings(orgs, t)
    ]
