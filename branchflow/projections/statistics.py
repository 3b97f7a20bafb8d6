"""Statistics (api.md `GET /reports/statistics`): party organizations by type and the members' make-up.

Joint branches are counted from the organizations in them, each branch once. Members are the present
members of open cases (a closed organization's members are out, as closed cases are out of every rate).
Ages are whole years on `today` by `values.age_on`, banded by `values.age_band`.
The summaries keep the members' birth years, not their birthdays: a birth year decides the band except in
the few years where a birthday still to come this year crosses a band's edge; only those years' birth dates
are read from the `members` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import psycopg
from pydantic import BaseModel

from branchflow.domain.funnel import FUNNEL_STAGES, UNTAGGED
from branchflow.domain.people import FocusGroup
from branchflow.domain.values import (
    AGE_BANDS,
    AgeBand,
    Education,
    Gender,
    RegionPrefix,
    age_band,
    age_on,
    is_junior_middle_or_less,
    parse_region_prefix,
)
from branchflow.projections.board import Scope
from branchflow.projections.regions import region_names
from branchflow.projections.schema import (
    BOARD_COUNTS,
    BOARD_FIGURES,
    CASES,
    JOINT_BRANCHES_SET_UP,
    MEMBER_DIMENSIONS,
    MEMBERS,
    REGION_COUNTS,
    SUMMARY_LEVELS,
    region_range,
)

_ORGANIZATION_TYPES = ("committee", "general_branch", "branch", "temporary")
_FILTERS = ("kind", "subtype", "industry", "above_scale", "registered", "founded_year", "responsible_committee")


class PartyOrganizations(BaseModel):
    """Party organizations of the organizations' own by type, temporary branches, and joint branches
    (each joint branch once, however many organizations it spans)."""

    committee: int
    general_branch: int
    branch: int
    temporary: int
    joint: int


class MemberFigures(BaseModel):
    """Shares are fractions (0 to 1) of all members, formal and probationary; null when there are none."""

    total: int
    formal: int
    probationary: int
    over_60: int
    junior_middle_or_less: int
    female: int
    over_60_share: float | None
    junior_middle_or_less_share: float | None
    female_share: float | None
    not_transferred: int  # present here, with their organizational relation elsewhere
    not_transferred_share: float | None
    by_age_band: dict[AgeBand, int]
    by_education: dict[Education, int]
    by_gender: dict[Gender, int]


class IndustryStatistics(BaseModel):
    party_organizations: PartyOrganizations
    members: MemberFigures


class DevelopmentFunnel(BaseModel):
    """Member development by stage (applicant to new formal member) and by focus group (domain.funnel):
    `by_stage` counts each stage, `by_focus_group` each group's people per stage (`untagged` where none)."""

    by_stage: dict[str, int]
    by_focus_group: dict[str, dict[str, int]]
    new_members: int  # developed here and admitted, still present: probationary and formal


class Statistics(BaseModel):
    region: RegionPrefix
    region_name: str | None = None  # null where the names' table has none
    today: date  # the date the figures are of (ages are on it): today, or the `as_of` date
    party_organizations: PartyOrganizations
    members: MemberFigures
    by_industry: dict[str, IndustryStatistics] | None = None  # `by=industry`: per GB/T 4754 section in scope
    development: DevelopmentFunnel | None = None  # the development funnel (null in answers from before it)


