"""The work queue (api.md `GET /work-queue`): every open obligation of a scope, overdue first, then by due date.

An item is overdue when the case's workflow escalated it or its due date has passed (`work_queue.is_overdue`,
in SQL here). Items due "without delay" (no date) come after the overdue ones and before the dated ones.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import psycopg
from pydantic import BaseModel

from branchflow.projections.schema import CASES, WORK_QUEUE, region_range

MAX_PAGE_SIZE = 500
DUE_SOON_DAYS = 30  # the board's "30天内到期"
_OVERDUE = "(escalated OR coalesce(due_on < %(today)s, false))"  # never NULL: it is sorted on


class QueueItem(BaseModel):
    organization_id: UUID
    name: str
    region_code: str
    rule: str
    subject: str
    subject_name: str
    detail: str
    due_on: date | None
    overdue: bool
    actions: list[str]


class WorkQueue(BaseModel):
    items: list[QueueItem]
    total: int


class QueueCounts(BaseModel):
    overdue: int
    due_soon: int  # not overdue, due within DUE_SOON_DAYS days


def _where(region: str, today: date, rule: str | None, overdue: bool | None,
           committee: str | None = None) -> tuple[str, dict[str, Any]]:
    low, high = region_range(region)
    params: dict[str, Any] = {"low": low, "high": high, "today": today}
    where = "region_code >= %(low)s AND region_code < %(high)s"
    if committee is not None:  # the cases one responsible committee answers for (a committee's users)
        where += f" AND case_id IN (SELECT id FROM {CASES} WHERE responsible_committee = %(committee)s)"
        params["committee"] = committee
    if rule is not None:
        where += " AND rule = %(rule)s"
        params["rule"] = rule
    if overdue is not None:
        where += f" AND {'' if overdue else 'NOT '}{_OVERDUE}"
    return where, params


def work_queue(
    conn: psycopg.Connection[Any], region: str, today: date, *, rule: str | None = None,
    overdue: bool | None = None, page: int = 1, page_size: int = 50, committee: str | None = None,
) -> WorkQueue:
    """One page of the queue of `region` (a prefix: a street is its 9 digits) as of `today`."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page must be 1 or more and page_size 1 to {MAX_PAGE_SIZE}")
    where, params = _where(region, today, rule, overdue, committee)
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        counted = cur.execute(f"SELECT count(*) FROM {WORK_QUEUE} WHERE {where}", params).fetchone()
        rows = cur.execute(
            f"SELECT case_id, name, region_code, rule, subject, subject_name, detail, due_on, {_OVERDUE}, actions "
            f"FROM {WORK_QUEUE} WHERE {where} "
            f"ORDER BY {_OVERDUE} DESC, due_on NULLS FIRST, region_code, name, case_id, rule, subject "
            "LIMIT %(limit)s OFFSET %(offset)s",
            {**params, "limit": page_size, "offset": (page - 1) * page_size}).fetchall()
    assert counted is not None
    items = [QueueItem(organization_id=r[0], name=r[1], region_code=r[2], rule=r[3], subject=r[4],
                       subject_name=r[5], detail=r[6], due_on=r[7], overdue=r[8], actions=r[9].split()) for r in rows]
    return WorkQueue(items=items, total=counted[0])


def queue_counts(conn: psycopg.Connection[Any], region: str, today: date, committee: str | None = None) -> QueueCounts:
    """逾期 N · 30天内到期 M for a scope."""
    where, params = _where(region, today, None, None, committee)
    params["soon"] = today + timedelta(days=DUE_SOON_DAYS)
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        row = cur.execute(
            f"SELECT count(*) FILTER (WHERE {_OVERDUE}), "
            f"count(*) FILTER (WHERE NOT {_OVERDUE} AND due_on <= %(soon)s) FROM {WORK_QUEUE} WHERE {where}",
            params).fetchone()
    assert row is not None
    return QueueCounts(overdue=row[0], due_soon=row[1])
