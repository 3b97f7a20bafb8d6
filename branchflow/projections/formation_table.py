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

from branchflow.domain.formation_table import COLUMNS, FormationCounts
from branchflow.domain.values import SUBTYPES
from branchflow.projections.board import Scope
from branchflow.projections.schema import BOARD_COUNTS, CASES, JOINT_BRANCHES_SET_UP, SUMMARY_LEVELS, region_range

GroupBy = Literal["subtype", "committee"]
_FILTERS: Final = ("kind", "subtype", "industry", "above_scale", "registered", "founded_year",
                   "responsible_committee")


class TableRow(FormationCounts):
    """A row: a kind and subtype (subtype null: the kind's total; both null: the grand total), or a
    responsible committee (`group_by=committee`; null: cases without one); the columns are the domain's
    (`FormationCounts`) and the number of joint branches, as api.md names them."""

    kind: str | None = None
    subtype: str | None = None
    responsible_committee: str | None = None
    committee_name: str | None = None  # the registry's name of `responsible_committee` (filled in by `named_rows`)
    joint_branches: int = 0  # each joint branch once, however many of the row's organizations are in it

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


_JOINT_BRANCHES: Final = f"{JOINT_BRANCHES_SET_UP} AS joint_branches"


def table_figures(
    conn: psycopg.Connection[Any], scope: Scope, as_of: date, group_by: GroupBy = "subtype", cases: str = CASES,
    source: Literal["auto", "rows"] = "auto",
) -> TableFigures:
    """The table from the rows of `cases` (or of a past date's table of the same columns); today's table of a
    province, city, district or street by kind and subtype from the summary rows (`auto`; the tests hold
    both equal), the joint branches counted from the few rows in one."""
    low, high = region_range(scope.region)
    chosen = {name: getattr(scope, name) for name in _FILTERS if getattr(scope, name) is not None}
    filters = "".join(f" AND {name} = %({name})s" for name in chosen)
    where = "region_code >= %(low)s AND region_code < %(high)s" + filters
    params = {"low": low, "high": high, "level": len(scope.region), "region": scope.region, **chosen}
    keys = ("kind", "subtype") if group_by == "subtype" else ("responsible_committee",)
    sets = "(kind, subtype), (kind), ()" if group_by == "subtype" else "(responsible_committee), ()"
    grouped = f"{', '.join(keys)}, grouping({', '.join(keys)}) AS grouped"
    sums = ", ".join(f"coalesce(sum(table_{name}), 0)::bigint AS {name}" for name in COLUMNS)
    summarized = (source == "auto" and cases == CASES and group_by == "subtype"
                  and len(scope.region) in SUMMARY_LEVELS and scope.founded_year is None
                  and scope.responsible_committee is None)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        if summarized:
            # (the summary's key has the board's filters, the only ones left here)
            found = cur.execute(f"SELECT {grouped}, {sums} FROM {BOARD_COUNTS} "
                                f"WHERE level = %(level)s AND prefix = %(region)s{filters} "
                                f"GROUP BY GROUPING SETS ({sets})", params).fetchall()
            joint = {(r["grouped"], r["kind"], r["subtype"]): r["joint_branches"] for r in cur.execute(
                f"SELECT {grouped}, {_JOINT_BRANCHES} FROM {cases} "
                f"WHERE {where} AND joint_branch_id IS NOT NULL GROUP BY GROUPING SETS ({sets})", params)}
            for r in found:
                r["joint_branches"] = joint.get((r["grouped"], r["kind"], r["subtype"]), 0)
        else:
            found = cur.execute(f"SELECT {grouped}, {sums}, {_JOINT_BRANCHES} "
                                f"FROM {cases} WHERE {where} GROUP BY GROUPING SETS ({sets})", params).fetchall()
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
