"""Tables are made by the parts themselves as they start (CREATE ... IF NOT EXISTS: the event store, the
tracking table and read models, the users'): one part at a time. PostgreSQL does not serialize such statements
against each other, so parts started together on a new database failed (`duplicate key value violates unique
constraint "pg_type_typname_nsp_index"`, `tuple concurrently updated`: the scale-out review, five processes,
8 rounds of 8). Every creation holds the database's creation lock; the second part finds the tables made."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import psycopg

CREATION_LOCK: Final = 0x62666C64  # "bfld", an advisory lock of its own (the runner's are other keys)


@contextmanager
def one_creator_at_a_time(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """The creation lock for the duration, on a connection of its own (not one of a pool's, which the creation
    itself takes: a pool of one would wait for itself); it goes with that connection. Around the making of an
    application or a projection runner, whose recorders create their tables (eventsourcing's, in separate
    transactions: no one transaction to lock them in). The connection is there for more of the same."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (CREATION_LOCK,))
        yield conn


def create_one_at_a_time(conn: psycopg.Connection[Any], statement: str) -> None:
    """`statement` (a CREATE ... IF NOT EXISTS) in a transaction of its own holding the creation lock."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CREATION_LOCK,))
        conn.execute(statement)
