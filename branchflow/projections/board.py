"""The status board (api.md `GET /boards/status`): a region's figures and those of each next-level region.

Two ways to the same figures (tests hold them equal): the children of a province, city or district are rows
of `board_counts` (a few per child and filter combination), summed; a street's communities, or any
founding-year question, are counted from the `cases` rows themselves, which are few there (an index leads
with the year).
"""

from __future__ import annotations

from typing import Any, Literal

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from branchflow.domain.rules import Stage
from branchflow.domain.values import (
    CommitteeCode,
    Industry,
    OrganizationKind,
    RegionPrefix,
    Subtype,
    child_prefix_length,
)
from branchflow.projections.committees import committee_names
from branchflow.projections.regions import region_names
from branchflow.projections.schema import (
    BOARD_COUNTS,
    BOARD_FIGURES,
    CASES,
    SUMMARY_LEVELS,
    board_aggregates,
    region_range,
)

_FILTERS = ("kind", "subtype", "industry", "above_scale", "registered")


class Scope(BaseModel):
    """A region prefix (2, 4, 6, 9 or 12 digits) and optional filters; every report takes one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: RegionPrefix
    kind: OrganizationKind | None = None
    subtype: Subtype | None = None
    industry: Industry | None = None
    above_scale: bool | None = None
    registered: bool | None = None
    founded_year: int | None = Field(default=None, ge=1900, le=2100)
    # The cases a committee answers for (an industry line across regions), within the region.
    responsible_committee: CommitteeCode | None = None


class BoardFigures(BaseModel):
    """Counts by domain.md "Counting". Closed cases are out of `total` and of every rate; they show only
    in `by_stage["CLOSED"]`. Rates are fractions of `total` (0 to 1), null when `total` is 0."""

    region: str
    region_name: str | None = None  # null where the names' table has none: shown by its code
    total: int
    by_stage: dict[Stage, int]
    formed: int
    organization_covered: int
    work_covered: int
    formation_rate: float | None
    organization_coverage_rate: float | None
    coverage_rate: float | None
    blank_spots: int
    overdue: int
    # Responsibility (domain.md "Responsibility"): open cases with a responsible committee, the rate of
    # `total` they are, and the blank spots of responsibility (open cases without one).
    responsibility_covered: int = 0
    responsibility_rate: float | None = None
    responsibility_blank_spots: int = 0


class CommitteeFigures(BoardFigures):
    """The figures of the cases one committee answers for (`committee` null: no committee answers for them)."""

    committee: str | None
    committee_name: str | None = None


class StatusBoard(BoardFigures):
    children: list[BoardFigures]  # one per next-level region that has cases in scope, in code order
    # With `by=industry`: the region's figures per GB/T 4754 section that has cases in scope, in letter order.
    by_industry: dict[str, BoardFigures] | None = None
    by_committee: list[CommitteeFigures] | None = None  # on request (group_by=committee), in code order


def committee_board(conn: psycopg.Connection[Any], scope: Scope, cases: str = CASES) -> list[CommitteeFigures]:
    """The scope's figures per responsible committee, counted from the `cases` rows (on request only)."""
    where, params = _conditions(scope)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        # (not "AS committee": that is a figure, the number of grassroots committees)
        rows = cur.execute(f"SELECT responsible_committee AS committee_code, {board_aggregates()} FROM {cases} "
                           f"WHERE {where} GROUP BY 1 ORDER BY 1 NULLS LAST", params).fetchall()
    names = committee_names(conn, [row["committee_code"] for row in rows])
    return [CommitteeFigures(**figures(scope.region, row, None).model_dump(), committee=row["committee_code"],
                             committee_name=names.get(row["committee_code"] or "")) for row in rows]


