"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from branchflow.runtime.postgres import resolve_database_url
from branchflow.runtime.settings import load_settings
from tests.stock_postgres import stock_postgres


@pytest.fixture(scope="session")
def embedded_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """PostgreSQL for the session: ``DATABASE_URL`` if set, else a private embedded server (stopped after).

    As root the server runs as a system user; EmbeddedPostgres makes the folders above its data traversable.
    """
    url, server = resolve_database_url(tmp_path_factory.mktemp("data"), load_settings().database_url)
    try:
        yield url
    finally:
        if server is not None:
            server.stop()


@pytest.fixture(scope="session")
def database_url(embedded_database_url: str) -> str:
    return embedded_database_url


@pytest.fixture(scope="session")
def stock_database_url() -> Iterator[str]:
    """Debian's PostgreSQL 15, for the session (tests/stock_postgres.py)."""
    with stock_postgres() as url:
        yield url


@pytest.fixture(scope="session", params=["embedded", "postgresql-15"])
def both_servers(request: pytest.FixtureRequest) -> str:
    """The embedded PostgreSQL 18 and Debian's stock 15 in turn. A module or conftest that says
    ``database_url = both_servers`` runs its event-store and projection tests on both."""
    name = "embedded_database_url" if request.param == "embedded" else "stock_database_url"
    return str(request.getfixturevalue(name))