def statistics(
    conn: psycopg.Connection[Any], scope: Scope | str, today: date, cases: str = CASES, members: str = MEMBERS,
    by_industry: bool = False,
) -> Statistics:
    """The figures of a scope (a region, or a region and the board's filters) on `today`: from the region's
    summary rows when they can answer (the live tables, no filter), else counted from the rows of `cases`
    and `members` (also those of a past date, `as_of.rows_as_of`)."""
    scope = scope if isinstance(scope, Scope) else Scope(region=parse_region_prefix(scope))
    filtered = any(getattr(scope, name) is not None for name in _FILTERS)
    with conn.cursor() as cur:
        summarized = cases == CASES and members == MEMBERS and len(scope.region) in SUMMARY_LEVELS and not filtered
        if summarized:
            types, marginals, bands = _from_summaries(cur, scope.region, today)
        else:
            types, marginals, bands = _from_rows(cur, scope, today, cases, members)
        industries = None
        if by_industry:
            where, params = _where(scope)
            found = cur.execute(f"SELECT DISTINCT industry FROM {cases} WHERE {where} ORDER BY 1", params).fetchall()
            industries = {}
            for (section,) in found:
                narrowed = scope.model_copy(update={"industry": section})
                t, m, b = _from_rows(cur, narrowed, today, cases, members)
                industries[section] = IndustryStatistics(party_organizations=t, members=_member_figures(m, b))
        funnel = (_funnel_from(marginals.pop("funnel", {})) if summarized
                  else development_funnel(cur, scope, cases))
    return Statistics(region=scope.region, region_name=region_names(conn, [scope.region]).get(scope.region),
                      today=today, party_organizations=types,
                      members=_member_figures(marginals, bands), by_industry=industries, development=funnel)


def development_funnel(cur: psycopg.Cursor[Any], scope: Scope, cases: str = CASES) -> DevelopmentFunnel:
    """The funnel of the scope's cases, summed from each row's part (`cases.funnel`, or a past date's rows)."""
    where, params = _where(scope, "c")
    return _funnel(cur.execute(
        f"SELECT split_part(e, ':', 1), split_part(e, ':', 2), sum(split_part(e, ':', 3)::integer)::integer "
        f"FROM {cases} AS c CROSS JOIN LATERAL unnest(string_to_array(c.funnel, ',')) AS e "
        f"WHERE c.funnel <> '' AND {where} GROUP BY 1, 2", params).fetchall())


def _funnel_from(summary: dict[str, int]) -> DevelopmentFunnel:
    """The funnel from a region's summary rows (`stage:group` -> people)."""
    return _funnel([(*key.split(":", 1), n) for key, n in summary.items()])


def _funnel(counted: Iterable[Sequence[Any]]) -> DevelopmentFunnel:
    """The funnel from (stage, focus group, people) triples."""
    by_group: dict[str, dict[str, int]] = {group: dict.fromkeys(FUNNEL_STAGES, 0)
                                           for group in (*(g.value for g in FocusGroup), UNTAGGED)}
    for stage, group, n in counted:
        by_group.setdefault(group, dict.fromkeys(FUNNEL_STAGES, 0))[stage] = int(n)
    by_stage = {stage: sum(g[stage] for g in by_group.values()) for stage in FUNNEL_STAGES}
    return DevelopmentFunnel(by_stage=by_stage, by_focus_group=by_group,
                             new_members=by_stage["probationary"] + by_stage["formal"])


Counted = tuple[PartyOrganizations, dict[str, dict[str, int]], dict[AgeBand, int]]


def _from_summaries(cur: psycopg.Cursor[Any], region: str, today: date) -> Counted:
    low, high = region_range(region)
    params: dict[str, Any] = {"level": len(region), "region": region}
    sums = ", ".join(f"coalesce(sum({name}), 0)::integer" for name in _ORGANIZATION_TYPES)
    types = cur.execute(f"SELECT {sums} FROM {BOARD_COUNTS} WHERE level = %(level)s AND prefix = %(region)s",
                        params).fetchone()
    source = f"SELECT dimension, value, n FROM {REGION_COUNTS} WHERE level = %(level)s AND prefix = %(region)s"
    cur.execute(f"WITH c AS ({source}) SELECT dimension, value, n FROM c WHERE dimension <> 'joint_branch' "
                "UNION ALL SELECT 'joint_branch', 'count', count(*) FROM c WHERE dimension = 'joint_branch'", params)
    assert types is not None
    marginals: dict[str, dict[str, int]] = {}
    for dimension, value, n in cur.fetchall():
        marginals.setdefault(dimension, {})[value] = n
    bands = _age_bands(cur, {int(y): n for y, n in marginals.get("birth_year", {}).items()}, low, high, today)
    return (PartyOrganizations(**dict(zip(_ORGANIZATION_TYPES, types, strict=True)),
                               joint=marginals["joint_branch"]["count"]), marginals, bands)


