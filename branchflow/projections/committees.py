"""The registry of responsible party committees (隶属党组织): territorial (街道党工委, 乡镇党委) or industry (行业
党委: lawyers, accountants, social organizations, an industrial park), each sitting in a region.

Kept beside the read models like the region names (`branchflow committee add` writes it, nothing in the
events does), so a rebuild of the projections leaves it alone. Cases name a committee by its code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from branchflow.domain.values import CommitteeCode, RegionPrefix, no_control_characters

COMMITTEES: Final = "branchflow_committees"
CREATE: Final = """
CREATE TABLE IF NOT EXISTS {table} (
    code    text COLLATE "C" PRIMARY KEY,
    name    text NOT NULL,
    kind    text NOT NULL,
    region  text COLLATE "C" NOT NULL
)"""


class CommitteeKind(StrEnum):
    TERRITORIAL = "territorial"  # 属地: the street's or township's committee, answers for its territory
    INDUSTRY = "industry"  # 行业: answers for the cases given to it, wherever they are


CommitteeName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                          AfterValidator(no_control_characters)]


class Committee(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CommitteeCode
    name: CommitteeName
    kind: CommitteeKind
    region: RegionPrefix  # where it sits: a territorial committee's territory


class CommitteeRef(BaseModel):
    """A case's responsible committee as the case shows it (api.md: `{code, name}`)."""

    code: str
    name: str | None  # null for a code the registry does not (or no longer) know


class CommitteeExists(Exception):
    pass


def ensure_committees(conn: psycopg.Connection[Any], schema: str | None = None) -> None:
    table = sql.Identifier(schema, COMMITTEES).as_string() if schema else COMMITTEES
    conn.execute(CREATE.format(table=table))
    if not conn.autocommit:
        conn.commit()


def add_committee(conn: psycopg.Connection[Any], committee: Committee) -> None:
    ensure_committees(conn)
    try:
        conn.execute(f"INSERT INTO {COMMITTEES} (code, name, kind, region) VALUES (%s, %s, %s, %s)",
                     (committee.code, committee.name, committee.kind.value, committee.region))
    except psycopg.errors.UniqueViolation:
        raise CommitteeExists(f"a committee with the code {committee.code!r} already exists") from None
    if not conn.autocommit:
        conn.commit()


def committees(conn: psycopg.Connection[Any], codes: list[str] | None = None) -> list[Committee]:
    """Every committee (or those of `codes`), in code order."""
    where, params = ("WHERE code = ANY(%s)", (codes,)) if codes is not None else ("", ())
    with conn.cursor(row_factory=class_row(Committee)) as cur:
        return cur.execute(f"SELECT code, name, kind, region FROM {COMMITTEES} {where} ORDER BY code",
                           params).fetchall()


def committee(conn: psycopg.Connection[Any], code: str) -> Committee | None:
    found = committees(conn, [code])
    return found[0] if found else None


def street_committee(conn: psycopg.Connection[Any], region_code: str) -> Committee | None:
    """The territorial committee of the case's street (township), the default responsible committee."""
    with conn.cursor(row_factory=class_row(Committee)) as cur:
        return cur.execute(f"SELECT code, name, kind, region FROM {COMMITTEES} WHERE kind = 'territorial' "
                           "AND region = %s ORDER BY code LIMIT 1", (region_code[:9],)).fetchone()


def committee_names(conn: psycopg.Connection[Any], codes: list[str | None]) -> dict[str, str]:
    return {c.code: c.name for c in committees(conn, sorted({c for c in codes if c}))}
