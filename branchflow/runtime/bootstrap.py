"""The one place that wires branchflow together from its configuration (the environment)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from psycopg_pool import ConnectionPool

from branchflow.domain.application import FormationApplication
from branchflow.runtime.worker import application_env
from branchflow.workflows.client import FormationClient

DEFAULT_DATA_DIR = Path("branchflow-data")


def data_dir_from(option: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return (option or Path(env.get("BRANCHFLOW_DATA") or DEFAULT_DATA_DIR)).absolute()


def application(database_url: str, environ: Mapping[str, str] | None = None) -> FormationApplication:
    """The event-sourced application on `database_url`; BRANCHFLOW_THRESHOLD_* settings pass through."""
    return FormationApplication(env=application_env(database_url, os.environ if environ is None else environ))


def connection_pool(database_url: str, environ: Mapping[str, str] | None = None, max_size: int = 10) -> ConnectionPool:
    """Connections for the read side; they find the projections' tables in the event store's schema."""
    env = os.environ if environ is None else environ
    kwargs: dict[str, object] = {"autocommit": True}
    if schema := env.get("POSTGRES_SCHEMA"):
        kwargs["options"] = f"-c search_path={schema}"
    return ConnectionPool(database_url, min_size=1, max_size=max_size, kwargs=kwargs, open=True)


@dataclass
class Services:
    """What the API needs: the event store for reads of one case, the projections' tables, the workflows."""

    application: FormationApplication
    pool: ConnectionPool
    formation: FormationClient

    def close(self) -> None:
        self.pool.close()
        self.application.close()
