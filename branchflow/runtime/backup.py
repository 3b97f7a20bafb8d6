"""`branchflow backup DIR` and `branchflow restore DIR` for the embedded default (api.md).

A backup is two files: ``branchflow.dump``, pg_dump's custom format of the whole database (events, receipts,
users and sessions, projections, region names: one snapshot, taken in one transaction), and ``temporal.db``,
Temporal's SQLite file copied with SQLite's online backup API (its write-ahead log included). The two are
taken one after the other, so `branchflow up` must not run meanwhile: a step between them would be in one
copy and not the other. The backup holds the data folder's ``up.lock`` instead, so no `up` starts either.
Both files are the owner's alone (0600): they hold members' names and birth dates.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from branchflow.runtime.postgres import EmbeddedPostgres
from branchflow.runtime.postgres import program as postgres_program
from branchflow.runtime.private_files import make_private
from branchflow.runtime.up import owning

DUMP = "branchflow.dump"
TEMPORAL_DB = "temporal.db"


class BackupError(RuntimeError):
    """The backup or restore was refused or failed; the message says why."""


def backup(data_dir: Path, target: Path) -> None:
    """Copies the data folder's event store and Temporal state into `target` (new or empty)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new folder")
    temporal_db = data_dir / "temporal" / TEMPORAL_DB
    if not (data_dir / "postgres" / "pgdata").exists() or not temporal_db.exists():
        raise BackupError(f"no embedded default in {data_dir} (nothing to back up)")
    with owning(data_dir):
        make_private(target)
        server = EmbeddedPostgres(data_dir / "postgres")
        url = server.start()
        try:
            _pg("pg_dump", url, "--format=custom", "--compress=6", f"--file={target / DUMP}")
        finally:
            server.stop()
        _sqlite_copy(temporal_db, target / TEMPORAL_DB)


def restore(source: Path, data_dir: Path) -> None:
    """Makes `data_dir` (new or empty) the embedded default of the backup in `source`."""
    if not (source / DUMP).is_file() or not (source / TEMPORAL_DB).is_file():
        raise BackupError(f"{source} holds no backup ({DUMP} and {TEMPORAL_DB})")
    if data_dir.exists() and any(p.name != "up.lock" for p in data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty: restore into a new data folder")
    with owning(data_dir):
        server = EmbeddedPostgres(data_dir / "postgres")  # a new cluster with a password of its own
        url = server.start()
        try:
            _pg("pg_restore", url, "--exit-on-error", "--single-transaction", "--no-owner", str(source / DUMP))
        finally:
            server.stop()
        make_private(data_dir / "temporal")
        _sqlite_copy(source / TEMPORAL_DB, data_dir / "temporal" / TEMPORAL_DB)


def _pg(program: str, url: str, *args: str) -> None:
    """The wheel's pg_dump/pg_restore (the server's own version) on `url`; the password goes by environment."""
    params = conninfo_to_dict(url)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PG")}, "PGPASSWORD": str(params["password"]),
           "LC_ALL": "C"}
    done = subprocess.run(
        [str(postgres_program(program)), f"--host={params['host']}", f"--port={params['port']}",
         f"--username={params['user']}", f"--dbname={params['dbname']}", *args],
        capture_output=True, text=True, env=env, check=False, umask=0o077)  # the dump: 0600
    if done.returncode != 0:
        raise BackupError(f"{program} failed (exit code {done.returncode}): {done.stderr.strip()}")


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even of a file a running server writes (and its WAL)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one snapshot
    finally:
        dst.close()
        src.close()
