"""The statistics table's files: the form's layout, and text that people typed never run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from branchflow.projections.formation_table import FormationTable, TableRow
from branchflow.projections.table_sheet import HEADERS, table_csv, table_xlsx


def committee_table() -> FormationTable:
    rows = [TableRow(responsible_committee="=HYPERLINK(\"http://x\")", organizations=2, members=5),
            TableRow(responsible_committee=None, organizations=1)]
    return FormationTable(region="440403", as_of=date(2025, 12, 31), rows=rows,
                          total=TableRow(organizations=3, members=5), group_by="committee")


def test_a_committee_code_typed_as_a_formula_is_shown_not_run() -> None:
    lines = list(csv.reader(io.StringIO(table_csv(committee_table(), "斗门区").decode("utf-8-sig"))))
    assert lines[0][0] == "建立党的基层组织情况　斗门区（440403）　截至2025年12月31日"
    assert [line[0] for line in lines[3:]] == ["合计", "'=HYPERLINK(\"http://x\")", "未明确隶属党组织"]
    sheet = load_workbook(io.BytesIO(table_xlsx(committee_table(), "斗门区"))).worksheets[0]
    assert sheet.cell(5, 1).value == "'=HYPERLINK(\"http://x\")" and sheet.cell(5, 1).data_type == "s"
    assert [sheet.cell(4, 2).value, sheet.cell(5, 2).value, sheet.cell(6, 2).value] == [3, 2, 1]


def test_every_column_has_its_chinese_header_under_its_group() -> None:
    sheet = load_workbook(io.BytesIO(table_xlsx(committee_table()))).worksheets[0]
    top, second = [c.value for c in sheet[2]], [c.value for c in sheet[3]]
    assert top[0] == "类别" and len(top) == 1 + len(HEADERS)
    for index, (group, header) in enumerate(HEADERS.values(), start=1):
        assert (second[index] == header) if group else (top[index] == header)
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"C2:E2", "F2:G2", "J2:M2", "P2:Q2"} <= merged  # own organizations, joint, 应建未建, members
