"""The work ledger: a row per case with its facts, stage, method, party organization and instructor,
as CSV that Excel reads (UTF-8 with BOM) and as XLSX; a name typed as a formula is never run."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from openpyxl import load_workbook

from branchflow.projections import Scope, ledger_csv, ledger_rows, ledger_xlsx
from branchflow.projections.ledger import HEADERS
from tests.domain.cases import add_members, organization, stamp, with_formal_branch

from .conftest import projected

STREET = "440403001"


@pytest.fixture(scope="module")
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    formed = with_formal_branch(organization(name="珠海某科技有限公司", region_code=f"{STREET}001", employees=120,
                                             above_scale=True, founded_on=date(2019, 3, 8)))
    dispatched = organization(name="=HYPERLINK(\"http://x\")", region_code=f"{STREET}002", kind="social")
    dispatched.assign_instructor("@李指导员", stamp())
    affiliated = organization(name="+plus", region_code=f"{STREET}002", registered=False)
    add_members(affiliated, 1)
    affiliated.affiliate("-村党支部", stamp())
    closed = organization(name="已注销企业", region_code=f"{STREET}003")
    closed.close_case(stamp())
    elsewhere = organization(name="其他区企业", region_code="440402001001")
    yield from projected(database_url, [formed, dispatched, affiliated, closed, elsewhere])


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


class TestTheLedger:
    def test_a_row_per_case_in_the_region_closed_ones_included(self, conn: psycopg.Connection[Any]) -> None:
        rows = ledger_rows(conn, Scope(region=STREET))
        assert [r.name for r in rows] == ["珠海某科技有限公司", "+plus", "=HYPERLINK(\"http://x\")", "已注销企业"]
        assert [r.stage for r in rows] == ["FORMAL_BRANCH", "DEVELOPING_MEMBERS", "DEVELOPING_MEMBERS", "CLOSED"]
        assert [r.method for r in rows] == ["standalone", "affiliated", "dispatched", None]
        assert rows[0].party_org_type == "branch" and rows[0].formal_members == 3
        assert [r.name for r in ledger_rows(conn, Scope(region=STREET, kind="social"))] == [rows[2].name]

    def test_csv_has_a_byte_order_mark_chinese_headers_and_neutralized_formulas(
        self, conn: psycopg.Connection[Any]
    ) -> None:
        data = ledger_csv(ledger_rows(conn, Scope(region=STREET)))
        assert data.startswith(b"\xef\xbb\xbf")
        header, formed, affiliated, dispatched, closed = csv_rows(data)
        assert header == list(HEADERS) and header[:3] == ["组织名称", "统一社会信用代码", "组织类别"]
        cell = dict(zip(header, formed, strict=True))
        assert (cell["组织名称"], cell["组建阶段"], cell["组建方式"], cell["党组织类型"]) == (
            "珠海某科技有限公司", "正式党组织", "单独组建", "党支部")
        assert (cell["规模以上"], cell["从业人员数"], cell["成立日期"], cell["行业"]) == (
            "是", "120", "2019-03-08", "制造业")
        assert dispatched[0] == "'=HYPERLINK(\"http://x\")"
        assert dict(zip(header, dispatched, strict=True))["党建工作指导员"] == "'@李指导员"
        assert (affiliated[0], dict(zip(header, affiliated, strict=True))["党组织名称"]) == ("'+plus", "'-村党支部")
        assert dict(zip(header, closed, strict=True))["组建阶段"] == "已关闭"

    def test_xlsx_holds_the_same_cells_and_no_formula(self, conn: psycopg.Connection[Any]) -> None:
        rows = ledger_rows(conn, Scope(region=STREET))
        sheet = load_workbook(io.BytesIO(ledger_xlsx(rows))).active
        assert sheet is not None
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        as_csv = csv_rows(ledger_csv(rows))
        assert cells[0] == as_csv[0]
        for from_xlsx, from_csv in zip(cells[1:], as_csv[1:], strict=True):
            assert [v.date().isoformat() if hasattr(v, "date") else "" if v is None else str(v)
                    for v in from_xlsx] == from_csv
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
