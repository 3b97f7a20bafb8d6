"""The statistics table organizers fill in (建立党的基层组织情况, api.md `GET /reports/formation-table`).

Each case's row of `cases` carries what it adds to every column (`table_*`, counted by
`domain.formation_table`); the table is their sums by kind and subtype (or by responsible committee), the
kinds' totals and the grand total, in one query with grouping sets. Joint branches are counted apart, each
once however many organizations (and subtypes) it spans.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final, Literal

import psycopg
from pydantic import BaseModel

from branchflow.domain.formation_table import COLUMNS
from branchflow.domain.values import SUBTYPES
from branchflow.projections.board import Scope
from branchflow.projections.schema import CASES, region_range

GroupBy = Literal["subtype", "committee"]
_FILTERS: Final = ("kind", "subtype", "industry", "above_scale", "registered", "founded_year",
                   "responsible_committee")


class TableRow(BaseModel):
    """A row: a kind and subtype (subtype null: the kind's total; both null: the grand total), or a
    responsible committee (`group_by=committee`; null: cases without one). Columns as api.md names them."""

    kind: str | None = None
    subtype: str | None = None
    responsible_committee: str | None = None
    committee_name: str | None = None  # the registry's name of `responsible_committee` (filled in by `named_rows`)
    organizations: int = 0
    committee: int = 0
    general_branch: int = 0
    branch: int = 0
    joint_organizations: int = 0
    joint_branches: int = 0
    temporary: int = 0
    affiliated: int = 0
    should_have_none: int = 0
    should_have_none_3_plus: int = 0
    should_have_none_1_2: int = 0
    should_have_none_no_members: int = 0
    instructor: int = 0
    employees: int = 0
    members: int = 0
    members_not_transferred: int = 0
    youth_league: int = 0
    five_goods: int = 0
    ten_haves_complete: int = 0

    def figures(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FIGURES}


FIGURES: Final = (*COLUMNS[:5], "joint_branches", *COLUMNS[5:])  # every number of a row, in the form's order
assert set(FIGURES) == set(TableRow.model_fields) - {"kind", "subtype", "responsible_committee", "committee_name"}


def named_rows(figures: TableFigures, names: dict[str, str]) -> TableFigures:
    """The figures with each committee row's committee named (`group_by=committee`)."""
    return figures.model_copy(update={"rows": [
        r.model_copy(update={"committee_name": names.get(r.responsible_committee or "")}) for r in figures.rows]})


class TableFigures(BaseModel):
    as_of: date
    rows: list[TableRow]
    total: TableRow


class TableChange(BaseModel):
    """Each cell's change from `compare.as_of` to `as_of` (later minus earlier figures)."""

    rows: list[TableRow]
    total: TableRow


class FormationTable(TableFigures):
    region: str
    group_by: GroupBy = "subtype"
    compare: TableFigures | None = None
    change: TableChange | None = None


def table_figures(
    conn: psycopg.Connection[Any], scope: Scope, as_of: date, group_by: GroupBy = "subtype", cases: str = CASES
) -> TableFigures:
    """The table from the rows of `cases` (or of a past date's table of the same columns)."""
    low, high = region_range(scope.region)
    where, params = "region_code >= %(low)s AND region_code < %(high)s", {"low": low, "high": high}
    for name in _FILTERS:
        if (value := getattr(scope, name)) is not None:
            where += f" AND {name} = %({name})s"
            params[name] = value
    keys = ("kind", "subtype") if group_by == "subtype" else ("responsible_committee",)
    sets = "(kind, subtype), (kind), ()" if group_by == "subtype" else "(responsible_committee), ()"
    sums = ", ".join(f"coalesce(sum(table_{name}), 0)::bigint AS {name}" for name in COLUMNS)
    query = (f"SELECT {', '.join(keys)}, grouping({', '.join(keys)}) AS grouped, {sums}, "
             "count(DISTINCT joint_branch_id) AS joint_branches "
             f"FROM {cases} WHERE {where} GROUP BY GROUPING SETS ({sets})")
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        found = cur.execute(query, params).fetchall()
    total = next((r for r in found if r["grouped"] == (1 << len(keys)) - 1), None)
    groups = [r for r in found if r is not total]
    if group_by == "committee":
        rows = [_row(r) for r in sorted(groups, key=lambda r: (r["responsible_committee"] is None,
                                                                r["responsible_committee"] or ""))]
    else:  # the form's fixed rows: every kind and subtype, zero or not
        by_key = {(r["kind"], r["subtype"] if r["grouped"] == 0 else None): r for r in groups}
        rows = [_row(by_key.get((kind, subtype), {"kind": kind, "subtype": subtype}))
                for kind, subtypes in SUBTYPES.items() for subtype in (None, *subtypes)]
    return TableFigures(as_of=as_of, rows=rows, total=_row(total or {}))


def _row(found: dict[str, Any]) -> TableRow:
    return TableRow.model_validate({k: v for k, v in found.items() if k != "grouped"})


def change(later: TableFigures, earlier: TableFigures) -> TableChange:
    """Cell by cell; rows are matched by their keys (a committee found on one date only counts zero on the other)."""
    def key(r: TableRow) -> tuple[str | None, ...]:
        return r.kind, r.subtype, r.responsible_committee

    before = {key(r): r for r in earlier.rows}
    keys = [key(r) for r in later.rows] + [k for k in before if k not in {key(r) for r in later.rows}]
    now = {key(r): r for r in later.rows}

    def difference(a: TableRow, b: TableRow) -> TableRow:
        return a.model_copy(update={name: getattr(a, name) - getattr(b, name) for name in FIGURES})

    empty = TableRow()
    rows = [difference(now.get(k, empty.model_copy(update=dict(zip(("kind", "subtype", "responsible_committee"),
                                                                     k, strict=True)))), before.get(k, empty))
            for k in keys]
    return TableChange(rows=rows, total=difference(later.total, earlier.total))
