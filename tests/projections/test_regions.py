"""Region names beside codes: shipped provinces, cities and counties; streets and communities imported from
the statistical bureau's table in its usual shapes; names on boards, lists, the ledger and the statistics."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from branchflow.api.intake.region_table import read_region_table, region_prefix
from branchflow.projections import Scope, case_list, ledger_csv, ledger_rows, statistics, status_board
from branchflow.projections.case_list import CaseFilters
from branchflow.projections.regions import (
    is_known_county,
    region_names,
    save_regions,
    search_regions,
    shipped_regions,
)
from tests.domain.cases import organization

from .conftest import projected

STREET = "440403001"


@pytest.fixture(scope="module")
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    cases = [organization(name="井岸某电子有限公司", region_code=f"{STREET}001"),
             organization(name="无名社区企业", region_code=f"{STREET}009"),
             organization(name="香洲某企业", region_code="440402001001")]
    for connection in projected(database_url, cases):
        save_regions(connection, [(STREET, "井岸镇"), (f"{STREET}001", "西埔社区")])
        yield connection


class TestShippedNames:
    def test_provinces_cities_and_counties_ship_with_their_codes(self) -> None:
        names = dict(shipped_regions())
        assert (names["44"], names["4404"], names["440403"]) == ("广东省", "珠海市", "斗门区")
        assert {len(code) for code in names} == {2, 4, 6}

    def test_a_municipality_has_the_city_level_its_district_codes_name(self) -> None:
        names = dict(shipped_regions())
        assert (names["11"], names["1101"], names["110101"]) == ("北京市", "市辖区", "东城区")
        assert (names["5001"], names["5002"]) == ("市辖区", "县")

    def test_the_projector_puts_them_in_the_table(self, conn: psycopg.Connection[Any]) -> None:
        assert region_names(conn, ["44", "440403", "999999"]) == {"44": "广东省", "440403": "斗门区"}

    def test_a_county_is_known_when_shipped_and_a_city_without_counties_by_its_city(
        self, conn: psycopg.Connection[Any]
    ) -> None:
        assert is_known_county(conn, "440403001001") and is_known_county(conn, "441900003001")  # 东莞市
        assert not is_known_county(conn, "440499001001")


class TestSearch:
    def test_without_text_the_next_level_provinces_first(self, conn: psycopg.Connection[Any]) -> None:
        provinces = search_regions(conn)
        assert len(provinces) == 33 and provinces[0].model_dump() == {"code": "11", "name": "北京市",
                                                                      "level": "province"}
        assert [r.name for r in search_regions(conn, "4404")] == ["香洲区", "斗门区", "金湾区"]
        assert [(r.code, r.level) for r in search_regions(conn, "440403")] == [(STREET, "street")]

    def test_text_finds_names_under_the_prefix_higher_levels_first(self, conn: psycopg.Connection[Any]) -> None:
        assert [r.code for r in search_regions(conn, "", "斗门")] == ["440403"]
        assert [r.name for r in search_regions(conn, "4404", "井岸")] == ["井岸镇"]
        assert [r.code for r in search_regions(conn, "44", "4404")][:3] == ["4404", "440402", "440403"]
        assert search_regions(conn, "11", "斗门") == []

    def test_like_wildcards_in_the_text_match_only_themselves(self, conn: psycopg.Connection[Any]) -> None:
        assert search_regions(conn, "", "%") == [] and search_regions(conn, "", "_") == []


class TestNamesBesideCodes:
    def test_board_children_and_the_region_itself_carry_names_unknown_ones_null(
        self, conn: psycopg.Connection[Any]
    ) -> None:
        board = status_board(conn, Scope(region="4404"))
        assert board.region_name == "珠海市"
        assert [(c.region, c.region_name) for c in board.children] == [("440402", "香洲区"), ("440403", "斗门区")]
        street = status_board(conn, Scope(region=STREET))
        assert [(c.region, c.region_name) for c in street.children] == [
            (f"{STREET}001", "西埔社区"), (f"{STREET}009", None)]

    def test_the_case_list_names_each_cases_region(self, conn: psycopg.Connection[Any]) -> None:
        page = case_list(conn, CaseFilters(region=STREET))
        assert [(c.name, c.region_name) for c in page.items] == [("井岸某电子有限公司", "西埔社区"),
                                                                  ("无名社区企业", None)]

    def test_the_ledger_has_a_column_of_region_names(self, conn: psycopg.Connection[Any]) -> None:
        header, *rows = list(csv.reader(io.StringIO(ledger_csv(ledger_rows(conn, Scope(region=STREET)))
                                                    .decode("utf-8-sig"))))
        at = header.index("区划名称")
        assert header[at - 1] == "区划代码" and [row[at] for row in rows] == ["西埔社区", ""]

    def test_the_statistics_name_their_region(self, conn: psycopg.Connection[Any]) -> None:
        assert statistics(conn, "440403", date(2025, 1, 1)).region_name == "斗门区"
        assert statistics(conn, f"{STREET}009", date(2025, 1, 1)).region_name is None

    def test_an_imported_name_replaces_a_shipped_one_and_is_kept(self, conn: psycopg.Connection[Any]) -> None:
        save_regions(conn, [("440404", "金湾区（新）")])
        assert region_names(conn, ["440404"]) == {"440404": "金湾区（新）"}
        save_regions(conn, [("440404", "金湾区")])


class TestTheBureausTable:
    @pytest.mark.parametrize(("code", "prefix"), [
        ("440403001000", "440403001"), ("440403001002", "440403001002"), ("440403000000", "440403"),
        ("440400000000", "4404"), ("440000000000", "44"), ("440400", "4404"), ("440000", "44"),
        ("440403", "440403"), ("440403001", "440403001"), ("44", "44"), ("4404031", None), ("名称", None),
    ])
    def test_padded_and_short_codes_name_their_prefix(self, code: str, prefix: str | None) -> None:
        assert region_prefix(code) == prefix

    def test_gbk_with_the_bureaus_urban_rural_column_and_a_header(self, tmp_path: Path) -> None:
        path = tmp_path / "2023.csv"
        path.write_bytes("统计用区划代码,城乡分类代码,名称\n440403001000,,井岸镇\n440403001001,111,西埔社区\n"
                         .encode("gbk"))
        table = read_region_table(path)
        assert table.names == {"440403001": "井岸镇", "440403001001": "西埔社区"} and table.rejected == []

    def test_utf8_with_a_byte_order_mark_no_header_and_tabs(self, tmp_path: Path) -> None:
        path = tmp_path / "streets.tsv"
        path.write_bytes("\ufeff440403001\t井岸镇\r\n440403002\t白蕉镇\r\n".encode())
        assert read_region_table(path).names == {"440403001": "井岸镇", "440403002": "白蕉镇"}

    def test_bad_lines_are_rejected_with_their_reason_and_the_rest_kept(self, tmp_path: Path) -> None:
        path = tmp_path / "mixed.csv"
        path.write_text("code,name\n440403001,井岸镇\n4404031,七位\n440403002,\n000403001,零省\n", encoding="utf-8")
        table = read_region_table(path)
        assert table.names == {"440403001": "井岸镇"}
        assert [line.split(":")[0] for line in table.rejected] == ["line 3", "line 4", "line 5"]
        assert "no name" in table.rejected[1] and "'00'" in table.rejected[2]
