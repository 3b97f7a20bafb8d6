"""How events reach PostgreSQL: eventsourcing's recorder, with its insert sent as four plain arrays.

The library's database function takes one array of a composite type, which psycopg can only dump as text, in
Python: a third of the time of every `save` (profiled on the import, BENCHMARKS.md). Parallel arrays of uuid,
bigint, text and bytea go in psycopg's binary format, dumped in C. The function is otherwise the library's
own: one statement, NOTIFY for the listeners, the notification ids returned, never the library's pipelined
inserts (which can hang, tech-notes). `postgres_env` selects this recorder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

TOPIC = "branchflow.runtime.event_store:EventRecorder"


class EventRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        function = Identifier(self.datastore.schema, f"branchflow_insert_{self.events_table_name}")
        self.sql_create_statements.append(SQL(
            "CREATE OR REPLACE FUNCTION {function}"
            "(ids {id_type}[], versions bigint[], topics text[], states bytea[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ BEGIN"
            "    SET LOCAL lock_timeout = '{lock_timeout}s';"
            "    NOTIFY {channel};"
            "    RETURN QUERY INSERT INTO {table} (originator_id, originator_version, topic, state)"
            "    SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id;"
            "END; $BODY$"
        ).format(
            function=function, id_type=Identifier(self.datastore.originator_id_type),
            lock_timeout=self.datastore.lock_timeout, channel=Identifier(self.channel_name),
            table=Identifier(self.datastore.schema, self.events_table_name),
        ))
        self.insert_arrays = SQL(
            "SELECT id FROM {function}(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) AS id"
        ).format(function=function, id_type=Identifier(self.datastore.originator_id_type))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:
        arrays = ([e.originator_id for e in stored_events], [e.originator_version for e in stored_events],
                  [e.topic for e in stored_events], [e.state for e in stored_events])
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.insert_arrays, arrays, prepare=True)
            return [int(row["id"]) for row in curs.fetchall()]
