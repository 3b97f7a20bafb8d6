"""Region names over HTTP (`GET /regions`, `region_name` beside codes, `branchflow regions import`) and the
rule that a new case's county must be a known one."""

from __future__ import annotations

from pathlib import Path

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import registration

STREET = "440403107"  # a street of 斗门区 no other test of the stack uses


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
