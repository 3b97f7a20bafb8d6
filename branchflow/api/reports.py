"""Reads for people watching many cases: the case list, status boards, statistics, the ledger and the audit trail.

All of them read the projections; a user sees only their region scope, and a narrower one on request.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from branchflow.api.auth import CurrentUser, require_role, scoped_region
from branchflow.api.errors import FieldError
from branchflow.api.examples import BOARD, example
from branchflow.api.services import services
from branchflow.api.users import Role, User
from branchflow.domain.values import CalendarDate, RegionPrefix
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
from branchflow.projections.audit import MAX_PAGE_SIZE as MAX_AUDIT_PAGE_SIZE

router = APIRouter(prefix="/api/v1", tags=["boards and reports"])

READERS = (Role.SUPERVISOR, Role.ADMIN)
MAX_PAGE = 100_000  # far past any region's last page, and (page - 1) * page_size stays a PostgreSQL bigint
MAX_CASE_PAGE_SIZE = 500
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _region(user: User, region: str | None) -> str:
    chosen = scoped_region(user, region)
    if not chosen:
        raise FieldError("region", "region is required: your scope is the whole country, give a region prefix")
    return chosen


# A query model takes every query parameter of its route (FastAPI), and these forbid unknown ones: so the
# route's other parameters are fields here too, and `region` may be left out (the user's own scope).
class ScopeQuery(Scope):
    region: RegionPrefix | None = None  # type: ignore[assignment]


class LedgerQuery(ScopeQuery):
    format: Literal["csv", "xlsx"] = "csv"


class CaseQuery(CaseFilters):
    region: RegionPrefix | None = None  # type: ignore[assignment]
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=50, ge=1, le=MAX_CASE_PAGE_SIZE)


S = TypeVar("S", bound=Scope)


def _scoped(user: User, query: ScopeQuery | CaseQuery, model: type[S]) -> S:
    """The query as the projections take it, in the user's scope."""
    values = query.model_dump(include=set(model.model_fields))
    return model.model_validate({**values, "region": _region(user, query.region)})


@router.get("/organizations", response_model=CasePage, summary="The case list (organizers' work queues)")
def organizations(request: Request, user: CurrentUser, query: Annotated[CaseQuery, Query()]) -> CasePage:
    filters = _scoped(user, query, CaseFilters)
    with services(request).pool.connection() as conn:
        return case_list(conn, filters, page=query.page, page_size=query.page_size)


@router.get("/boards/status", response_model=StatusBoard, summary="Status board for a region and filters",
            responses={200: example(BOARD)})
def board(request: Request, user: CurrentUser, query: Annotated[ScopeQuery, Query()]) -> StatusBoard:
    with services(request).pool.connection() as conn:
        return status_board(conn, _scoped(user, query, Scope))


@router.get("/reports/statistics", response_model=Statistics, summary="Party organizations and members")
def report_statistics(request: Request, user: CurrentUser, region: RegionPrefix | None = None) -> Statistics:
    with services(request).pool.connection() as conn:
        return statistics(conn, _region(user, region), date.today())


@router.get("/reports/ledger", summary="The work ledger (工作台帐): a row per case, as CSV or XLSX",
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def report_ledger(request: Request, user: CurrentUser, query: Annotated[LedgerQuery, Query()]) -> Response:
    scoped = _scoped(user, query, Scope)
    with services(request).pool.connection() as conn:
        rows = ledger_rows(conn, scoped)
    name = f"ledger-{scoped.region}.{query.format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if query.format == "xlsx":
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
    request: Request, user: CurrentUser, region: RegionPrefix | None = None, actor: str | None = None,
    since: CalendarDate | None = None, until: CalendarDate | None = None, case_id: UUID | None = None,
    page: Page = 1, page_size: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE_SIZE)] = 100,
) -> AuditPage:
    require_role(user, *READERS)
    with services(request).pool.connection() as conn:
        return audit_trail(conn, scoped_region(user, region), actor=actor, since=since, until=until,
                           case_id=case_id, page=page, page_size=page_size)
