"""The embedded PostgreSQL server and the eventsourcing settings, against real servers."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from branchflow.runtime.postgres import EmbeddedPostgres, EmbeddedPostgresError, postgres_env, resolve_database_url
from tests.conftest import both_servers

pytestmark = pytest.mark.slow
database_url = both_servers  # on the embedded PostgreSQL 18 and on Debian's stock 15 (a department's)


def count_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM items").fetchone()
        assert row is not None
        return int(row[0])


def test_restart_keeps_data_and_port(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg")
    url = server.start()
    assert url.startswith("postgresql://postgres:") and "@127.0.0.1:" in url and url.endswith("/branchflow")
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO items VALUES (1, '党支部'), (2, 'two')")
    server.stop()
    assert server.running_port() is None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)

    with EmbeddedPostgres(tmp_path / "pg") as url_again:
        assert url_again == url
        assert count_rows(url_again) == 2

    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as blocker:  # the kept port is taken meanwhile: a new one is chosen
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the port may be in TIME_WAIT
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        with EmbeddedPostgres(tmp_path / "pg") as url_moved:
            assert url_moved != url
            assert count_rows(url_moved) == 2

    with (tmp_path / "pg" / "pgdata" / "postgresql.conf").open("a") as conf:
        conf.write("shared_buffers = 'not a size'\n")
    with pytest.raises(EmbeddedPostgresError, match="shared_buffers"):  # the log tail is in the message
        EmbeddedPostgres(tmp_path / "pg").start()


def test_second_object_reuses_running_server(tmp_path: Path) -> None:
    first, second = EmbeddedPostgres(tmp_path / "pg"), EmbeddedPostgres(tmp_path / "pg")
    url = first.start()
    assert second.start() == url
    assert first.started_here and not second.started_here
    second.stop()  # not its server: a no-op
    assert count_rows_or_create(url) == 0
    first.stop()
    assert first.running_port() is None


def count_rows_or_create(url: str) -> int:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS items (id int)")
    return count_rows(url)


def test_server_started_by_another_process_is_reused(tmp_path: Path) -> None:
    code = "import sys; from pathlib import Path; from branchflow.runtime.postgres import EmbeddedPostgres as E;"
    code += "print(E(Path(sys.argv[1])).start())"
    started = subprocess.run([sys.executable, "-c", code, str(tmp_path / "pg")],
                             capture_output=True, text=True, check=True, timeout=60)
    url = started.stdout.strip()
    server = EmbeddedPostgres(tmp_path / "pg")  # the other process exited; its server runs on
    assert server.start() == url and not server.started_here
    assert count_rows_or_create(url) == 0
    server.stop()
    assert server.running_port() is not None
    server.stop(force=True)
    assert server.running_port() is None


def test_postgres_env_parses_urls() -> None:
    assert postgres_env("postgresql://bf:s%40cret@db.example:6543/prod") == {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "prod",
        "POSTGRES_HOST": "db.example",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "bf",
        "POSTGRES_PASSWORD": "s@cret",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "yes",
        "APPLICATION_RECORDER_TOPIC": "branchflow.runtime.event_store:EventRecorder",
    }
    env = postgres_env("postgresql://postgres@%2Frun%2Fpg/branchflow")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_PASSWORD"]) == ("/run/pg", "5432", "")
    with pytest.raises(ValueError, match="no host"):
        postgres_env("postgresql:///branchflow")


def test_resolve_database_url_prefers_the_configured_url(tmp_path: Path) -> None:
    url = "postgresql://u@h:1/d"
    assert resolve_database_url(tmp_path, url) == (url, None)
    assert not (tmp_path / "postgres").exists()


class Dossier(Aggregate):
    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.notes: list[str] = []

    @event("Noted")
    def note(self, text: str) -> None:
        self.notes.append(text)


class DatabaseTestApp(Application[UUID]):
    pass


def test_application_saves_and_reloads(database_url: str) -> None:
    app = DatabaseTestApp(env=postgres_env(database_url))
    try:
        dossier = Dossier("第一党支部")
        dossier.note("成立")
        app.save(dossier)
        reloaded: Dossier = app.repository.get(dossier.id)
        assert (reloaded.name, reloaded.notes, reloaded.version) == ("第一党支部", ["成立"], 2)
    finally:
        app.close()


def test_large_batch_save_does_not_hang(database_url: str) -> None:
    """Regression: one pipelined statement of a few MB waits forever in ``pipeline.sync()``.

    Over a Unix socket from about 1 MB (tech-notes); over TCP too, from about 5 MB (seen with exactly this
    data and ``POSTGRES_ENABLE_DB_FUNCTIONS=no``). postgres_env turns the pipelined inserts off.
    """
    app = DatabaseTestApp(env=postgres_env(database_url))
    try:
        dossiers = [Dossier(f"组织 {i}") for i in range(1000)]
        for dossier in dossiers:
            for n in range(4):
                dossier.note(f"{n} " + "记录" * 200)  # about 1.3 KB per event, over 5 MB in all
        errors: list[BaseException] = []

        def save() -> None:
            try:
                app.save(*dossiers)
            except BaseException as error:  # reported in the test thread
                errors.append(error)

        saver = threading.Thread(target=save, daemon=True)
        saver.start()
        saver.join(timeout=30)
        assert not saver.is_alive(), "Application.save of 1,000 aggregates hung"
        assert not errors, errors
        assert app.repository.get(dossiers[-1].id).version == 5
    finally:
        app.close()


def test_each_parameter_is_the_server_it_names(database_url: str, request: pytest.FixtureRequest) -> None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    major = int(row[0]) // 10000
    assert major == (15 if "postgresql-15" in request.node.callspec.id else 18)
