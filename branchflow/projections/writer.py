"""The read models' writer: a page of domain events and its tracking position in ONE transaction.

`CasesView` is an eventsourcing `PostgresTrackingRecorder` (the library's tracking table and
`_insert_tracking`) extended with the read-model tables. A page goes through two steps:
- `prepare` takes the touched cases as the page before left them, or else rebuilds them from their last
  snapshot in `case_states` and the few events after it up to the version in `cases` (one query for the
  page's cases), reads the whole history of those whose periods are recomputed (`batch.needs_history`),
  and derives the new rows (`batch`);
- `commit` takes a transaction-level advisory lock, checks that the tracked position is still the one the
  page was read after (so a second runner, or a rebuild meanwhile, cannot apply a page twice), writes
  cases, members, the work queue, audit rows, summary changes and the new position, and commits.
A crash anywhere before the commit leaves rows and position as they were: nothing skipped, nothing twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import Mapper, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from branchflow.domain.organization import Organization
from branchflow.domain.rules import Thresholds
from branchflow.projections import schema, summaries
from branchflow.projections.batch import Batch, CaseState, needs_history, prepare
from branchflow.projections.committees import ensure_committees
from branchflow.projections.regions import ensure_regions
from branchflow.projections.rows import MemberRow, case_row_from_db, member_row_from_db

# Serializes the page transactions of every runner on this database (pg_advisory_xact_lock key).
BATCH_LOCK_KEY: Final = 0x62666C6F77  # "bflow"
_SNAPSHOT_TOPIC: Final = get_topic(Organization.Snapshot)  # `case_states.state` holds this event's state


class StalePosition(Exception):
    """The tracked position moved since the page was read (another runner, or a rebuild): read again."""

    def __init__(self, expected: int | None, found: int | None) -> None:
        super().__init__(f"expected the projection at {expected}, found it at {found}")
        self.expected, self.found = expected, found


class CasesView(PostgresTrackingRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, mapper: Mapper[UUID], thresholds: Thresholds,
        application_name: str, events_table: str, tracking_table_name: str = schema.TRACKING,
    ) -> None:
        """`events_table` is the application's (schema-qualified, quoted) events table, in the same database."""
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        self.mapper, self.thresholds, self.application_name = mapper, thresholds, application_name
        self.events_table = events_table
        self.schema = Identifier(datastore.schema).as_string()

    def position(self) -> int | None:
        found: int | None = self.max_tracking_id(self.application_name)
        return found

    def create_table(self) -> None:
        """The tracking table (the library's), then the read models unless they exist in this layout: missing,
        or of another layout (older code), they are made anew, empty, from position zero (to be rebuilt)."""
        super().create_table()
        with self.datastore.get_connection() as conn:
            ensure_regions(conn, self.datastore.schema)
            ensure_committees(conn, self.datastore.schema)
            found = conn.execute(schema.layout_query(self.datastore.schema)).fetchone()
        if found is None or next(iter(found.values())) != schema.LAYOUT:
            self.reset()

    def reset(self) -> None:
        """Drops the read models, creates them empty and forgets the position, in one transaction: a runner
        working meanwhile finds either the old tables and position or the new ones (and then starts over)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("SELECT pg_advisory_xact_lock(%s)", (BATCH_LOCK_KEY,))
            curs.execute(schema.drop_statement(self.datastore.schema))
            for statement in schema.create_statements(self.datastore.schema):
                curs.execute(statement)
            curs.execute(SQL("DELETE FROM {}.{} WHERE application_name = %s").format(
                SQL(self.schema), Identifier(self.tracking_table_name)),
                (self.application_name,))

    def vacuum(self) -> None:
        """VACUUM ANALYZE of the read models: after a rebuild, fresh statistics and visibility for the queries."""
        with self.datastore.get_connection() as conn:  # autocommit: VACUUM runs outside a transaction
            for table in schema.TABLES:
                conn.execute(f"VACUUM (ANALYZE) {self.schema}.{table}")

    # --- a page -------------------------------------------------------------------------------------

    def process_batch(self, events: Sequence[tuple[Any, int]], expected: int | None, position: int) -> None:
        """Applies the (domain event, notification id) pairs read after `expected`; tracks `position`."""
        self.commit(self.prepare(events), expected, position)

    def prepare(self, events: Sequence[tuple[Any, int]], previous: Batch | None = None) -> Batch:
        """The page's rows. Cases that `previous` (the page before, maybe not committed yet) touched are
        taken from it; the others are read from their rows, which no uncommitted page has changed."""
        ids = {event.originator_id for event, _ in events}
        before = {i: previous.cases[i] for i in ids if previous is not None and i in previous.cases}
        before.update(self._load([i for i in ids if i not in before]))
        return prepare(events, before, self.thresholds, self._state,
                       self._histories({i: before[i].org.version for i in needs_history(events, before)}))

    def commit(self, batch: Batch, expected: int | None, position: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("SELECT pg_advisory_xact_lock(%s)", (BATCH_LOCK_KEY,), prepare=True)
            found = self._max_tracking_id(self.application_name, curs)
            if found != expected:
                raise StalePosition(expected, found)
            if batch.cases:
                self._write(curs, batch)
            self._insert_tracking(curs, Tracking(self.application_name, position))

    def _load(self, ids: list[UUID]) -> dict[UUID, CaseState]:
        if not ids:
            return {}
        s = self.schema
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(f"SELECT c.*, s.version AS state_version, s.state, p.valid_from AS since "
                         f"FROM {s}.{schema.CASES} AS c LEFT JOIN {s}.{schema.CASE_STATES} AS s USING (id) "
                         f"LEFT JOIN {s}.{schema.CASE_PERIODS} AS p ON p.id = c.id AND p.valid_until = %b "
                         "WHERE c.id = ANY(%b)", (schema.OPEN, ids), prepare=True)
            cases = curs.fetchall()
            if not cases:
                return {}
            found = [r["id"] for r in cases]
            curs.execute(f"SELECT * FROM {s}.{schema.MEMBERS} WHERE case_id = ANY(%b)", (found,), prepare=True)
            members: dict[UUID, list[MemberRow]] = {}
            for record in curs.fetchall():
                members.setdefault(record["case_id"], []).append(member_row_from_db(record))
            curs.execute(f"SELECT case_id, member_id, valid_from FROM {s}.{schema.MEMBER_PERIODS} "
                         "WHERE case_id = ANY(%b) AND valid_until = %b", (found, schema.OPEN), prepare=True)
            member_since: dict[UUID, dict[str, date]] = {}
            for record in curs.fetchall():
                member_since.setdefault(record["case_id"], {})[record["member_id"]] = record["valid_from"]
            curs.execute(
                "SELECT e.originator_id, e.originator_version, e.topic, e.state "
                f"FROM unnest(%b::uuid[], %b::integer[], %b::integer[]) AS t(id, after, upto) "
                f"JOIN {self.events_table} AS e ON e.originator_id = t.id "
                "AND e.originator_version > t.after AND e.originator_version <= t.upto "
                "ORDER BY e.originator_id, e.originator_version",
                (found, [r["state_version"] or 0 for r in cases], [r["version"] for r in cases]), prepare=True)
            events: dict[UUID, list[StoredEvent]] = {}
            for e in curs.fetchall():
                events.setdefault(e["originator_id"], []).append(StoredEvent(
                    e["originator_id"], e["originator_version"], e["topic"], bytes(e["state"])))
        loaded = {}
        for r in cases:
            org = self._restore(r["id"], r["state_version"], r["state"]) if r["state"] is not None else None
            for stored in events.get(r["id"], []):
                org = self.mapper.to_domain_event(stored).mutate(org)  # type: ignore[attr-defined]
            if not isinstance(org, Organization) or org.version != r["version"]:
                raise OriginatorVersionError(r["version"], org.version if org is not None else 0)
            loaded[r["id"]] = CaseState(org, case_row_from_db(r), members.get(r["id"], []), r["since"],
                                        member_since.get(r["id"], {}))
        return loaded

    def _histories(self, versions: dict[UUID, int]) -> dict[UUID, list[Any]]:
        """Each case's events up to a version (those the page follows), in version order."""
        if not versions:
            return {}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                "SELECT e.originator_id, e.originator_version, e.topic, e.state "
                "FROM unnest(%b::uuid[], %b::integer[]) AS t(id, upto) "
                f"JOIN {self.events_table} AS e ON e.originator_id = t.id AND e.originator_version <= t.upto "
                "ORDER BY e.originator_id, e.originator_version", (list(versions), list(versions.values())),
                prepare=True)
            found: dict[UUID, list[Any]] = {}
            for e in curs.fetchall():
                found.setdefault(e["originator_id"], []).append(self.mapper.to_domain_event(StoredEvent(
                    e["originator_id"], e["originator_version"], e["topic"], bytes(e["state"]))))
        return found

    def _restore(self, case_id: UUID, version: int, state: bytes) -> Organization:
        snapshot: Any = self.mapper.to_domain_event(StoredEvent(case_id, version, _SNAPSHOT_TOPIC, bytes(state)))
        org = snapshot.mutate(None)
        assert isinstance(org, Organization)
        return org

    def _state(self, org: Organization) -> bytes:
        """The snapshot as the mapper encodes it (compressed and encrypted when the application is), dated
        by the aggregate's last change rather than now, so that a rebuild writes the very same bytes."""
        snapshot = dataclasses.replace(type(org).Snapshot.take(org), timestamp=org.modified_on)
        return self.mapper.to_stored_event(snapshot).state

    def _write(self, curs: Cursor[DictRow], batch: Batch) -> None:
        s, ids = self.schema, list(batch.cases)
        summaries.add_cases(curs, s, ids, -1)
        summaries.add_regions(curs, s, ids, batch.members_changed, -1)
        curs.execute(f"DELETE FROM {s}.{schema.CASES} WHERE id = ANY(%b)", (ids,), prepare=True)
        _copy(curs, f"{s}.{schema.CASES}", schema.CASE_COLUMNS, batch.case_values)
        summaries.add_cases(curs, s, ids, +1)
        if batch.members_changed:
            curs.execute(f"DELETE FROM {s}.{schema.MEMBERS} WHERE case_id = ANY(%b)", (batch.members_changed,),
                         prepare=True)
            _copy(curs, f"{s}.{schema.MEMBERS}", schema.MEMBER_COLUMNS, batch.member_values)
        summaries.add_regions(curs, s, ids, batch.members_changed, +1)
        if batch.state_values:
            curs.execute(f"DELETE FROM {s}.{schema.CASE_STATES} WHERE id = ANY(%b)",
                         ([v[0] for v in batch.state_values],), prepare=True)
            _copy(curs, f"{s}.{schema.CASE_STATES}", schema.CASE_STATE_COLUMNS, batch.state_values)
        # A touched case's obligations are written anew: few rows, and nothing to add up from them.
        curs.execute(f"DELETE FROM {s}.{schema.WORK_QUEUE} WHERE case_id = ANY(%b)", (ids,), prepare=True)
        _copy(curs, f"{s}.{schema.WORK_QUEUE}", schema.WORK_QUEUE_COLUMNS, batch.queue_values)
        summaries.drop_empty(curs, s, batch.regions)
        self._write_periods(curs, batch)
        if batch.moved:  # the audit trail follows a case to its corrected region
            curs.executemany(f"UPDATE {s}.{schema.AUDIT} SET region_code = %s WHERE case_id = %s", batch.moved)
        _copy(curs, f"{s}.{schema.AUDIT}", schema.AUDIT_COLUMNS, batch.audit)

    def _write_periods(self, curs: Cursor[DictRow], batch: Batch) -> None:
        s = self.schema
        if batch.periods_after:
            ids, after = [i for i, _ in batch.periods_after], [d for _, d in batch.periods_after]
            for table, key in ((schema.CASE_PERIODS, "id"), (schema.MEMBER_PERIODS, "case_id")):
                curs.execute(f"DELETE FROM {s}.{table} AS p USING unnest(%b::uuid[], %b::date[]) AS t(id, after) "
                             f"WHERE p.{key} = t.id AND p.valid_until > t.after", (ids, after), prepare=True)
        _copy(curs, f"{s}.{schema.CASE_PERIODS}", schema.CASE_PERIOD_COLUMNS, batch.period_values)
        _copy(curs, f"{s}.{schema.MEMBER_PERIODS}", schema.MEMBER_PERIOD_COLUMNS, batch.member_period_values)


def _copy(curs: Cursor[DictRow], table: str, columns: schema.Columns, rows: Sequence[tuple[Any, ...]]) -> None:
    """Binary COPY: several times faster than text for these rows (no text escaping of the state bytes)."""
    if not rows:
        return
    names = ", ".join(name for name, _, _ in columns)
    with curs.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(schema.copy_types(columns))
        for row in rows:
            copy.write_row(row)
