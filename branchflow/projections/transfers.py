"""Organizations one transfer away from a branch of their own (domain.md "What comes due"): three or more formal
members present, fewer than three of them with their relation transferred in, and no party organization of
their own. Counted from the `members` rows (open cases only), joined to their case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from pydantic import BaseModel

from branchflow.domain.rules import SEED_THRESHOLDS, Thresholds
from branchflow.projections.schema import CASES, MEMBERS, region_range


class TransferAwayItem(BaseModel):
    organization_id: UUID
    name: str
    region_code: str
    formal_members: int  # present
    transferred_in: int  # of them, with their relation here


class OneTransferAway(BaseModel):
    total: int
    items: list[TransferAwayItem]


def one_transfer_away(
    conn: psycopg.Connection[Any], region: str, t: Thresholds = SEED_THRESHOLDS, limit: int = 100,
) -> OneTransferAway:
    low, high = region_range(region)
    query = (
        "SELECT c.id, c.name, c.region_code, m.formal, m.transferred, count(*) OVER () "
        "FROM (SELECT case_id, count(*) FILTER (WHERE status = 'formal') AS formal, "
        "count(*) FILTER (WHERE status = 'formal' AND relation_transferred) AS transferred "
        f"FROM {MEMBERS} WHERE region_code >= %(low)s AND region_code < %(high)s GROUP BY case_id) AS m "
        f"JOIN {CASES} AS c ON c.id = m.case_id "
        "WHERE m.formal >= %(n)s AND m.transferred < %(n)s AND c.method IS DISTINCT FROM 'standalone' "
        "ORDER BY c.region_code, c.name, c.id LIMIT %(limit)s")
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        rows = cur.execute(query, {"low": low, "high": high, "n": t.branch_members, "limit": limit}).fetchall()
    items = [TransferAwayItem(organization_id=r[0], name=r[1], region_code=r[2], formal_members=r[3],
                              transferred_in=r[4]) for r in rows]
    return OneTransferAway(total=rows[0][5] if rows else 0, items=items)
