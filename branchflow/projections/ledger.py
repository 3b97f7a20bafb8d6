"""The work ledger (工作台帐, api.md `GET /reports/ledger`): a row per case, as CSV or XLSX.

Column headers and values meant for people are Simplified Chinese. CSV is UTF-8 with a byte-order mark so
that Excel reads the Chinese text. A text cell that starts with = + - @ (or a tab or carriage return) gets a
leading apostrophe, so that a name typed as a formula is shown, never run, by a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Final
from uuid import UUID

import psycopg
from openpyxl import Workbook
from psycopg.rows import class_row

from branchflow.domain.rules import Method, PartyOrgType, Stage
from branchflow.domain.values import INDUSTRY_NAMES, SUBTYPE_LABELS, IndustrySection
from branchflow.projections.board import Scope
from branchflow.projections.committees import COMMITTEES
from branchflow.projections.regions import REGIONS
from branchflow.projections.schema import CASES, region_range

STAGE_LABELS: Final[dict[str, str]] = {
    Stage.NO_MEMBERS: "无党员", Stage.DEVELOPING_MEMBERS: "发展党员", Stage.TEMPORARY_BRANCH: "临时党支部",
    Stage.FORMAL_BRANCH: "正式党组织", Stage.CLOSED: "已关闭",
}
METHOD_LABELS: Final[dict[str, str]] = {
    Method.STANDALONE: "单独组建", Method.JOINT: "联合组建", Method.AFFILIATED: "挂靠组建",
    Method.TEMPORARY: "临时组建", Method.DISPATCHED: "派驻组建",
}
PARTY_ORG_TYPE_LABELS: Final[dict[str, str]] = {
    PartyOrgType.BRANCH: "党支部", PartyOrgType.GENERAL_BRANCH: "党总支", PartyOrgType.COMMITTEE: "基层党委",
}
KIND_LABELS: Final[dict[str, str]] = {"economic": "新经济组织", "social": "新社会组织"}
SUBTYPE_NAMES: Final[dict[str, str]] = {subtype.value: label for subtype, label in SUBTYPE_LABELS.items()}


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """A case as the ledger shows it (a plain record: a district's ledger has thousands of rows)."""

    id: UUID
    name: str
    credit_code: str | None
    kind: str
    subtype: str
    registered: bool
    region_code: str
    region_name: str | None
    industry: IndustrySection
    employees: int
    above_scale: bool
    founded_on: date
    superior_party_org: str | None
    responsible_committee: str | None
    responsible_committee_name: str | None
    stage: str  # a Stage
    method: str | None  # a Method
    party_org_type: str | None  # a PartyOrgType
    party_org_name: str | None
    formal_members: int
    probationary_members: int
    instructor: str | None
    blank_spot: bool
    overdue: bool
    term_ends_on: date | None


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _label(labels: dict[str, str], value: str | None) -> str:
    return labels[value] if value is not None else ""


# (header, cell value) per column, in ledger order.
COLUMNS: Final[tuple[tuple[str, Callable[[LedgerRow], Any]], ...]] = (
    ("组织名称", lambda r: r.name),
    ("统一社会信用代码", lambda r: r.credit_code or ""),
    ("组织类别", lambda r: KIND_LABELS.get(r.kind, r.kind)),
    ("单位性质", lambda r: SUBTYPE_NAMES.get(r.subtype, r.subtype)),
    ("是否登记", lambda r: _yes_no(r.registered)),
    ("区划代码", lambda r: r.region_code),
    ("区划名称", lambda r: r.region_name or ""),
    ("行业代码", lambda r: r.industry),
    ("行业", lambda r: INDUSTRY_NAMES[r.industry]),
    ("从业人员数", lambda r: r.employees),
    ("规模以上", lambda r: _yes_no(r.above_scale)),
    ("成立日期", lambda r: r.founded_on),
    ("隶属党组织", lambda r: r.superior_party_org or ""),
    ("负责党委代码", lambda r: r.responsible_committee or ""),
    ("负责党委", lambda r: r.responsible_committee_name or ""),
    ("组建阶段", lambda r: STAGE_LABELS[r.stage]),
    ("组建方式", lambda r: _label(METHOD_LABELS, r.method)),
    ("党组织类型", lambda r: _label(PARTY_ORG_TYPE_LABELS, r.party_org_type)),
    ("党组织名称", lambda r: r.party_org_name or ""),
    ("正式党员数", lambda r: r.formal_members),
    ("预备党员数", lambda r: r.probationary_members),
    ("党建工作指导员", lambda r: r.instructor or ""),
    ("空白点", lambda r: _yes_no(r.blank_spot)),
    ("逾期", lambda r: _yes_no(r.overdue)),
    ("任期届满", lambda r: r.term_ends_on or ""),
    ("案件编号", lambda r: str(r.id)),
)
HEADERS: Final = tuple(header for header, _ in COLUMNS)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def ledger_rows(
    conn: psycopg.Connection[Any], scope: Scope, cases: str = CASES, group_by_committee: bool = False
) -> list[LedgerRow]:
    """Every case in scope, closed ones included (the ledger is the record), in region-code order; grouped by
    responsible committee on request (those without one last)."""
    low, high = region_range(scope.region)
    where, params = "c.region_code >= %(low)s AND c.region_code < %(high)s", {"low": low, "high": high}
    for name in ("kind", "subtype", "industry", "above_scale", "registered", "founded_year",
                 "responsible_committee"):
        if (value := getattr(scope, name)) is not None:
            where += f" AND c.{name} = %({name})s"
            params[name] = value
    joined = {"region_name": "r.name AS region_name",
              "responsible_committee_name": "m.name AS responsible_committee_name"}
    columns = ", ".join(joined.get(f.name, f"c.{f.name}") for f in fields(LedgerRow))
    order = "c.responsible_committee NULLS LAST, " if group_by_committee else ""
    with conn.cursor(row_factory=class_row(LedgerRow)) as cur:
        return cur.execute(f"SELECT {columns} FROM {cases} AS c LEFT JOIN {REGIONS} AS r ON r.code = c.region_code "
                           f"LEFT JOIN {COMMITTEES} AS m ON m.code = c.responsible_committee "
                           f"WHERE {where} ORDER BY {order}c.region_code, c.name, c.id", params).fetchall()


def cell_values(row: LedgerRow) -> list[Any]:
    return [neutralized(value(row)) for _, value in COLUMNS]


def neutralized(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula, made plain text with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def ledger_csv(rows: list[LedgerRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(v.isoformat() if isinstance(v, date) else v for v in cell_values(row))
    return out.getvalue().encode("utf-8-sig")


def ledger_xlsx(rows: list[LedgerRow]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工作台帐")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(cell_values(row))  # neutralized: no text starts with '=', so none is a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