def _conditions(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The scope as conditions on `cases` rows."""
    low, high = region_range(scope.region)
    where, params = "region_code >= %(low)s AND region_code < %(high)s", {"low": low, "high": high}
    for name in (*_FILTERS, "founded_year", "responsible_committee"):
        if (value := getattr(scope, name)) is not None:
            where += f" AND {name} = %({name})s"
            params[name] = value
    return where, params


def status_board(
    conn: psycopg.Connection[Any], scope: Scope, cases: str = CASES, by_industry: bool = False
) -> StatusBoard:
    """From the live read models, or from `cases` rows of a past date (`as_of.rows_as_of`)."""
    child_length = child_prefix_length(scope.region)
    source: Literal["auto", "rows"] = "auto" if cases == CASES else "rows"
    rows = region_counts(conn, scope, child_length or len(scope.region), source, cases)
    names = region_names(conn, [scope.region, *rows])
    children = [figures(region, counts, names.get(region)) for region, counts in sorted(rows.items())]
    totals = {name: sum(counts[name] for counts in rows.values()) for name in BOARD_FIGURES}
    whole = figures(scope.region, totals, names.get(scope.region))
    industries = None
    if by_industry:
        found = region_counts(conn, scope, len(scope.region), source, cases, key="industry")
        industries = {section: figures(scope.region, counts, names.get(scope.region))
                      for section, counts in sorted(found.items())}
    return StatusBoard(**whole.model_dump(), children=children if child_length else [], by_industry=industries)


def figures(region: str, counts: dict[str, int], region_name: str | None = None) -> BoardFigures:
    total = counts["total"]

    def rate(part: str) -> float | None:
        return counts[part] / total if total else None

    return BoardFigures(
        region=region, region_name=region_name, total=total,
        by_stage={
            Stage.NO_MEMBERS: counts["no_members"], Stage.DEVELOPING_MEMBERS: counts["developing_members"],
            Stage.TEMPORARY_BRANCH: counts["temporary_branch"], Stage.FORMAL_BRANCH: counts["formal_branch"],
            Stage.CLOSED: counts["closed"],
        },
        formed=counts["formed"], organization_covered=counts["organization_covered"],
        work_covered=counts["work_covered"], formation_rate=rate("formed"),
        organization_coverage_rate=rate("organization_covered"), coverage_rate=rate("work_covered"),
        blank_spots=counts["blank_spots"], overdue=counts["overdue"],
        responsibility_covered=counts["responsibility_covered"], responsibility_rate=rate("responsibility_covered"),
        responsibility_blank_spots=total - counts["responsibility_covered"],
    )


def region_counts(
    conn: psycopg.Connection[Any], scope: Scope, length: int, source: Literal["auto", "rows"] = "auto",
    cases: str = CASES, key: Literal["region", "industry"] = "region",
) -> dict[str, dict[str, int]]:
    """`BOARD_FIGURES` per region prefix of `length` digits within the scope (or per industry section, `key`):
    from the summary when it can answer (`auto`), or always from the rows (`rows`; the tests hold both equal)."""
    low, high = region_range(scope.region)
    filters = {name: getattr(scope, name) for name in _FILTERS if getattr(scope, name) is not None}
    conditions = "".join(f" AND {name} = %({name})s" for name in filters)
    params: dict[str, Any] = {"low": low, "high": high, "length": length, **filters}
    # The summaries are kept per region and filter, not per committee or founding year: those count rows.
    if (source == "auto" and length in SUMMARY_LEVELS and scope.founded_year is None
            and scope.responsible_committee is None):
        sums = ", ".join(f"sum({name})::integer AS {name}" for name in BOARD_FIGURES)
        query = (f"SELECT {'prefix' if key == 'region' else 'industry'} AS region, {sums} FROM {BOARD_COUNTS} "
                 "WHERE level = %(length)s "
                 f"AND prefix >= %(low)s AND prefix < %(high)s{conditions} GROUP BY 1")
    else:
        where, params = _conditions(scope)
        params["length"] = length
        grouped = "substr(region_code, 1, %(length)s)" if key == "region" else "industry"
        query = f"SELECT {grouped} AS region, {board_aggregates()} FROM {cases} WHERE {where} GROUP BY 1"
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    return {row.pop("region"): row for row in rows}
