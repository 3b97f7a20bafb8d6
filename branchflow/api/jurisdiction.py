"""Names of regions and responsible committees (api.md `GET /regions`, `GET /committees`): what people type and
read instead of codes, and which committee answers for a case (谁主管、谁负责)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from branchflow.api.auth import CurrentUser
from branchflow.api.errors import FieldError
from branchflow.api.services import services
from branchflow.domain.case import CaseView, CommitteeView
from branchflow.domain.registration import Registration
from branchflow.projections.committees import Committee, CommitteeKind, committee, committees, street_committee
from branchflow.projections.regions import SEARCH_LIMIT, Region, is_known_county, region_names, search_regions

router = APIRouter(prefix="/api/v1", tags=["regions and committees"])

Digits = Annotated[str, Query(pattern=r"^[0-9]{0,12}$", description="a region code prefix (2 to 12 digits)")]
Text = Annotated[str | None, Query(min_length=1, max_length=50, description="part of a name, or a code's start")]


@router.get("/regions", response_model=list[Region], summary="Region names: a region's next level, or a search")
def regions(request: Request, user: CurrentUser, prefix: Digits = "", q: Text = None) -> list[Region]:
    """Without `q`, the regions one level below `prefix` (the provinces without a prefix); with `q`, the
    regions under `prefix` whose name contains `q` or whose code starts with it (at most 50, higher levels
    first). Names are not confined to the caller's scope: they are public, the cases are not."""
    with services(request).pool.connection() as conn:
        return search_regions(conn, prefix, q, SEARCH_LIMIT)


def unknown_county(request: Request, region_code: str) -> str | None:
    """Why a new case may not be registered in this region: its county is not one the names' table knows (a
    typo in the county part would open a region nobody watches). Streets and communities may be unknown:
    not every admin imports them."""
    with services(request).pool.connection() as conn:
        if is_known_county(conn, region_code):
            return None
    return (f"county {region_code[:6]} of region code {region_code} is not a known county "
            "(province, city and county codes ship with branchflow: GB/T 2260)")


@router.get("/committees", response_model=list[Committee], summary="The responsible party committees")
def list_committees(request: Request, user: CurrentUser) -> list[Committee]:
    """Every committee of the registry (`branchflow committee add`), in code order: territorial ones (街道党工委,
    乡镇党委) and industry ones (行业党委), each with the region it sits in."""
    with services(request).pool.connection() as conn:
        return committees(conn)


def committee_problem(request: Request, code: str, region_code: str) -> str | None:
    """Why this committee cannot answer for a case in this region: not in the registry, or a territorial
    committee of another territory. (An industry committee answers for its cases wherever they are.)"""
    with services(request).pool.connection() as conn:
        found = committee(conn, code)
    if found is None:
        return f"no committee {code!r} in the registry (branchflow committee add)"
    if found.kind is CommitteeKind.TERRITORIAL and not region_code.startswith(found.region):
        return f"{found.name} ({code}) is the territorial committee of {found.region}, not of {region_code}"
    return None


def with_committee(request: Request, registration: Registration) -> Registration:
    """The registration with its responsible committee: the one given, checked (422 naming the field), or
    by default the territorial committee of its street when one is registered."""
    if registration.responsible_committee is not None:
        if problem := committee_problem(request, registration.responsible_committee, registration.region_code):
            raise FieldError("responsible_committee", problem)
        return registration
    with services(request).pool.connection() as conn:
        default = street_committee(conn, registration.region_code)
    return registration if default is None else registration.model_copy(update={"responsible_committee": default.code})


def named(request: Request, case: CaseView) -> CaseView:
    """The case with its region's and its committee's names beside their codes."""
    code = case.responsible_committee.code if case.responsible_committee else None
    with services(request).pool.connection() as conn:
        region = region_names(conn, [case.region_code]).get(case.region_code)
        found = committee(conn, code) if code else None
    return case.model_copy(update={"region_name": region, "responsible_committee": CommitteeView(
        code=code, name=found.name if found else None) if code else None})
