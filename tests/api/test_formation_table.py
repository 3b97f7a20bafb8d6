"""GET /reports/formation-table over HTTP: JSON, CSV and XLSX in the form's layout, as of past dates and
compared; as_of on the board, the statistics and the ledger; dates out of range are 422."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import httpx
from openpyxl import load_workbook

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import member, registration

STREET = "440403115"  # a street of its own: no other test's cases in these figures
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _street(api: httpx.Client) -> None:
    """An enterprise registered 2024-03-01 with three members from 2024-04-01 and a branch approved 2025-02-01
    (by the supervisor); a law firm (social, intermediary) registered 2025-03-01."""
    enterprise = api.post("/organizations", json=registration(
        f"{STREET}001", founded_on="2024-01-01", occurred_on="2024-03-01", employees=30, above_scale=False))
    assert enterprise.status_code == 201, enterprise.text
    path = f"/organizations/{enterprise.json()['id']}/actions"
    for name in ("王芳", "李强", "张伟"):
        assert api.post(path, json={**member(name), "occurred_on": "2024-04-01"}).status_code == 200
    assert api.post(path, json={"action": "request_formal_branch", "name": "支部",
                                "occurred_on": "2025-01-10"}).status_code == 200
    law_firm = api.post("/organizations", json=registration(
        f"{STREET}002", name="某律师事务所", kind="social", subtype="intermediary", registered=False, credit_code=None,
        industry="L", employees=12, above_scale=False, founded_on="2025-01-01", occurred_on="2025-03-01"))
    assert law_firm.status_code == 201, law_firm.text


def _row(table: dict[str, Any], kind: str, subtype: str | None) -> dict[str, Any]:
    return next(r for r in table["rows"] if (r["kind"], r["subtype"]) == (kind, subtype))


def test_the_table_as_json_csv_and_xlsx_today_as_of_and_compared(stack: Stack) -> None:
    organizer, supervisor = stack.token(Role.ORGANIZER, STREET), stack.token(Role.SUPERVISOR, "440403")
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        _street(api)
        stack.projected(organizer)
        enterprise = api.get("/organizations", params={"region": f"{STREET}001"}).json()["items"][0]["id"]
        assert sup.post(f"/organizations/{enterprise}/actions", json={
            "action": "approve_formal_branch", "occurred_on": "2025-02-01"}).status_code == 200
        stack.projected(organizer)

        today = api.get("/reports/formation-table", params={"region": STREET}).json()
        assert today["region"] == STREET and today["as_of"] == date.today().isoformat()
        assert today["total"]["organizations"] == 2 and today["total"]["branch"] == 1
        assert _row(today, "social", "intermediary")["organizations"] == 1
        assert _row(today, "social", None)["employees"] == 12
        assert [(r["kind"], r["subtype"]) for r in today["rows"]][:2] == [("economic", None), ("economic", "private")]

        end_2024 = api.get("/reports/formation-table", params={"region": STREET, "as_of": "2024-12-31"}).json()
        private = _row(end_2024, "economic", "private")
        assert (private["organizations"], private["branch"], private["should_have_none"],
                private["should_have_none_3_plus"], private["members"]) == (1, 0, 1, 1, 3)
        assert end_2024["total"]["organizations"] == 1  # the law firm came in 2025
        before = api.get("/reports/formation-table", params={"region": STREET, "as_of": "2024-03-31"}).json()
        assert before["total"]["organizations"] == 1 and before["total"]["members"] == 0

        compared = api.get("/reports/formation-table",
                           params={"region": STREET, "compare": "2024-12-31"}).json()
        assert compared["compare"]["as_of"] == "2024-12-31"
        assert compared["change"]["total"]["organizations"] == 1 and compared["change"]["total"]["branch"] == 1
        assert compared["change"]["total"]["should_have_none"] == -1

        # as_of on the other reports: the same past
        board = api.get("/boards/status", params={"region": STREET, "as_of": "2024-12-31"}).json()
        assert (board["total"], board["formed"], board["blank_spots"]) == (1, 0, 1)
        stats = api.get("/reports/statistics", params={"region": STREET, "as_of": "2024-12-31"}).json()
        assert stats["party_organizations"]["branch"] == 0 and stats["members"]["total"] == 3
        by_industry = api.get("/reports/statistics", params={"region": STREET, "by": "industry"}).json()
        assert set(by_industry["by_industry"]) == {"C", "L"}
        assert api.get("/boards/status", params={"region": STREET, "subtype": "intermediary"}).json()["total"] == 1
        ledger = api.get("/reports/ledger", params={"region": STREET, "as_of": "2024-12-31"})
        lines = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
        assert len(lines) == 2 and "单位性质" in lines[0] and "私营企业" in lines[1]

        text = api.get("/reports/formation-table", params={"region": STREET, "format": "csv"})
        assert text.content.startswith(b"\xef\xbb\xbf") and text.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert rows[0][0].startswith("建立党的基层组织情况") and rows[1][:2] == ["类别", "单位数"]
        assert rows[3][:2] == ["合计", "2"]

        sheet_file = api.get("/reports/formation-table", params={"region": STREET, "format": "xlsx",
                                                                  "as_of": "2024-12-31", "compare": "2024-03-31"})
        assert sheet_file.headers["content-type"] == XLSX_TYPE
        book = load_workbook(io.BytesIO(sheet_file.content))
        assert book.sheetnames == ["截至2024-12-31", "截至2024-03-31", "变化"]
        sheet = book.worksheets[0]
        assert "截至2024年12月31日" in sheet["A1"].value and STREET in sheet["A1"].value
        merged = {str(r) for r in sheet.merged_cells.ranges}
        headers = [c.value for c in sheet[2]]
        start = headers.index("应建未建") + 1  # 1-based column of the group
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        assert f"{letters[start - 1]}2:{letters[start + 2]}2" in merged  # 应建未建 over 合计 and its three parts
        parts = [c.value for c in sheet[3]][start - 1:start + 3]
        assert parts == ["合计", "有3名以上正式党员", "有1至2名党员", "无党员"]
        assert "A2:A3" in merged and "A1:T1" in merged
        assert sheet.freeze_panes == "B4"
        assert [sheet.cell(4, 1).value, sheet.cell(4, 2).value] == ["合计", 1]
        assert sheet.cell(5, 1).value == "新经济组织" and sheet.cell(6, 1).value.strip() == "私营企业"
        assert sheet.cell(4, start).value == 1  # should_have_none in the grand total
        assert book["变化"].cell(4, headers.index("党员") + 1).value == 3  # members: 0 then 3


def test_dates_out_of_range_are_422_naming_the_field(stack: Stack) -> None:
    with stack.client(stack.token(Role.SUPERVISOR, "440403")) as api:
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        for path in ("/reports/formation-table", "/boards/status", "/reports/statistics", "/reports/ledger"):
            for bad in ("1949-09-30", tomorrow, "20240101"):
                answer = api.get(path, params={"region": STREET, "as_of": bad})
                assert answer.status_code == 422 and "as_of" in answer.text, (path, bad, answer.text)
        answer = api.get("/reports/formation-table", params={"region": STREET, "compare": tomorrow})
        assert answer.status_code == 422 and "compare" in answer.text
        assert api.get("/reports/formation-table", params={"region": STREET, "group_by": "x"}).status_code == 422
