"""Region names over HTTP (`GET /regions`, `region_name` beside codes, `branchflow regions import`) and the
rule that a new case's county must be a known one."""

from __future__ import annotations

import uuid
from pathlib import Path

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import registration

STREET = "440403117"  # a street of 斗门区 no other test of the stack uses


def test_regions_lists_the_next_level_or_finds_names(stack: Stack) -> None:
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        provinces = api.get("/regions").json()
        assert {"code": "44", "name": "广东省", "level": "province"} in provinces
        assert [r["name"] for r in api.get("/regions", params={"prefix": "4404"}).json()] == [
            "香洲区", "斗门区", "金湾区"]
        assert [r["code"] for r in api.get("/regions", params={"q": "斗门区"}).json()] == ["440403"]
        for field, bad in (("prefix", "44a"), ("prefix", "4" * 13), ("q", "")):
            answer = api.get("/regions", params={field: bad})
            assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == f"query.{field}", answer.text


def test_an_imported_street_names_the_case_and_an_unknown_county_is_422(stack: Stack, tmp_path: Path) -> None:
    table = tmp_path / "2023.csv"
    table.write_bytes(f"{STREET}000,,测试镇\n{STREET}001,111,测试社区\n".encode("gbk"))
    imported = stack.cli("regions", "import", str(table))
    assert imported.returncode == 0 and "2 region names imported, 0 lines rejected" in imported.stdout, imported
    with stack.client(stack.token(Role.ORGANIZER, "4404")) as api:
        created = api.post("/organizations", json=registration(f"{STREET}001"))
        assert created.status_code == 201 and created.json()["region_name"] == "测试社区", created.text
        case = api.get(f"/organizations/{created.json()['id']}").json()
        assert case["region_name"] == "测试社区"
        refused = api.post("/organizations", json=registration("440499001001"))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "region_code", refused.text
        assert "440499" in refused.json()["errors"][0]["message"]
        stack.projected(stack.token(Role.SUPERVISOR, "4404"))
        board = api.get("/boards/status", params={"region": "440403"}).json()
        assert board["region_name"] == "斗门区"
        assert {"region": STREET, "region_name": "测试镇"}.items() <= next(
            c for c in board["children"] if c["region"] == STREET).items()
        listed = api.get("/organizations", params={"region": STREET}).json()["items"]
        assert [c["region_name"] for c in listed] == ["测试社区"]


def test_committees_answer_for_cases_by_default_the_streets_and_change_with_a_reason(stack: Stack) -> None:
    street = "440403118"
    for code, name, kind, region in (("DM-118", "测试街道党工委", "territorial", street),
                                     ("ZH-LAW-T", "珠海市律师行业党委", "industry", "4404")):
        added = stack.cli("committee", "add", code, name, "--kind", kind, "--region", region)
        assert added.returncode == 0 and f"committee {code}: {name}" in added.stdout, added
    again = stack.cli("committee", "add", "DM-118", "重复", "--kind", "territorial", "--region", street)
    assert again.returncode == 1 and "already exists" in again.stderr
    # A value argparse refuses, as a process exits on it (the other calls run in this process).
    assert stack.process("committee", "add", "X", "某党委", "--kind", "party", "--region", "44").returncode == 2
    organizer = stack.token(Role.ORGANIZER, "440403")
    with stack.client(organizer) as api:
        listed = {c["code"]: c for c in api.get("/committees").json()}
        assert listed["ZH-LAW-T"] == {"code": "ZH-LAW-T", "name": "珠海市律师行业党委", "kind": "industry",
                                      "region": "4404"}
        default = api.post("/organizations", json=registration(f"{street}001")).json()
        assert default["responsible_committee"] == {"code": "DM-118", "name": "测试街道党工委"}
        firm = api.post("/organizations", json=registration(f"{street}002", responsible_committee="ZH-LAW-T"))
        assert firm.json()["responsible_committee"]["name"] == "珠海市律师行业党委", firm.text
        for wrong, why in (("NOPE", "no committee"), ("DM-118", "territorial committee")):
            refused = api.post("/organizations", json=registration("440403119001", responsible_committee=wrong))
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["field"] == "responsible_committee" and why in refused.text
        path = f"/organizations/{default['id']}"
        change = {"action": "change_responsible_committee", "responsible_committee": "ZH-LAW-T"}
        no_reason = api.post(f"{path}/actions", json=change)
        assert no_reason.status_code == 409 and no_reason.json()["rule"] == "committee_change_needs_reason"
        unknown = api.post(f"{path}/actions", json={**change, "responsible_committee": "NOPE", "reason": "x"})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "responsible_committee"
        changed = api.post(f"{path}/actions", json={**change, "reason": "律师事务所由律师行业党委管理"})
        assert changed.status_code == 200 and changed.json()["responsible_committee"]["code"] == "ZH-LAW-T"
        [*_, last] = api.get(f"{path}/history").json()
        assert (last["type"], last["reason"], last["data"]) == (
            "ResponsibleCommitteeChanged", "律师事务所由律师行业党委管理", {"committee": "ZH-LAW-T"})
        blank = api.post("/organizations", json=registration(f"{street}003")).json()  # before its committee?
        assert blank["responsible_committee"]["code"] == "DM-118"
        stack.projected(organizer)
        answer = api.get("/boards/status", params={"region": street, "group_by": "committee"})
        assert answer.status_code == 200, answer.text
        board = answer.json()
        assert (board["total"], board["responsibility_covered"], board["responsibility_blank_spots"]) == (3, 3, 0)
        assert [(c["committee"], c["committee_name"], c["total"]) for c in board["by_committee"]] == [
            ("DM-118", "测试街道党工委", 1), ("ZH-LAW-T", "珠海市律师行业党委", 2)]
        table = api.get("/reports/formation-table", params={"region": street, "group_by": "committee"}).json()
        assert [(r["responsible_committee"], r["committee_name"], r["organizations"]) for r in table["rows"]] == [
            ("DM-118", "测试街道党工委", 1), ("ZH-LAW-T", "珠海市律师行业党委", 2)]
        sheet = api.get("/reports/formation-table", params={"region": street, "group_by": "committee",
                                                             "format": "csv"}).content.decode("utf-8-sig")
        assert "珠海市律师行业党委" in sheet
        lawyers = api.get("/organizations", params={"region": street, "responsible_committee": "ZH-LAW-T"}).json()
        assert lawyers["total"] == 2 and {c["responsible_committee"] for c in lawyers["items"]} == {"ZH-LAW-T"}


