"""统计 in Chromium: the statistics table (建立党的基层组织情况) today and as of a date picked on the page, its
two header rows, the change beside a compared date, and the Excel download."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from branchflow.api.users import Role
from tests.api.test_case_path import registration
from tests.pages.conftest import Stack, signed_in

STREET = "440402106"  # outside Doumen, whose district board other page tests count


def test_the_statistics_page_shows_the_table_as_of_a_picked_date(browser: Browser, stack: Stack) -> None:
    organizer = stack.token(Role.ORGANIZER, STREET, name="统计表组织员")
    with stack.client(organizer) as api:
        assert api.post("/organizations", json=registration(
            f"{STREET}001", founded_on="2024-01-01", occurred_on="2024-03-01", employees=130)).status_code == 201
        assert api.post("/organizations", json=registration(
            f"{STREET}002", name="某会计师事务所", kind="social", subtype="intermediary", registered=False,
            credit_code=None, industry="L", employees=9, above_scale=False, founded_on="2025-01-01",
            occurred_on="2025-06-01")).status_code == 201
    stack.projected(organizer)
    with signed_in(browser, stack, organizer) as desk:
        page = desk.page
        page.click("header nav >> text=统计")
        table = page.locator("#formation-table table")
        expect(table.locator("thead tr").first).to_contain_text("应建未建")
        expect(table.locator("thead th", has_text="应建未建")).to_have_attribute("colspan", "4")
        expect(table.locator("tbody tr").first.locator("th")).to_have_text("合计")
        expect(table.locator("tbody tr").first.locator("td").first).to_have_text("2")
        expect(table.locator("tbody tr", has_text="中介机构").locator("td").first).to_have_text("1")

        page.fill("#as_of", "2024-12-31")
        page.fill("#compare", "2024-01-31")
        page.click("#statistics-form button[type=submit]")
        expect(page.locator("#formation-table h2")).to_contain_text("截至 2024-12-31")
        first = page.locator("#formation-table tbody tr").first
        expect(first.locator("td").first).to_contain_text("1 (+1)")  # one organization, none a month after
        assert date.today().isoformat() not in page.url
        desk.shot("13-statistics-table-as-of")
        assert desk.problems == []
        # At 1360 px (the context's width) the table fits its card, changes beside the figures and all: no
        # scrolling sideways. Where larger figures make it wider, it scrolls in its own box with the row labels
        # held at the left.
        box = page.locator("#formation-table .scroll")
        assert box.evaluate("b => [b.scrollWidth, b.clientWidth]") == [box.evaluate("b => b.clientWidth")] * 2
        assert page.evaluate("document.documentElement.scrollWidth") <= 1360
        assert first.locator("th").evaluate("c => getComputedStyle(c).position") == "sticky"
        assert table.locator("thead th").first.evaluate("c => getComputedStyle(c).position") == "sticky"

        with page.expect_download() as download:
            page.click("#table-xlsx")
        book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        sheet = book.worksheets[0]
        assert "截至2024年12月31日" in sheet["A1"].value and sheet.freeze_panes == "B4"
        assert sheet.cell(4, 1).value == "合计" and sheet.cell(4, 2).value == 1

        # A date out of range (422) is named by the form's label, not by the query's English name.
        for query, label in (("as_of=1900-01-01", "截至日期"), ("compare=2024-13-01", "对比日期")):
            desk.open(f"/statistics?region={STREET}&{query}")
            expect(page.locator("main")).to_contain_text(f"{label}应为1949年10月1日至今天之间的日期")
            expect(page.locator("main")).not_to_contain_text(query.split("=")[0])

        # The subtype is a filter of the case list and the board, and a fact on the case page.
        desk.open(f"/cases?region={STREET}&subtype=intermediary")
        expect(page.locator("#case-total")).to_have_text("1")
        expect(page.locator("#filter-subtype")).to_have_value("intermediary")
        page.click("#case-table >> text=某会计师事务所")
        expect(page.locator("#case-subtype")).to_have_text("中介机构")
        desk.open(f"/board?region={STREET}&subtype=private")
        expect(page.locator("#fig-total")).to_have_text("1")

        # The note that the figures are on their way shows only once the answer takes over a second: the
        # form's submit event (without the navigation), on a clock moved on by hand.
        start = datetime.now()
        page.clock.install(time=start)  # before the page loads, whose script then sets its timers on this clock
        desk.open(f"/statistics?region={STREET}")
        page.clock.pause_at(start + timedelta(minutes=1))  # the clock moves only when the test moves it
        busy = page.locator("#statistics-busy")
        page.locator("#statistics-form").dispatch_event("submit")
        page.clock.run_for(900)
        expect(busy).to_be_hidden()
        page.clock.run_for(200)
        expect(busy).to_be_visible()
