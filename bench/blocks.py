"""The event store's building blocks, measured on the benchmark's PostgreSQL beside the paths built on them.

- `import_without_temporal`: the same ledger through `import_ledger` and `ApplicationCommands` (batches of
  `BATCH_SIZE` cases per eventsourcing `save`, no workflows), in a schema of its own; the time inside
  `save` is kept apart from the time spent reading the file and building the aggregates.
- `raw_inserts`: the event rows that import wrote, inserted again by plain psycopg into a copy of the events
  table: `executemany` in one transaction, then `COPY`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from branchflow.api.intake.ledger_import import ImportSummary, import_ledger
from branchflow.api.intake.targets import ApplicationCommands
from branchflow.domain.application import FormationApplication
from branchflow.runtime.postgres import postgres_env

SCHEMA = "bench_blocks"
EVENTS = f"{SCHEMA}.branchflow_events"
COLUMNS = "originator_id, originator_version, topic, state"


@dataclass
class Timed:
    calls: int = 0
    seconds: float = 0.0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.calls += 1
                self.seconds += time.perf_counter() - started

        return timed

    def wrap_async(self, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.calls += 1
                self.seconds += time.perf_counter() - started

        return timed


@dataclass
class StoreImport:
    summary: ImportSummary
    seconds: float  # the whole import_ledger call
    store: Timed  # the batches: aggregates built from the commands, and saved
    save: Timed  # inside eventsourcing's save
    events: int  # rows in the events table (cases, members and receipts)


@dataclass
class RawInserts:
    rows: int
    row_bytes: float  # mean size of `state`
    executemany_seconds: float
    copy_seconds: float


def fresh_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")


def drop_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def import_without_temporal(url: str, ledger: Path, today: date) -> StoreImport:
    fresh_schema(url)
    app = FormationApplication({**postgres_env(url), "POSTGRES_SCHEMA": SCHEMA})
    store, save = Timed(), Timed()
    app.save = save.wrap(app.save)  # type: ignore[method-assign]
    commands = ApplicationCommands(app, "bench", today)
    commands.save_batch = store.wrap(commands.save_batch)  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        summary = import_ledger(ledger, commands, today)
        seconds = time.perf_counter() - started
    finally:
        app.close()
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {EVENTS}").fetchone()
    return StoreImport(summary, seconds, store, save, int(row[0]) if row else 0)


def raw_inserts(url: str, limit: int = 200_000) -> RawInserts:
    """Plain psycopg on the rows `import_without_temporal` left (at most `limit`), into a table like its own."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT {COLUMNS} FROM {EVENTS} ORDER BY notification_id LIMIT %s", (limit,)).fetchall()
        conn.execute(f"CREATE TABLE {SCHEMA}.raw (LIKE {EVENTS} INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as curs:
            curs.executemany(f"INSERT INTO {SCHEMA}.raw ({COLUMNS}) VALUES (%s, %s, %s, %s)", rows)
        conn.commit()
        executemany = time.perf_counter() - started
        conn.execute(f"TRUNCATE {SCHEMA}.raw")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as curs, curs.copy(f"COPY {SCHEMA}.raw ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        copied = time.perf_counter() - started
    size = sum(len(r[3]) for r in rows) / max(1, len(rows))
    return RawInserts(len(rows), size, executemany, copied)
