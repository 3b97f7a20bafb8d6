"""The audit trail across cases (api.md `GET /audit`): who did what, when and why, in recorded order.

Each row is what `GET /organizations/{id}/history` shows for the event (the domain's `history_entry`),
with the case's region: its current one (a corrected region moves the case's whole trail with it), so a
region's supervisors see exactly the histories of the cases now in their region.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row
from pydantic import BaseModel

from branchflow.domain.application import HistoryEntry
from branchflow.projections.schema import AUDIT, CASES, region_range

MAX_PAGE_SIZE = 500


class AuditEntry(HistoryEntry):
    """One event of the trail across cases: the case's own history entry and which case it is."""

    case_id: UUID
    case_name: str
    region_code: str


class AuditPage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[AuditEntry]


def audit_trail(
    conn: psycopg.Connection[Any], region: str = "", actor: str | None = None, since: date | None = None,
    until: date | None = None, case_id: UUID | None = None, page: int = 1, page_size: int = 100,
    committee: str | None = None,
) -> AuditPage:
    """Events oldest first; `since` and `until` bound the business date (`occurred_on`), both inclusive."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page must be 1 or more and page_size 1 to {MAX_PAGE_SIZE}")
    low, high = region_range(region)
    where = "a.region_code >= %(low)s AND a.region_code < %(high)s"
    params: dict[str, Any] = {"low": low, "high": high}
    for name, value, condition in (
        ("actor", actor, "a.actor = %(actor)s"),
        ("since", since, "a.occurred_on >= %(since)s"),
        ("until", until, "a.occurred_on <= %(until)s"),
        ("case_id", case_id, "a.case_id = %(case_id)s"),
        ("committee", committee, f"a.case_id IN (SELECT id FROM {CASES} WHERE responsible_committee = %(committee)s)"),
    ):
        if value is not None:
            where += f" AND {condition}"
            params[name] = value
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {AUDIT} AS a WHERE {where}", params)
        counted = cur.fetchone()
    assert counted is not None
    with conn.cursor(row_factory=class_row(AuditEntry)) as rows:
        # The page's keys first (from an index), then only its hundred rows with their data.
        items = rows.execute(
            f"WITH page AS (SELECT a.case_id, a.sequence, a.notification_id FROM {AUDIT} AS a WHERE {where} "
            "ORDER BY a.notification_id LIMIT %(limit)s OFFSET %(offset)s) "
            "SELECT a.case_id, c.name AS case_name, a.region_code, a.sequence, a.type, a.occurred_on, "
            f"a.recorded_at, a.actor, a.reason, a.data FROM page JOIN {AUDIT} AS a USING (case_id, sequence) "
            f"JOIN {CASES} AS c ON c.id = a.case_id ORDER BY page.notification_id",
            {**params, "limit": page_size, "offset": (page - 1) * page_size},
        ).fetchall()
    return AuditPage(total=counted[0], page=page, page_size=page_size, items=items)
