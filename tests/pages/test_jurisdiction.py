"""In the browser, by names: a national admin reaches a street's board by clicking names only, and an industry
committee's supervisor (律师行业党委) finds the law firms it answers for in two districts, and nothing else."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from branchflow.api.users import Role
from tests.api.test_case_path import registration
from tests.pages.conftest import Stack, signed_in

# Districts of their own: other page tests count 斗门区's board.
XIANGZHOU, JINWAN = "440402", "440404"
STREETS = {f"{XIANGZHOU}211": "香洲页面测试街道", f"{JINWAN}211": "金湾页面测试镇"}


def law_firm(api: httpx.Client, street: str, name: str, committee: str | None) -> str:
    body = registration(f"{street}001", name=name, kind="social", subtype="intermediary", industry="L",
                        employees=12, above_scale=False, credit_code=None, registered=False)
    if committee:
        body["responsible_committee"] = committee
    answer = api.post("/organizations", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_names_lead_a_national_admin_down_and_a_committee_supervisor_to_its_firms_in_two_districts(
    browser: Browser, stack: Stack, tmp_path: Path
) -> None:
    table = tmp_path / "names.csv"
    table.write_text("".join(f"{code},{name}\n{code}001,{name}一社区\n" for code, name in STREETS.items()),
                     encoding="utf-8")
    assert stack.cli("regions", "import", str(table)).returncode == 0
    committee = f"ZH-LAW-{uuid.uuid4().hex[:4]}"
    assert stack.cli("committee", "add", committee, "珠海市律师行业党委", "--kind", "industry",
                     "--region", "4404").returncode == 0
    tag = uuid.uuid4().hex[:4]
    firms = {f"香洲页面律师事务所{tag}": (f"{XIANGZHOU}211", committee),
             f"金湾页面律师事务所{tag}": (f"{JINWAN}211", committee),
             f"金湾页面会计师事务所{tag}": (f"{JINWAN}211", None)}
    organizer = stack.token(Role.ORGANIZER, "4404")
    with stack.client(organizer) as api:
        ids = {name: law_firm(api, street, name, code) for name, (street, code) in firms.items()}
    stack.projected(organizer)
    supervisor = stack.cli("user", "add", f"律师行业党委组织部{tag}", "--role", "supervisor", "--committee", committee)
    assert supervisor.returncode == 0, supervisor.stderr
    token = supervisor.stdout.split("token: ")[1].strip()

    with signed_in(browser, stack, stack.token(Role.ADMIN, "")) as admin:
        page = admin.page
        admin.open("/board")
        page.click("#provinces >> text=广东省")
        expect(page.locator("h1")).to_contain_text("广东省")
        for name in ("珠海市", "金湾区", "金湾页面测试镇"):
            page.click(f"table.data >> text={name}")
            expect(page.locator("h1")).to_contain_text(name)
        expect(page.locator("nav.crumbs")).to_contain_text("广东省")
        expect(page.locator("nav.crumbs")).to_contain_text("金湾区")
        admin.shot("jurisdiction-street-board")

    with signed_in(browser, stack, token) as lawyers:
        page = lawyers.page
        lawyers.open("/cases")
        rows = page.locator("#case-table tbody tr")
        expect(rows).to_have_count(2)
        for name in list(firms)[:2]:
            expect(page.locator("#case-table")).to_contain_text(name)
        expect(page.locator("#case-table")).to_contain_text("香洲页面测试街道一社区")  # names, not codes
        expect(page.locator("#case-table")).not_to_contain_text(list(firms)[2])
        page.click(f"text={list(firms)[1]}")
        expect(page.locator("#case-committee")).to_contain_text("珠海市律师行业党委")
        lawyers.shot("jurisdiction-committee-case")
        lawyers.open(f"/cases/{ids[list(firms)[2]]}")
        expect(page.locator("h1")).not_to_contain_text(list(firms)[2])  # another committee's case: refused
