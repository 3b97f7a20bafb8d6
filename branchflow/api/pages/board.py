"""看板: the status board of the person's region, with drill-down to the next-level regions.

It reads the same projection as `GET /api/v1/boards/status`, under the same region-scope rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from branchflow.api.access import narrowed, scoped_region
from branchflow.api.pages import charts, labels
from branchflow.api.pages.forms import field_errors
from branchflow.api.pages.places import choose_region, named_path, page_places, region_by_name
from branchflow.api.pages.web import PageRoute, SignedIn, error_page, percent, query_values, render, scope_path
from branchflow.api.services import services
from branchflow.domain.values import parse_region_prefix
from branchflow.projections import (
    CaseFilters,
    Scope,
    StatusBoard,
    case_list,
    one_transfer_away,
    queue_counts,
    status_board,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SCOPE_FIELDS = ("region", "kind", "subtype", "industry", "above_scale", "founded_year", "responsible_committee")
LIST_LENGTH = 10


def link(path: str, **params: Any) -> str:
    """A page address with the given query parameters, leaving out the empty ones."""
    query = urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()
                       if v is not None and v != ""})
    return f"{path}?{query}" if query else path


def page_links(path: str, values: Mapping[str, Any], page: int, last: int) -> tuple[str | None, str | None]:
    """The previous and the next page's addresses of a paged list (None at either end)."""
    return (link(path, **values, page=page - 1) if page > 1 else None,
            link(path, **values, page=page + 1) if page < last else None)


def scope_errors(error: ValidationError) -> str:
    return "；".join(f"{labels.FIELDS.get(f, f)}：{m}" for f, m in field_errors(error).items())


def page_region(session: SignedIn, raw: str | None, request: Request | None = None) -> str:
    """The region a page shows: the person's scope by default, never wider (403 otherwise). With `request`,
    a region may be given by its name as well as its code."""
    if raw and request is not None and not raw.strip().isdigit():
        raw = region_by_name(request, session.user, raw.strip())
    if raw:
        try:
            raw = parse_region_prefix(raw)
        except ValueError as e:
            raise HTTPException(422, f"地区代码有误：{e}") from None
    return scoped_region(session.user, raw)


def quick_links(scope: Scope, request: Request) -> list[tuple[str, str]]:
    """The questions asked most often, each a filtered case list."""
    t = services(request).application.thresholds
    base = scope.model_dump(exclude_none=True)
    return [
        (f"大于{t.party_organization_employees}人未覆盖",
         link("/cases", **base, min_employees=t.party_organization_employees + 1, organization_covered=False)),
        (f"大于{t.develop_members_employees}人无党员",
         link("/cases", **base, min_employees=t.develop_members_employees + 1, stage="NO_MEMBERS")),
        ("规模以上未组建", link("/cases", **{**base, "above_scale": True}, formed=False)),
    ]


def board_charts(board: StatusBoard, scope: Scope) -> dict[str, Any]:
    filters = scope.model_dump(exclude_none=True, exclude={"region"})
    groups = [
        charts.Group(labels.region_label(c.region), (
            charts.Bar("覆盖率", c.coverage_rate or 0, percent(c.coverage_rate)),
            charts.Bar("组建率", c.formation_rate or 0, percent(c.formation_rate)),
        ), href=link("/board", region=c.region, **filters))
        for c in board.children
    ]
    counts = {stage.value: n for stage, n in board.by_stage.items()}
    steps = [
        charts.Bar(labels.STAGES[s], counts.get(s, 0), f"{counts.get(s, 0)} 个",
                   href=link("/cases", region=scope.region, stage=s, **filters))
        for s in labels.PATH
    ]
    return {
        "children_chart": charts.grouped_bars("各下级地区覆盖率与组建率", ("覆盖率", "组建率"), groups)
        if groups else None,
        "funnel": charts.funnel("各阶段组织数", steps),
    }


@router.get("/board")
def board_page(request: Request, session: SignedIn) -> HTMLResponse:
    values = query_values(request, *SCOPE_FIELDS)
    region = page_region(session, values.get("region"), request)
    if not region:
        return choose_region(request, "看板", "/board")
    try:
        scope = Scope.model_validate(narrowed(session.user, {**values, "region": region}))
    except ValidationError as e:
        return error_page(request, 422, scope_errors(e))
    base = scope.model_dump()
    with services(request).pool.connection() as conn:
        board = status_board(conn, scope)
        overdue = case_list(conn, CaseFilters(**base, overdue=True), page_size=LIST_LENGTH)
        blank = case_list(conn, CaseFilters(**base, blank_spot=True), page_size=LIST_LENGTH)
        due = queue_counts(conn, region, date.today(), session.user.committee)  # by region (and committee) alone
        near = one_transfer_away(conn, region, services(request).application.thresholds, limit=LIST_LENGTH,
                                 committee=scope.responsible_committee)
    filters = scope.model_dump(exclude_none=True)
    return render(
        request, "board.html", title="看板", board=board, scope=scope, filters=filters,
        breadcrumb=[(text, link("/board", **{**filters, "region": r}))
                    for r, text in named_path(request, scope_path(session.user, region))],
        **page_places(request, region),
        children=[(c, link("/board", **{**filters, "region": c.region})) for c in board.children],
        overdue=overdue, blank=blank, quick=quick_links(scope, request), due=due, near=near,
        queue_link=link("/work-queue", region=region),
        queue_overdue_link=link("/work-queue", region=region, overdue=True),
        overdue_link=link("/cases", **filters, overdue=True), blank_link=link("/cases", **filters, blank_spot=True),
        responsibility_link=link("/cases", **filters, has_committee=False),
        **board_charts(board, scope),
    )
