"""Reads for people watching many cases: the case list, status boards, statistics, the ledger and the audit trail.

All of them read the projections; a user sees only their region scope, and a narrower one on request.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from branchflow.api.access import READERS, narrowed, require_role, scoped_region
from branchflow.api.auth import TokenCaller
from branchflow.api.errors import FieldError
from branchflow.api.examples import BOARD, example
from branchflow.api.limits import QueryText
from branchflow.api.reads import Connection, answered
from branchflow.api.use_cases import (
    MAX_PAGE,
    XLSX,
    FileFormat,
    Page,
    ReportDate,
    formation_table_of,
    ledger_file,
    past_or_live,
    table_file,
)
from branchflow.api.users import User
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
    ledger_rows,
    statistics,
    status_board,
)
from branchflow.projections.audit import MAX_PAGE_SIZE as MAX_AUDIT_PAGE_SIZE
from branchflow.projections.board import committee_board
from branchflow.projections.formation_table import FormationTable, GroupBy
from branchflow.projections.regions import region_names

router = APIRouter(prefix="/api/v1", tags=["boards and reports"])

MAX_CASE_PAGE_SIZE = 500


def _region(user: User, region: str | None) -> str:
    chosen = scoped_region(user, region)
    if not chosen:
        raise FieldError("region", "region is required: your scope is the whole country, give a region prefix")
    return chosen


# A query model takes every query parameter of its route (FastAPI), and these forbid unknown ones: so the
# route's other parameters are fields here too, and `region` may be left out (the user's own scope).
class ScopeQuery(Scope):
    region: RegionPrefix | None = None  # type: ignore[assignment]
    # The figures at the end of that business date, as known now (later corrections of it included).
    as_of: ReportDate | None = None


class BoardQuery(ScopeQuery):
    by: Literal["region", "industry"] = "region"  # industry: also the figures per GB/T 4754 section
    group_by: Literal["committee"] | None = None  # committee: also the figures per responsible committee


class LedgerQuery(ScopeQuery):
    format: FileFormat = "csv"
    group_by: Literal["committee"] | None = None  # committee: rows grouped by responsible committee


class TableQuery(ScopeQuery):
    format: Literal["json", "csv", "xlsx"] = "json"
    compare: ReportDate | None = None  # a second date, side by side, with the change per cell
    group_by: GroupBy = "subtype"


class CaseQuery(CaseFilters):
    region: RegionPrefix | None = None  # type: ignore[assignment]
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=50, ge=1, le=MAX_CASE_PAGE_SIZE)


S = TypeVar("S", bound=Scope)


def _scoped(user: User, query: ScopeQuery | CaseQuery, model: type[S]) -> S:
    """The query as the projections take it, in the user's scope."""
    values = query.model_dump(include=set(model.model_fields))
    return model.model_validate(narrowed(user, {**values, "region": _region(user, query.region)}))


@router.get("/organizations", response_model=CasePage, summary="The case list (organizers' work queues)")
async def organizations(request: Request, who: TokenCaller, query: Annotated[CaseQuery, Query()]) -> Response:
    def read(conn: Connection, user: User) -> CasePage:
        filters = _scoped(user, query, CaseFilters)
        return case_list(conn, filters, page=query.page, page_size=query.page_size)

    return await answered(request, who, read)


@router.get("/boards/status", response_model=StatusBoard, summary="Status board for a region and filters",
            responses={200: example(BOARD)})
async def board(request: Request, who: TokenCaller, query: Annotated[BoardQuery, Query()]) -> Response:
    def read(conn: Connection, user: User) -> StatusBoard:
        scope = _scoped(user, query, Scope)
        with past_or_live(conn, query.as_of) as (cases, _):
            board = status_board(conn, scope, cases, by_industry=query.by == "industry")
            if query.group_by == "committee":
                board.by_committee = committee_board(conn, scope, cases)
            return board

    return await answered(request, who, read)


@router.get("/reports/statistics", response_model=Statistics, summary="Party organizations and members")
async def report_statistics(request: Request, who: TokenCaller, query: Annotated[BoardQuery, Query()]) -> Response:
    """The board's filters narrow the statistics too; `by=industry` adds them per GB/T 4754 section."""
    def read(conn: Connection, user: User) -> Statistics:
        scope = _scoped(user, query, Scope)
        day = query.as_of or date.today()
        with past_or_live(conn, query.as_of) as (cases, members):
            return statistics(conn, scope, day, cases, members, by_industry=query.by == "industry")

    return await answered(request, who, read)


@router.get("/reports/formation-table", response_model=FormationTable,
            summary="The statistics table (建立党的基层组织情况), as JSON, CSV or XLSX",
            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument."
                                         "spreadsheetml.sheet": {}}}})
async def formation_table(request: Request, who: TokenCaller, query: Annotated[TableQuery, Query()]) -> Response:
    def read(conn: Connection, user: User) -> FormationTable | Response:
        scope = _scoped(user, query, Scope)
        table = formation_table_of(conn, scope, query.as_of, query.compare, query.group_by)
        if query.format == "json":
            return table
        return table_file(table, query.format, region_names(conn, [scope.region]).get(scope.region))

    return await answered(request, who, read)


@router.get("/reports/ledger", summary="The work ledger (工作台帐): a row per case, as CSV or XLSX",
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
async def report_ledger(request: Request, who: TokenCaller, query: Annotated[LedgerQuery, Query()]) -> Response:
    def read(conn: Connection, user: User) -> Response:
        scoped = _scoped(user, query, Scope)
        with past_or_live(conn, query.as_of) as (cases, _):
            rows = ledger_rows(conn, scoped, cases, group_by_committee=query.group_by == "committee")
        return ledger_file(rows, scoped.region, query.format)

    return await answered(request, who, read)


class ProjectionStatus(BaseModel):
    lag: int  # events recorded and not yet in the boards and reports


@router.get("/projections", response_model=ProjectionStatus, summary="How far the read models trail the events")
async def projection_status(request: Request, who: TokenCaller) -> Response:
    return await answered(request, who, lambda conn, _: ProjectionStatus(lag=lag(conn)))


@router.get("/audit", response_model=AuditPage, summary="The audit trail across cases (supervisors)")
async def audit(
    request: Request, who: TokenCaller, region: RegionPrefix | None = None, actor: QueryText | None = None,
    since: CalendarDate | None = None, until: CalendarDate | None = None, case_id: UUID | None = None,
    page: Page = 1, page_size: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE_SIZE)] = 100,
) -> Response:
    def read(conn: Connection, user: User) -> AuditPage:
        require_role(user, *READERS)
        return audit_trail(conn, scoped_region(user, region), actor=actor, since=since, until=until,
                           committee=user.committee, case_id=case_id, page=page, page_size=page_size)

    return await answered(request, who, read)
