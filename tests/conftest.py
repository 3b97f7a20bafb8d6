"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from branchflow.runtime.postgres import resolve_database_url
from branchflow.runtime.settings import load_settings


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """PostgreSQL for the session: ``DATABASE_URL`` if set, else a private embedded server (stopped after).

    As root the server runs as a system user; EmbeddedPostgres makes the folders above its data traversable.
    """
    url, server = resolve_database_url(tmp_path_factory.mktemp("data"), load_settings().database_url)
    try:
        yield url
    finally:
        if server is not None:
            server.stop()
