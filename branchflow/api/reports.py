"""Reads for people watching many cases: the case list, status boards, statistics, the ledger and the audit trail.

All of them read the projections; a user sees only their region scope, and a narrower one on request.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from branchflow.api.auth import CurrentUser, require_role, scoped_region
from branchflow.api.errors import FieldError
from branchflow.api.services import services
from branchflow.api.users import Role, User
from branchflow.projections import (
    AuditPage,
    CaseFilters,
    CasePage,
    Scope,
    Statistics,
    StatusBoard,
    audit_trail,
    case_list,
    lag,
    ledger_csv,
    ledger_rows,
    ledger_xlsx,
    statistics,
    status_board,
)

router = APIRouter(prefix="/api/v1", tags=["boards and reports"])

READERS = (Role.SUPERVISOR, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _region(user: User, region: str | None) -> str:
    chosen = scoped_region(user, region)
    if not chosen:
        raise FieldError("region", "region is required: your scope is the whole country, give a region prefix")
    return chosen


@router.get("/organizations", response_model=CasePage, summary="The case list (organizers' work queues)")
def organizations(
    request: Request, user: CurrentUser, filters: Annotated[CaseFilters, Query()],
    page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CasePage:
    scoped = filters.model_copy(update={"region": _region(user, filters.region)})
    with services(request).pool.connection() as conn:
        return case_list(conn, scoped, page=page, page_size=page_size)


@router.get("/boards/status", response_model=StatusBoard, summary="Status board for a region and filters")
def board(request: Request, user: CurrentUser, scope: Annotated[Scope, Query()]) -> StatusBoard:
    scoped = scope.model_copy(update={"region": _region(user, scope.region)})
    with services(request).pool.connection() as conn:
        return status_board(conn, scoped)


@router.get("/reports/statistics", response_model=Statistics, summary="Party organizations and members")
def report_statistics(request: Request, user: CurrentUser, region: str | None = None) -> Statistics:
    with services(request).pool.connection() as conn:
        return statistics(conn, _region(user, region), date.today())


@router.get("/reports/ledger", summary="The work ledger (工作台帐): a row per case, as CSV or XLSX",
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def report_ledger(
    request: Request, user: CurrentUser, scope: Annotated[Scope, Query()], format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    scoped = scope.model_copy(update={"region": _region(user, scope.region)})
    with services(request).pool.connection() as conn:
        rows = ledger_rows(conn, scoped)
    name = f"ledger-{scoped.region}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        return Response(ledger_xlsx(rows), media_type=XLSX, headers=headers)
    return Response(ledger_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)


class ProjectionStatus(BaseModel):
    lag: int  # events recorded and not yet in the boards and reports


@router.get("/projections", response_model=ProjectionStatus, summary="How far the read models trail the events")
def projection_status(request: Request, user: CurrentUser) -> ProjectionStatus:
    with services(request).pool.connection() as conn:
        return ProjectionStatus(lag=lag(conn))


@router.get("/audit", response_model=AuditPage, summary="The audit trail across cases (supervisors)")
def audit(
    request: Request, user: CurrentUser, region: str | None = None, actor: str | None = None,
    since: date | None = None, until: date | None = None, case_id: UUID | None = None,
    page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    require_role(user, *READERS)
    with services(request).pool.connection() as conn:
        return audit_trail(conn, scoped_region(user, region), actor=actor, since=since, until=until,
                           case_id=case_id, page=page, page_size=page_size)