def _where(scope: Scope, table: str = "") -> tuple[str, dict[str, Any]]:
    """The scope as an SQL condition on rows of `cases` (named `table` in the query, if given)."""
    low, high = region_range(scope.region)
    at = f"{table}." if table else ""
    where, params = f"{at}region_code >= %(low)s AND {at}region_code < %(high)s", {"low": low, "high": high}
    for name in _FILTERS:
        if (value := getattr(scope, name)) is not None:
            where += f" AND {at}{name} = %({name})s"
            params[name] = value
    return where, params


def _from_rows(cur: psycopg.Cursor[Any], scope: Scope, today: date, cases: str, members: str) -> Counted:
    """The same figures counted from the rows, as the summaries count them (`schema.MEMBER_DIMENSIONS`)."""
    where, params = _where(scope, "c")
    counts = ", ".join(f"count(*) FILTER (WHERE {BOARD_FIGURES[name]})" for name in _ORGANIZATION_TYPES)
    types = cur.execute(f"SELECT {counts}, {JOINT_BRANCHES_SET_UP} FROM {cases} AS c WHERE {where}",
                        params).fetchone()
    assert types is not None
    dimensions = ", ".join(f"('{name}', {expression})" for name, expression in MEMBER_DIMENSIONS.items())
    joined = f"{members} AS m JOIN {cases} AS c ON c.id = m.case_id"
    marginals: dict[str, dict[str, int]] = {}
    for dimension, value, n in cur.execute(
            f"SELECT d.dimension, d.value, count(*) FROM {joined} "
            f"CROSS JOIN LATERAL (VALUES {dimensions}) AS d(dimension, value) WHERE {where} GROUP BY 1, 2",
            params).fetchall():
        marginals.setdefault(dimension, {})[value] = n
    bands: dict[AgeBand, int] = dict.fromkeys(AGE_BANDS, 0)
    for birth_date, n in cur.execute(f"SELECT m.birth_date, count(*) FROM {joined} WHERE {where} GROUP BY 1",
                                     params).fetchall():
        bands[age_band(_age(birth_date, today))] += n
    return PartyOrganizations(**dict(zip((*_ORGANIZATION_TYPES, "joint"), types, strict=True))), marginals, bands


def _member_figures(marginals: dict[str, dict[str, int]], bands: dict[AgeBand, int]) -> MemberFigures:
    status, gender = marginals.get("status", {}), marginals.get("gender", {})
    education = {level: marginals.get("education", {}).get(level.value, 0) for level in Education}
    total = sum(status.values())
    over_60 = bands["over_60"]
    low_education = sum(n for level, n in education.items() if is_junior_middle_or_less(level))
    female = gender.get("female", 0)
    elsewhere = marginals.get("relation", {}).get("elsewhere", 0)

    def share(n: int) -> float | None:
        return n / total if total else None

    return MemberFigures(
        total=total, formal=status.get("formal", 0), probationary=status.get("probationary", 0),
        over_60=over_60, junior_middle_or_less=low_education, female=female,
        over_60_share=share(over_60), junior_middle_or_less_share=share(low_education), female_share=share(female),
        not_transferred=elsewhere, not_transferred_share=share(elsewhere),
        by_age_band=bands, by_education=education,
        by_gender={"male": gender.get("male", 0), "female": female},
    )


def _age(birth_date: date, today: date) -> int:
    return age_on(birth_date, today) if birth_date <= today else 0


def _age_bands(
    cur: psycopg.Cursor[Any], by_year: dict[int, int], low: str, high: str, today: date
) -> dict[AgeBand, int]:
    bands: dict[AgeBand, int] = dict.fromkeys(AGE_BANDS, 0)
    for year, n in by_year.items():
        # Born in `year`: today's age is one of these two, depending on whether the birthday has come.
        younger, older = _age(date(year, 12, 31), today), _age(date(year, 1, 1), today)
        if age_band(younger) == age_band(older):
            bands[age_band(older)] += n
            continue
        cur.execute(f"SELECT birth_date, count(*)::integer FROM {MEMBERS} WHERE birth_date >= %s AND birth_date < %s "
                    "AND region_code >= %s AND region_code < %s GROUP BY 1",
                    (date(year, 1, 1), date(year + 1, 1, 1), low, high))
        for birth_date, count in cur.fetchall():
            bands[age_band(_age(birth_date, today))] += count
    return bands
