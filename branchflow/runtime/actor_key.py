"""The key the API signs its commands with and the worker checks them by (branchflow.workflows.signing).

It is made on first use and kept in the event store's database, which every part already reaches (the
embedded default and a deployment of separate processes alike); whoever can read it could write events
directly anyway. `branchflow backup` takes it with the rest.
"""

from __future__ import annotations

import secrets

import psycopg

from branchflow.projections.creation import create_one_at_a_time
from branchflow.runtime.settings import Settings

TABLE = "branchflow_actor_key"
CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id int PRIMARY KEY CHECK (id = 1), key bytea NOT NULL)"


def actor_key(settings: Settings, database_url: str) -> bytes:
    options = f"-c search_path={settings.postgres_schema}" if settings.postgres_schema else ""
    with psycopg.connect(database_url, autocommit=True, options=options) as conn:
        create_one_at_a_time(conn, CREATE)  # parts starting together: one creates the table
        conn.execute(f"INSERT INTO {TABLE} VALUES (1, %s) ON CONFLICT (id) DO NOTHING", (secrets.token_bytes(32),))
        row = conn.execute(f"SELECT key FROM {TABLE}").fetchone()
    assert row is not None
    return bytes(row[0])
