"""Statistics (api.md `GET /reports/statistics`): party organizations by type and the members' make-up.

Joint branches are counted from the organizations in them, each branch once. Members are the present
members of open cases (a closed organization's members are out, as closed cases are out of every rate).
Ages are whole years on `today` by `values.age_on`, banded by `values.age_band`.
The summaries keep the members' birth years, not their birthdays: a birth year decides the band except in
the few years where a birthday still to come this year crosses a band's edge; only those years' birth dates
are read from the `members` rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from pydantic import BaseModel

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
from branchflow.projections.regions import region_names
from branchflow.projections.schema import (
    BOARD_COUNTS,
    BOARD_FIGURES,
    CASES,
    MEMBERS,
    REGION_COUNTS,
    SUMMARY_LEVELS,
    region_range,
)
from branchflow.projections.summaries import region_counts_query

_ORGANIZATION_TYPES = ("committee", "general_branch", "branch", "temporary")


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
    by_age_band: dict[AgeBand, int]
    by_education: dict[Education, int]
    by_gender: dict[Gender, int]


class Statistics(BaseModel):
    region: RegionPrefix
    region_name: str | None = None  # null where the names' table has none
    today: date
    party_organizations: PartyOrganizations
    members: MemberFigures


def statistics(conn: psycopg.Connection[Any], region: str, today: date) -> Statistics:
    region = parse_region_prefix(region)
    low, high = region_range(region)
    params: dict[str, Any] = {"level": len(region), "region": region}
    with conn.cursor() as cur:
        if len(region) in SUMMARY_LEVELS:  # the region's own summary rows
            sums = ", ".join(f"coalesce(sum({name}), 0)::integer" for name in _ORGANIZATION_TYPES)
            cur.execute(f"SELECT {sums} FROM {BOARD_COUNTS} WHERE level = %(level)s AND prefix = %(region)s", params)
            source = f"SELECT dimension, value, n FROM {REGION_COUNTS} WHERE level = %(level)s AND prefix = %(region)s"
        else:  # a community: count its rows as the summaries would
            counts = ", ".join(f"count(*) FILTER (WHERE {BOARD_FIGURES[name]})" for name in _ORGANIZATION_TYPES)
            cur.execute(f"SELECT {counts} FROM {CASES} WHERE region_code = %(region)s", params)
            counted = region_counts_query(CASES, MEMBERS, "region_code = %(region)s", "region_code = %(region)s")
            source = f"SELECT dimension, value, n FROM ({counted}) AS c WHERE level = {SUMMARY_LEVELS[-1]}"
        types = cur.fetchone()
        cur.execute(f"WITH c AS ({source}) SELECT dimension, value, n FROM c WHERE dimension <> 'joint_branch' "
                    "UNION ALL SELECT 'joint_branch', 'count', count(*) FROM c WHERE dimension = 'joint_branch'",
                    params)
        assert types is not None
        marginals: dict[str, dict[str, int]] = {}
        for dimension, value, n in cur.fetchall():
            marginals.setdefault(dimension, {})[value] = n
        bands = _age_bands(cur, {int(y): n for y, n in marginals.get("birth_year", {}).items()}, low, high, today)
    return Statistics(
        region=region, region_name=region_names(conn, [region]).get(region), today=today,
        party_organizations=PartyOrganizations(**dict(zip(_ORGANIZATION_TYPES, types, strict=True)),
                                               joint=marginals["joint_branch"]["count"]),
        members=_member_figures(marginals, bands),
    )


def _member_figures(marginals: dict[str, dict[str, int]], bands: dict[AgeBand, int]) -> MemberFigures:
    status, gender = marginals.get("status", {}), marginals.get("gender", {})
    education = {level: marginals.get("education", {}).get(level.value, 0) for level in Education}
    total = sum(status.values())
    over_60 = bands["over_60"]
    low_education = sum(n for level, n in education.items() if is_junior_middle_or_less(level))
    female = gender.get("female", 0)

    def share(n: int) -> float | None:
        return n / total if total else None

    return MemberFigures(
        total=total, formal=status.get("formal", 0), probationary=status.get("probationary", 0),
        over_60=over_60, junior_middle_or_less=low_education, female=female,
        over_60_share=share(over_60), junior_middle_or_less_share=share(low_education), female_share=share(female),
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
