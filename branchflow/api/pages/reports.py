"""统计 and 审计: statistics as charts, and the audit trail across cases for supervisors.

They read the projections as `GET /api/v1/reports/statistics` and `GET /api/v1/audit` do, under the same
role and region rules.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError

from branchflow.api.access import READERS, narrowed, require_role
from branchflow.api.pages import charts, labels
from branchflow.api.pages.board import link, page_links, page_region
from branchflow.api.pages.places import choose_region
from branchflow.api.pages.timeline import entry
from branchflow.api.pages.web import PageRoute, SignedIn, percent, query_values, render
from branchflow.api.services import services
from branchflow.api.use_cases import (
    FileFormat,
    Page,
    ReportDate,
    formation_table_of,
    last_page,
    past_or_live,
    table_file,
)
from branchflow.domain.values import CalendarDate
from branchflow.projections import Scope, Statistics, audit_trail, statistics
from branchflow.projections.regions import region_names
from branchflow.projections.table_sheet import HEADERS, row_label

router = APIRouter(route_class=PageRoute, include_in_schema=False)
AUDIT_PAGE_SIZE = 50
DATE: TypeAdapter[date] = TypeAdapter(CalendarDate)
REPORT_DATE: TypeAdapter[date] = TypeAdapter(ReportDate)


def _share(n: int, total: int) -> str:
    return f"{n} 人（{percent(n / total if total else None)}）"


def statistics_charts(stats: Statistics) -> dict[str, Markup]:
    orgs = stats.party_organizations.model_dump()
    m = stats.members
    return {
        "organizations": charts.bars("党组织按类型", [
            charts.Bar(labels.ORGANIZATION_TYPES[k], v, f"{v} 个") for k, v in orgs.items()]),
        "ages": charts.bars("党员按年龄段", [
            charts.Bar(labels.label(labels.AGE_BANDS, k), n, _share(n, m.total)) for k, n in m.by_age_band.items()],
            color=charts.COLORS[1]),
        "education": charts.bars("党员按学历", [
            charts.Bar(labels.label(labels.EDUCATIONS, k), n, _share(n, m.total)) for k, n in m.by_education.items()],
            color=charts.COLORS[2]),
        "genders": charts.bars("党员按性别", [
            charts.Bar(labels.label(labels.GENDERS, k), n, _share(n, m.total)) for k, n in m.by_gender.items()],
            color=charts.COLORS[3]),
        "development": charts.funnel("发展党员各阶段人数", [
            charts.Bar(labels.label(labels.FUNNEL_STAGES, k), n, f"{n} 人")
            for k, n in (stats.development.by_stage.items() if stats.development else ())]),
    }


def _report_date(values: dict[str, str], name: str) -> date | None:
    if not values.get(name):
        return None
    try:
        return REPORT_DATE.validate_python(values[name])
    except ValidationError:
        raise HTTPException(422, f"{labels.QUERY_FIELDS.get(name, name)}应为1949年10月1日至今天之间的日期（年-月-日）："
                                 f"{values[name]}") from None


def table_header() -> tuple[list[tuple[str, int, int]], list[str]]:
    """The form's two header rows as (text, colspan, rowspan) cells and the second row's texts."""
    top: list[tuple[str, int, int]] = []
    second: list[str] = []
    for group, header in HEADERS.values():
        if group is None:
            top.append((header, 1, 2))
        elif top and top[-1][0] == group:
            top[-1] = (group, top[-1][1] + 1, 1)
        else:
            top.append((group, 1, 1))
        if group is not None:
            second.append(header)
    return top, second


@router.get("/statistics")
def statistics_page(request: Request, session: SignedIn) -> HTMLResponse:
    """The members' make-up and the statistics table (建立党的基层组织情况), as of a chosen date."""
    values = query_values(request, "region", "as_of", "compare")
    chosen = page_region(session, values.get("region"), request)
    if not chosen:
        return choose_region(request, "统计", "/statistics")
    as_of, compare = _report_date(values, "as_of"), _report_date(values, "compare")
    day = as_of or date.today()
    try:
        scope = Scope.model_validate(narrowed(session.user, {"region": chosen}))
    except ValidationError as e:
        raise HTTPException(422, f"地区代码有误：{e.errors()[0]['msg']}") from None
    with services(request).pool.connection() as conn:
        with past_or_live(conn, as_of) as (cases, members):
            stats = statistics(conn, scope, day, cases, members)
        table = formation_table_of(conn, scope, as_of, compare)
    top, second = table_header()
    lines = [("合计", table.total, table.change.total if table.change else None)] + [
        (row_label(r, "subtype"), r, table.change.rows[i] if table.change else None) for i, r in enumerate(table.rows)]
    downloads = {fmt: link("/statistics/table", region=chosen, format=fmt,
                           as_of=as_of.isoformat() if as_of else None,
                           compare=compare.isoformat() if compare else None) for fmt in ("csv", "xlsx")}
    return render(request, "statistics.html", title="统计", stats=stats, region=chosen, region_name=stats.region_name,
                  charts=statistics_charts(stats),
                  table=table, lines=lines, top=top, second=second, figures=list(HEADERS), as_of=as_of,
                  compare=compare, today=date.today(), downloads=downloads)


@router.get("/statistics/table")
def statistics_table_file(request: Request, session: SignedIn, format: FileFormat = "xlsx") -> Response:
    """The statistics table as the page shows it, as a file (the API's `format=csv|xlsx`)."""
    values = query_values(request, "region", "as_of", "compare")
    chosen = page_region(session, values.get("region"))
    if not chosen:
        raise HTTPException(422, "请先选择地区")
    with services(request).pool.connection() as conn:
        scope = Scope.model_validate(narrowed(session.user, {"region": chosen}))
        table = formation_table_of(conn, scope, _report_date(values, "as_of"),
                                   _report_date(values, "compare"))
        return table_file(table, format, region_names(conn, [chosen]).get(chosen))


def _date(values: dict[str, str], name: str) -> date | None:
    if name not in values:
        return None
    try:
        return DATE.validate_python(values[name])
    except ValidationError:
        raise HTTPException(422, f"{labels.QUERY_FIELDS.get(name, name)}应为日期（年-月-日）：{values[name]}") from None


@router.get("/audit")
def audit_page(request: Request, session: SignedIn, page: Page = 1) -> HTMLResponse:
    require_role(session.user, *READERS)
    values = query_values(request, "region", "actor", "since", "until")
    region = page_region(session, values.get("region"))
    since, until = _date(values, "since"), _date(values, "until")
    with services(request).pool.connection() as conn:
        trail = audit_trail(conn, region, actor=values.get("actor"), since=since, until=until, page=page,
                            committee=session.user.committee,
                            page_size=AUDIT_PAGE_SIZE)
        names = region_names(conn, [item.region_code for item in trail.items])
    last = last_page(trail.total, AUDIT_PAGE_SIZE)
    rows = [(item, entry(item)) for item in trail.items]
    previous, following = page_links("/audit", values, page, last)
    return render(
        request, "audit.html", title="审计", trail=trail, rows=rows, filters=values, page=page, last=last,
        previous_link=previous, next_link=following, names=names,
    )
