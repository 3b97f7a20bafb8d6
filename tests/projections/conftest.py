"""Fixtures of the projections' tests: each test gets its own schema of the session's PostgreSQL server
(`database_url` of tests/conftest.py), an application on it, a projector and a reading connection.

The projections' SQL is plain; what a server version could change is the runner's part (transactions, the
advisory lock, a rebuild beside a running runner), so test_runner.py alone also runs on Debian's stock
PostgreSQL 15, as the event store's tests do (every module here on 15 cost 90 s of the suite)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from branchflow.domain.application import FormationApplication
from branchflow.domain.organization import Organization
from branchflow.projections import Projector
from branchflow.runtime.postgres import postgres_env


@contextmanager
def fresh_schema(database_url: str) -> Iterator[dict[str, str]]:
    """The eventsourcing settings of a new, empty schema, dropped afterwards."""
    schema = f"proj_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield {**postgres_env(database_url), "POSTGRES_SCHEMA": schema}
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def reader(database_url: str, env: dict[str, str]) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True,
                         options=f"-c search_path={env['POSTGRES_SCHEMA']}") as connection:
        yield connection


@pytest.fixture
def env(database_url: str) -> Iterator[dict[str, str]]:
    with fresh_schema(database_url) as settings:
        yield settings


@pytest.fixture
def app(env: dict[str, str]) -> Iterator[FormationApplication]:
    application = FormationApplication(env)
    yield application
    application.close()


@pytest.fixture
def projector(app: FormationApplication) -> Iterator[Projector]:
    runner = Projector(app=app)
    yield runner
    runner.close()


@pytest.fixture
def conn(database_url: str, env: dict[str, str]) -> Iterator[psycopg.Connection[Any]]:
    with reader(database_url, env) as connection:
        yield connection


def projected(database_url: str, orgs: Iterable[Organization]) -> Iterator[psycopg.Connection[Any]]:
    """For module-scoped fixtures: the organizations saved and projected in a schema of their own."""
    with fresh_schema(database_url) as settings:
        application = FormationApplication(settings)
        runner = Projector(app=application)
        try:
            save(application, orgs)
            runner.catch_up()
            with reader(database_url, settings) as connection:
                yield connection
        finally:
            runner.close()
            application.close()


def save(app: FormationApplication, orgs: Iterable[Organization], per_save: int = 300) -> None:
    """Saves the aggregates' pending events, a few hundred aggregates per transaction."""
    batch: list[Organization] = []
    for org in orgs:
        batch.append(org)
        if len(batch) == per_save:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)


def table(conn: psycopg.Connection[Any], name: str) -> list[tuple[Any, ...]]:
    """Every row of a table, sorted: two tables are the same when these lists are equal."""
    return sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