def test_a_case_without_a_committee_is_a_blank_spot_of_responsibility(stack: Stack) -> None:
    street = "440403120"  # no committee registered here
    organizer = stack.token(Role.ORGANIZER, street)
    with stack.client(organizer) as api:
        case = api.post("/organizations", json=registration(f"{street}001")).json()
        assert case["responsible_committee"] is None
        stack.projected(organizer)
        board = api.get("/boards/status", params={"region": street}).json()
        assert (board["responsibility_covered"], board["responsibility_rate"], board["responsibility_blank_spots"]) \
            == (0, 0.0, 1)
        blank = api.get("/organizations", params={"region": street, "has_committee": False}).json()
        assert [c["id"] for c in blank["items"]] == [case["id"]]
        ledger = api.get("/reports/ledger", params={"region": street}).content.decode("utf-8-sig")
        header = ledger.splitlines()[0].split(",")
        assert "负责党委" in header and "区划名称" in header


def test_a_region_is_given_to_the_command_line_by_its_name_when_one_region_has_it(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    named = stack.cli("user", "add", f"斗门区部长{tag}", "--role", "supervisor", "--region", "斗门区")
    assert named.returncode == 0 and named.stdout.startswith("token: "), named
    with stack.client(named.stdout.split("token: ")[1].strip()) as api:
        assert api.get("/boards/status").json()["region"] == "440403"
    shared = stack.cli("user", "add", f"某部长{tag}", "--role", "supervisor", "--region", "市辖区")
    assert shared.returncode == 1 and "regions are named '市辖区'" in shared.stderr
    unknown = stack.cli("committee", "add", f"X-{tag}", "某党委", "--kind", "industry", "--region", "无此地")
    assert unknown.returncode == 1 and "no region is named" in unknown.stderr


def test_an_imported_ledger_row_gets_its_streets_committee_as_a_registration_does(stack: Stack, tmp_path: Path) -> None:
    street = "440403116"
    added = stack.cli("committee", "add", "DM-116", "测试镇党委", "--kind", "territorial", "--region", street)
    assert added.returncode == 0, added
    ledger = tmp_path / "台帐.csv"
    ledger.write_text("单位名称,区划代码,行业,从业人员数,成立日期,类型,单位类型,是否登记\n"
                      f"测试镇导入电子厂,{street}001,C,40,2018-06-01,单位,企业,否\n", encoding="utf-8-sig")
    imported = stack.cli("import", str(ledger))
    assert imported.returncode == 0 and "1 organizations registered" in imported.stdout, imported
    organizer = stack.token(Role.ORGANIZER, street)
    stack.projected(organizer)
    with stack.client(organizer) as api:
        [case] = api.get("/organizations", params={"region": street}).json()["items"]
        assert case["responsible_committee"] == "DM-116"
