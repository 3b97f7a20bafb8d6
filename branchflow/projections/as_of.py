"""The read models as of a past business date: the rows of `cases` and `members` each case had then.

`rows_as_of` names views (`schema.CASES_AS_OF`, `schema.MEMBERS_AS_OF`) of the periods the projection keeps
(`case_periods`, `member_periods`: each case's rows from one business date to the next, derived by the
domain's functions from the case as it stood then); a report reads them through the same queries as
today's tables, so a past date costs a sum over the periods that hold on it.

`replayed_rows` gets the same rows the slow way, replaying each case's events up to the date
(`domain.as_of.case_as_of`) into temporary tables: the tests hold the two equal. The candidates are the
cases in the region now and registered (or with a step) by then: a case's region changes only by a correction,
which counts for its past too (as known now). A case whose events (by the audit trail) all lie on or before the day is
copied from the live rows, which the same events gave: only the others are replayed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from uuid import UUID

import psycopg
from eventsourcing.persistence import Mapper, StoredEvent
from psycopg import sql
from psycopg.rows import tuple_row

from branchflow.domain.application import FormationApplication
from branchflow.domain.as_of import case_as_of
from branchflow.domain.rules import Thresholds
from branchflow.projections.rows import case_row, member_rows, values
from branchflow.projections.schema import (
    AS_OF,
    AUDIT,
    CASE_COLUMNS,
    CASES,
    CASES_AS_OF,
    MEMBER_COLUMNS,
    MEMBERS,
    MEMBERS_AS_OF,
    copy_types,
    region_range,
)

PAST_CASES: Final = "past_cases"
PAST_MEMBERS: Final = "past_members"
_CHUNK: Final = 2000  # cases whose events are read and replayed at a time


@dataclass(frozen=True)
class PastRows:
    """The tables to read instead of `cases` and `members`, and the date they hold."""

    day: date
    cases: str = PAST_CASES
    members: str = PAST_MEMBERS


@dataclass(frozen=True)
class EventSource:
    """Where the events are (the application's events table, schema-qualified and quoted) and how to read them."""

    events_table: str
    mapper: Mapper[UUID]
    thresholds: Thresholds

    @classmethod
    def of(cls, app: FormationApplication) -> EventSource:
        """The application's events, in the database the read models are in (the projector's too)."""
        recorder: Any = app.recorder
        schema = app.factory.datastore.schema  # type: ignore[attr-defined]
        return cls(sql.Identifier(schema, recorder.events_table_name).as_string(), app.mapper,
                   app.thresholds)


@contextmanager
def rows_as_of(conn: psycopg.Connection[Any], day: date) -> Iterator[PastRows]:
    """The views of every case's rows as of the end of `day`, for the queries inside this block (one
    transaction; a block inside another gives the outer one its date back when it ends)."""
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        found = cur.execute("SELECT current_setting(%s, true)", (AS_OF,)).fetchone()
        cur.execute("SELECT set_config(%s, %s, true)", (AS_OF, day.isoformat()))
        yield PastRows(day, CASES_AS_OF, MEMBERS_AS_OF)
        cur.execute("SELECT set_config(%s, %s, true)", (AS_OF, found[0] if found and found[0] else ""))


@contextmanager
def replayed_rows(conn: psycopg.Connection[Any], source: EventSource, region: str, day: date) -> Iterator[PastRows]:
    """Fills temporary tables for the cases of `region` as of the end of `day` by replaying their events,
    inside one transaction (they are dropped when it ends)."""
    low, high = region_range(region)
    with conn.transaction():
        # Outside autocommit the connection's transaction may outlive this one: tables of an earlier call go.
        conn.execute(f"DROP TABLE IF EXISTS pg_temp.{PAST_CASES}, pg_temp.{PAST_MEMBERS}")
        conn.execute(f"CREATE TEMPORARY TABLE {PAST_CASES} (LIKE {CASES}) ON COMMIT DROP")
        conn.execute(f"CREATE TEMPORARY TABLE {PAST_MEMBERS} (LIKE {MEMBERS}) ON COMMIT DROP")
        with conn.cursor() as cur:
            # A case with nothing dated after the day (no step, no correction) stood then as its live rows
            # show it, derived from the same events: those are copied; only the others are replayed.
            params = {"low": low, "high": high, "day": day}
            # Registered by then, or with a step by then recorded after it (organizers record the past).
            registered = ("c.region_code >= %(low)s AND c.region_code < %(high)s AND (c.registered_on <= %(day)s "
                          f"OR EXISTS (SELECT FROM {AUDIT} AS a WHERE a.case_id = c.id AND a.occurred_on <= %(day)s))")
            later = f"EXISTS (SELECT FROM {AUDIT} AS a WHERE a.case_id = c.id AND a.occurred_on > %(day)s)"
            cur.execute(f"INSERT INTO {PAST_CASES} SELECT c.* FROM {CASES} AS c WHERE {registered} AND NOT {later}",
                        params)
            cur.execute(f"INSERT INTO {PAST_MEMBERS} SELECT m.* FROM {MEMBERS} AS m JOIN {PAST_CASES} AS c "
                        "ON c.id = m.case_id")
            ids = [r[0] for r in cur.execute(f"SELECT c.id FROM {CASES} AS c WHERE {registered} AND {later}",
                                             params).fetchall()]
            for start in range(0, len(ids), _CHUNK):
                _fill(cur, source, ids[start:start + _CHUNK], region, day)
        yield PastRows(day)


def _fill(cur: psycopg.Cursor[Any], source: EventSource, ids: list[UUID], region: str, day: date) -> None:
    cur.execute(f"SELECT originator_id, originator_version, topic, state FROM {source.events_table} "
                "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version", (ids,))
    events: dict[UUID, list[Any]] = {}
    for originator_id, version, topic, state in cur.fetchall():
        stored = StoredEvent(originator_id, version, topic, bytes(state))
        events.setdefault(originator_id, []).append(source.mapper.to_domain_event(stored))
    case_values: list[tuple[Any, ...]] = []
    member_values: list[tuple[Any, ...]] = []
    for case_events in events.values():
        org = case_as_of(case_events, day)
        if org is None or not org.region_code.startswith(region):
            continue
        case_values.append(values(case_row(org, source.thresholds)))
        member_values.extend(values(m) for m in member_rows(org))
    _copy(cur, PAST_CASES, CASE_COLUMNS, case_values)
    _copy(cur, PAST_MEMBERS, MEMBER_COLUMNS, member_values)


def _copy(cur: psycopg.Cursor[Any], table: str, columns: tuple[tuple[str, str, str], ...],
          rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    names = ", ".join(name for name, _, _ in columns)
    with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(copy_types(columns))
        for row in rows:
            copy.write_row(row)
