"""Parts (the application of a worker, an API, a command; the projection runner; the users' table) started at once on
a new database each create the tables they need: one at a time (the scale-out review: five processes started
together on a new database failed in 8 rounds of 8, `duplicate key value violates unique constraint
"pg_type_typname_nsp_index"` and `tuple concurrently updated`)."""

from __future__ import annotations

import threading

import psycopg

from branchflow.api.users import ensure_schema
from branchflow.projections.committees import committee
from branchflow.projections.regions import region_named
from branchflow.runtime.bootstrap import application, projector
from branchflow.runtime.settings import Settings

from .conftest import fresh_schema

PARTS = 6


def test_parts_starting_together_on_a_new_schema_all_start(database_url: str) -> None:
    for _ in range(3):
        with fresh_schema(database_url) as env:
            ready = threading.Barrier(PARTS)
            failures: list[Exception] = []

            def start(ready: threading.Barrier = ready, failures: list[Exception] = failures) -> None:
                try:
                    ready.wait(10)
                    settings = Settings(postgres_schema=env["POSTGRES_SCHEMA"])
                    app, runner = application(settings, database_url), projector(settings, database_url)
                    with psycopg.connect(database_url, autocommit=True,
                                         options=f"-c search_path={env['POSTGRES_SCHEMA']}") as conn:
                        ensure_schema(conn)
                    runner.close()
                    app.close()
                except Exception as error:
                    failures.append(error)

            threads = [threading.Thread(target=start) for _ in range(PARTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert failures == []


def test_an_application_alone_makes_the_registries_tables_commands_read(database_url: str) -> None:
    """`branchflow import` on a database no projection runner had touched stopped: `relation
    "branchflow_committees" does not exist` (the scale-out review)."""
    with fresh_schema(database_url) as env:
        settings = Settings(postgres_schema=env["POSTGRES_SCHEMA"])
        application(settings, database_url).close()
        with psycopg.connect(database_url, options=f"-c search_path={env['POSTGRES_SCHEMA']}") as conn:
            assert committee(conn, "no such committee") is None
            assert region_named(conn, "440403") is not None
