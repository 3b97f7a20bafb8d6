"""统计 and 审计: statistics as charts, and the audit trail across cases for supervisors.

They read the projections as `GET /api/v1/reports/statistics` and `GET /api/v1/audit` do, under the same
role and region rules.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError

from branchflow.api.auth import require_role
from branchflow.api.pages import charts, labels
from branchflow.api.pages.board import link, page_region
from branchflow.api.pages.timeline import entry
from branchflow.api.pages.web import PageRoute, SignedIn, percent, query_values, render, services
from branchflow.api.reports import MAX_PAGE, READERS
from branchflow.domain.values import CalendarDate
from branchflow.projections import Statistics, audit_trail, statistics

router = APIRouter(route_class=PageRoute, include_in_schema=False)
AUDIT_PAGE_SIZE = 50
DATE: TypeAdapter[date] = TypeAdapter(CalendarDate)


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
    }


@router.get("/statistics")
def statistics_page(request: Request, session: SignedIn, region: str | None = None) -> HTMLResponse:
    chosen = page_region(session, region.strip() if region and region.strip() else None)
    if not chosen:
        return render(request, "choose_region.html", title="统计", action="/statistics")
    try:
        with services(request).pool.connection() as conn:
            stats = statistics(conn, chosen, date.today())
    except ValidationError as e:
        raise HTTPException(422, f"地区代码有误：{e.errors()[0]['msg']}") from None
    return render(request, "statistics.html", title="统计", stats=stats, region=chosen, charts=statistics_charts(stats))


def _date(values: dict[str, str], name: str) -> date | None:
    if name not in values:
        return None
    try:
        return DATE.validate_python(values[name])
    except ValidationError:
        raise HTTPException(422, f"{labels.FIELDS.get(name, name)}应为日期（年-月-日）：{values[name]}") from None


@router.get("/audit")
def audit_page(request: Request, session: SignedIn, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> HTMLResponse:
    require_role(session.user, *READERS)
    values = query_values(request, "region", "actor", "since", "until")
    region = page_region(session, values.get("region"))
    since, until = _date(values, "since"), _date(values, "until")
    with services(request).pool.connection() as conn:
        trail = audit_trail(conn, region, actor=values.get("actor"), since=since, until=until, page=page,
                            page_size=AUDIT_PAGE_SIZE)
    last = max(1, -(-trail.total // AUDIT_PAGE_SIZE))
    rows = [(item, entry(item)) for item in trail.items]
    return render(
        request, "audit.html", title="审计", trail=trail, rows=rows, filters=values, page=page, last=last,
        previous_link=link("/audit", **values, page=page - 1) if page > 1 else None,
        next_link=link("/audit", **values, page=page + 1) if page < last else None,
    )
