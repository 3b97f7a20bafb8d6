"""The case list (api.md `GET /organizations`): filters and pages for organizers' work queues, e.g.
"more than 100 employees and not organization-covered" is `min_employees=101, organization_covered=False`."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import class_row
from pydantic import BaseModel, Field

from branchflow.domain.case import CaseOutline
from branchflow.domain.rules import Method, Stage
from branchflow.projections.board import Scope
from branchflow.projections.regions import region_names
from branchflow.projections.schema import CASE_COLUMNS, CASES, region_range

MAX_PAGE_SIZE = 500
_EQUAL = ("kind", "subtype", "industry", "above_scale", "registered", "founded_year", "stage", "method",
          "formed", "organization_covered", "work_covered", "blank_spot", "overdue", "responsible_committee")


class CaseFilters(Scope):
    stage: Stage | None = None
    method: Method | None = None
    min_employees: int | None = Field(default=None, ge=0)  # employees >= this
    formed: bool | None = None
    organization_covered: bool | None = None
    work_covered: bool | None = None
    blank_spot: bool | None = None
    overdue: bool | None = None
    # true: only cases some committee answers for; false: only the blank spots of responsibility
    has_committee: bool | None = None


class CaseSummary(CaseOutline):
    blank_spot: bool
    overdue: bool
    responsible_committee: str | None  # its code; null: a blank spot of responsibility


class CasePage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[CaseSummary]


# The summary's fields that are columns of `cases`; the others (region_name) are filled in after the query.
_STORED = {column for column, _, _ in CASE_COLUMNS}
_COLUMNS = ", ".join(name for name in CaseSummary.model_fields if name in _STORED)


def case_list(conn: psycopg.Connection[Any], filters: CaseFilters, page: int = 1, page_size: int = 50) -> CasePage:
    """Cases in region-code order (then name, then id: stable across pages), page 1 first."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page must be 1 or more and page_size 1 to {MAX_PAGE_SIZE}")
    low, high = region_range(filters.region)
    params: dict[str, Any] = {"low": low, "high": high}
    where = "region_code >= %(low)s AND region_code < %(high)s"
    for name in _EQUAL:
        if (value := getattr(filters, name)) is not None:
            where += f" AND {name} = %({name})s"
            params[name] = value.value if isinstance(value, Method | Stage) else value
    if filters.has_committee is not None:
        where += f" AND responsible_committee IS {'NOT ' if filters.has_committee else ''}NULL"
    if filters.min_employees is not None:
        where += " AND employees >= %(min_employees)s"
        params["min_employees"] = filters.min_employees
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {CASES} WHERE {where}", params)
        counted = cur.fetchone()
    with conn.cursor(row_factory=class_row(CaseSummary)) as rows:
        items = rows.execute(
            f"SELECT {_COLUMNS} FROM {CASES} WHERE {where} ORDER BY region_code, name, id "
            "LIMIT %(limit)s OFFSET %(offset)s",
            {**params, "limit": page_size, "offset": (page - 1) * page_size},
        ).fetchall()
    assert counted is not None
    names = region_names(conn, (item.region_code for item in items))
    items = [item.model_copy(update={"region_name": names.get(item.region_code)}) for item in items]
    return CasePage(total=counted[0], page=page, page_size=page_size, items=items)
