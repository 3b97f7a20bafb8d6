"""The statistics table as files, in the form's own layout: CSV (UTF-8 with BOM) and XLSX.

The XLSX has a title row (region and date), two header rows with the form's grouped headers merged over
their sub-columns (应建未建 over its parts), a row per kind and subtype with the totals, and frozen panes.
Text that people typed (a committee's code) goes through the ledger's `neutralized`, never as a formula.
With a comparison, the earlier date's table and the change per cell follow (CSV) or get their own sheets.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from branchflow.domain.values import SUBTYPE_LABELS
from branchflow.projections.formation_table import FIGURES, FormationTable, TableRow
from branchflow.projections.ledger import KIND_LABELS, neutralized

# (group header or None, header) per figure, in FIGURES order: a group's columns sit under one merged cell.
HEADERS: Final[dict[str, tuple[str | None, str]]] = {
    "organizations": (None, "单位数"),
    "committee": ("单独建立党组织的单位", "基层党委"),
    "general_branch": ("单独建立党组织的单位", "党总支"),
    "branch": ("单独建立党组织的单位", "党支部"),
    "joint_organizations": ("联合建立党组织", "单位数"),
    "joint_branches": ("联合建立党组织", "联合党组织数"),
    "temporary": (None, "建立临时党支部的单位"),
    "affiliated": (None, "党员挂靠其他党组织的单位"),
    "should_have_none": ("应建未建", "合计"),
    "should_have_none_3_plus": ("应建未建", "有3名以上正式党员"),
    "should_have_none_1_2": ("应建未建", "有1至2名党员"),
    "should_have_none_no_members": ("应建未建", "无党员"),
    "instructor": (None, "选派党建工作指导员（联络员）的单位"),
    "employees": (None, "从业人员数"),
    "members": ("党员", "党员数"),
    "members_not_transferred": ("党员", "组织关系未转入"),
    "youth_league": (None, "建立共青团组织的单位"),
    "five_goods": (None, "五好党组织"),
    "ten_haves_complete": (None, "十有齐全"),
}
assert tuple(HEADERS) == FIGURES
SUBTYPE_NAMES: Final = {subtype.value: label for subtype, label in SUBTYPE_LABELS.items()}
TITLE: Final = "建立党的基层组织情况"


def row_label(row: TableRow, group_by: str) -> str:
    if group_by == "committee":
        if row.responsible_committee is None:
            return "未明确隶属党组织"
        return str(neutralized(row.committee_name or row.responsible_committee))
    if row.subtype is not None:
        return "　" + SUBTYPE_NAMES.get(row.subtype, row.subtype)  # indented under its kind
    return KIND_LABELS.get(row.kind or "", row.kind or "")


def title(table: FormationTable, region_name: str | None, as_of: date) -> str:
    place = f"{region_name}（{table.region}）" if region_name else table.region
    return f"{TITLE}　{place}　截至{as_of.year}年{as_of.month}月{as_of.day}日"


def _lines(rows: list[TableRow], total: TableRow, group_by: str) -> list[list[object]]:
    return [["合计", *total.figures().values()]] + [[row_label(r, group_by), *r.figures().values()] for r in rows]


def _header_rows() -> tuple[list[str], list[str]]:
    top = ["类别"] + [group or header for group, header in HEADERS.values()]
    second = [""] + [header if group else "" for group, header in HEADERS.values()]
    return top, second


def table_csv(table: FormationTable, region_name: str | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    top, second = _header_rows()
    blocks = [(table.as_of, table.rows, table.total, "")]
    if table.compare is not None and table.change is not None:
        blocks += [(table.compare.as_of, table.compare.rows, table.compare.total, ""),
                   (table.as_of, table.change.rows, table.change.total, f"变化（较{table.compare.as_of.isoformat()}）")]
    for i, (day, rows, total, caption) in enumerate(blocks):
        if i:
            writer.writerow([])
        writer.writerow([caption or title(table, region_name, day)])
        writer.writerow(top)
        writer.writerow(second)
        writer.writerows(_lines(rows, total, table.group_by))
    return out.getvalue().encode("utf-8-sig")


def table_xlsx(table: FormationTable, region_name: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"截至{table.as_of.isoformat()}"
    _fill(sheet, title(table, region_name, table.as_of), table.rows, table.total, table.group_by)
    if table.compare is not None and table.change is not None:
        earlier = table.compare
        _fill(book.create_sheet(f"截至{earlier.as_of.isoformat()}"), title(table, region_name, earlier.as_of),
              earlier.rows, earlier.total, table.group_by)
        _fill(book.create_sheet("变化"), f"{title(table, region_name, table.as_of)}　较{earlier.as_of.isoformat()}变化",
              table.change.rows, table.change.total, table.group_by)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Worksheet, heading: str, rows: list[TableRow], total: TableRow, group_by: str) -> None:
    width = 1 + len(HEADERS)
    sheet.append([heading])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    top, second = _header_rows()
    sheet.append(top)
    sheet.append(second)
    column = 2
    groups = [group for group, _ in HEADERS.values()]
    while column <= width:
        group = groups[column - 2]
        span = 1
        while group is not None and column - 2 + span < len(groups) and groups[column - 2 + span] == group:
            span += 1
        if group is None:  # a column of its own: its header spans both header rows
            sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
        else:
            sheet.merge_cells(start_row=2, start_column=column, end_row=2, end_column=column + span - 1)
        column += span
    sheet.merge_cells(start_row=2, start_column=1, end_row=3, end_column=1)
    for cells in sheet.iter_rows(min_row=2, max_row=3):
        for cell in cells:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for line in _lines(rows, total, group_by):
        sheet.append(line)
    for cell in sheet[4]:
        cell.font = Font(bold=True)  # the grand total
    sheet.column_dimensions["A"].width = 22
    for index in range(2, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 11
    sheet.freeze_panes = "B4"
