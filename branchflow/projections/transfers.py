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
    committee: str | None = None,
) -> OneTransferAway:
    """The organizations of `region` (and, for a committee's users, of `committee` alone), street and name order.

    The formal members of the region come from `members_formal` alone (index-only: region range, case, relation),
    and only the cases that qualify are joined to their row (the method, the committee, the name)."""
    low, high = region_range(region)
    params: dict[str, Any] = {"low": low, "high": high, "n": t.branch_members, "limit": limit}
    where = "c.method IS DISTINCT FROM 'standalone'"
    if committee is not None:
        where += " AND c.responsible_committee = %(committee)s"
        params["committee"] = committee
    query = (
        "SELECT c.id, c.name, c.region_code, m.formal, m.transferred, count(*) OVER () "
        "FROM (SELECT case_id, count(*) AS formal, count(*) FILTER (WHERE relation_transferred) AS transferred "
        f"FROM {MEMBERS} WHERE status = 'formal' AND region_code >= %(low)s AND region_code < %(high)s "
        "GROUP BY case_id "
        "HAVING count(*) >= %(n)s AND count(*) FILTER (WHERE relation_transferred) < %(n)s) AS m "
        f"JOIN {CASES} AS c ON c.id = m.case_id WHERE {where} "
        "ORDER BY c.region_code, c.name, c.id LIMIT %(limit)s")
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        rows = cur.execute(query, params).fetchall()
    items = [TransferAwayItem(organization_id=r[0], name=r[1], region_code=r[2], formal_members=r[3],
                              transferred_in=r[4]) for r in rows]
    return OneTransferAway(total=rows[0][5] if rows else 0, items=items)
