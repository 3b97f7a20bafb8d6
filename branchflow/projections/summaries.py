"""The summary tables, kept inside each page's transaction so that a board or a report of a large region
reads a few rows instead of counting 100,000.

`board_counts` holds, for every province, city, district and street (`level`, `prefix`) and every (kind,
subtype, industry, above-scale, registered), what `schema.BOARD_FIGURES` counts over the region's cases and
the sums of their statistics-table columns (`schema.TABLE_SUMS`);
`region_counts` the members' marginals, the joint branches and the development funnel (dimension `funnel`,
value `stage:focus group`, n the people there) of every such region. Upkeep is by
difference: the touched rows' counts are subtracted before the rows are replaced and the new rows' counts
added after, both counted by the same SQL from the stored rows, so a summary always equals a count of its
tables (`summaries_disagree` checks it). The counting is the database's work, done while the runner's
Python prepares the next page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import psycopg
from psycopg import Cursor

from branchflow.projections.schema import (
    BOARD_COUNTS,
    BOARD_KEY,
    CASES,
    JOINT_BRANCH_SET_UP,
    MEMBER_DIMENSIONS,
    MEMBERS,
    REGION_COUNTS,
    SUMMARY_FIGURES,
    SUMMARY_LEVELS,
    summary_aggregates,
)

_LEVELS = "CROSS JOIN (VALUES " + ", ".join(f"({n})" for n in SUMMARY_LEVELS) + ") AS l(level)"
_BOARD_GROUP = "l.level, substr(region_code, 1, l.level), " + ", ".join(BOARD_KEY[2:])
_MEMBER_VALUES = ", ".join(f"('{name}', {expression})" for name, expression in MEMBER_DIMENSIONS.items())


def board_counts_query(cases: str, of_cases: str = "") -> str:
    """`board_counts` rows counted from the `cases` rows that meet the SQL condition `of_cases`."""
    where = f" WHERE {of_cases}" if of_cases else ""
    return f"SELECT {_BOARD_GROUP}, {summary_aggregates()} FROM {cases} {_LEVELS}{where} GROUP BY " + ", ".join(
        str(i) for i in range(1, len(BOARD_KEY) + 1))


def region_counts_query(cases: str, members: str, of_cases: str = "", of_members: str = "") -> str:
    """`region_counts` rows (level, prefix, dimension, value, n) counted from the `cases` and `members` rows
    that meet the SQL conditions `of_cases` and `of_members` (all when empty)."""
    of_cases = f" AND {of_cases}" if of_cases else ""
    of_members = f" WHERE {of_members}" if of_members else ""
    return (
        "SELECT l.level, substr(region_code, 1, l.level) AS prefix, d.dimension, d.value, count(*) AS n "
        f"FROM {members} {_LEVELS} CROSS JOIN LATERAL (VALUES {_MEMBER_VALUES}) AS d(dimension, value)"
        f"{of_members} GROUP BY 1, 2, 3, 4 UNION ALL "
        # a joint branch where the domain counts its organizations as joint ones (not one left with no member)
        "SELECT l.level, substr(region_code, 1, l.level), 'joint_branch', joint_branch_id, count(*) "
        f"FROM {cases} {_LEVELS} WHERE {JOINT_BRANCH_SET_UP}{of_cases} "
        "GROUP BY 1, 2, 4 UNION ALL "
        # the funnel's part of each case (`cases.funnel`, `stage:group:n` comma-separated): a city's statistics
        # summed it from every row, 54 ms at 100,000 cases (BENCHMARKS.md "Where the goals stand")
        "SELECT l.level, substr(region_code, 1, l.level), 'funnel', "
        "split_part(e, ':', 1) || ':' || split_part(e, ':', 2), sum(split_part(e, ':', 3)::integer) "
        f"FROM {cases} {_LEVELS} CROSS JOIN LATERAL unnest(string_to_array(funnel, ',')) AS e "
        f"WHERE funnel <> ''{of_cases} GROUP BY 1, 2, 4"
    )


def add_cases(curs: Cursor[Any], schema: str, case_ids: list[UUID], sign: int) -> None:
    """Adds (sign 1) or subtracts (sign -1) what these rows of `cases` count towards `board_counts`."""
    figures = ", ".join(f"{sign} * {name}" for name in SUMMARY_FIGURES)
    columns = ", ".join((*BOARD_KEY, *SUMMARY_FIGURES))
    curs.execute(
        f"INSERT INTO {schema}.{BOARD_COUNTS} ({columns}) "
        f"SELECT {', '.join(BOARD_KEY)}, {figures} FROM ("
        f"{board_counts_query(f'{schema}.{CASES}', 'id = ANY(%b)')}) AS c ({columns}) "
        f"ON CONFLICT ({', '.join(BOARD_KEY)}) DO UPDATE SET "
        + ", ".join(f"{name} = {BOARD_COUNTS}.{name} + EXCLUDED.{name}" for name in SUMMARY_FIGURES),
        (case_ids,), prepare=True,
    )


def add_regions(curs: Cursor[Any], schema: str, case_ids: list[UUID], member_case_ids: list[UUID], sign: int) -> None:
    """Adds or subtracts the joint branches of these cases and the members of those to `region_counts`."""
    counted = region_counts_query(f"{schema}.{CASES}", f"{schema}.{MEMBERS}", "id = ANY(%(cases)b)",
                                  "case_id = ANY(%(members)b)")
    curs.execute(
        f"INSERT INTO {schema}.{REGION_COUNTS} (level, prefix, dimension, value, n) "
        f"SELECT level, prefix, dimension, value, {sign} * n FROM ({counted}) AS counted "
        f"ON CONFLICT (level, prefix, dimension, value) DO UPDATE SET n = {REGION_COUNTS}.n + EXCLUDED.n",
        {"cases": case_ids, "members": member_case_ids}, prepare=True,
    )


def drop_empty(curs: Cursor[Any], schema: str, regions: Iterable[str]) -> None:
    """Removes the summary rows of these regions that count nothing any more (a rebuild would not have them)."""
    touched = sorted(set(regions))
    curs.execute(f"DELETE FROM {schema}.{BOARD_COUNTS} WHERE prefix = ANY(%b) AND cases = 0", (touched,),
                 prepare=True)
    curs.execute(f"DELETE FROM {schema}.{REGION_COUNTS} WHERE prefix = ANY(%b) AND n = 0", (touched,),
                 prepare=True)


def summaries_disagree(conn: psycopg.Connection[Any]) -> list[str]:
    """The summary rows that differ from a fresh count of `cases` and `members` (none when all is well)."""
    board = f"({board_counts_query(CASES)})"
    regions = f"({region_counts_query(CASES, MEMBERS)})"
    columns = ", ".join((*BOARD_KEY, *SUMMARY_FIGURES))
    problems = [
        f"board_counts {row}" for row in conn.execute(
            f"(SELECT {columns} FROM {BOARD_COUNTS} EXCEPT ALL {board}) UNION ALL "
            f"({board} EXCEPT ALL SELECT {columns} FROM {BOARD_COUNTS})").fetchall()
    ]
    problems += [
        f"region_counts {row}" for row in conn.execute(
            f"(SELECT level, prefix, dimension, value, n FROM {REGION_COUNTS} EXCEPT ALL {regions}) UNION ALL "
            f"({regions} EXCEPT ALL SELECT level, prefix, dimension, value, n FROM {REGION_COUNTS})").fetchall()
    ]
    return problems
