"""The one place that wires branchflow together from its settings (runtime.settings)."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from branchflow.domain.application import FormationApplication
from branchflow.projections import Projector
from branchflow.projections.committees import ensure_committees
from branchflow.projections.creation import one_creator_at_a_time
from branchflow.projections.regions import ensure_regions
from branchflow.runtime.postgres import postgres_env
from branchflow.runtime.settings import Settings
from branchflow.workflows.client import FormationClient


def application_env(settings: Settings, database_url: str) -> dict[str, str]:
    """The event-sourced application's `env`: the store on `database_url`, its pool and schema, the thresholds.

    Every application gets the thresholds, the projection runner's too: its boards must agree with the cases.
    """
    passed = {"POSTGRES_SCHEMA": settings.postgres_schema, "POSTGRES_POOL_SIZE": settings.postgres_pool_size,
              "POSTGRES_MAX_OVERFLOW": settings.postgres_max_overflow,
              "AGGREGATE_CACHE_MAXSIZE": settings.aggregate_cache}
    return {**postgres_env(database_url), **{key: str(value) for key, value in passed.items() if value is not None},
            **settings.threshold_env()}


def application(settings: Settings, database_url: str, **defaults: str) -> FormationApplication:
    """The event-sourced application on `database_url` (`defaults`: its env where the settings leave a variable
    unset, e.g. the worker's aggregate cache), its tables made if new,
    and the registries' that steps and imports read (regions, committees), which the projection runner made
    before (a command on a database no runner had touched failed: `branchflow_committees` does not exist)."""
    with one_creator_at_a_time(database_url) as conn:
        made = FormationApplication(env={**defaults, **application_env(settings, database_url)})
        ensure_regions(conn, settings.postgres_schema)
        ensure_committees(conn, settings.postgres_schema)
        return made


def projector(settings: Settings, database_url: str) -> Projector:
    """The projection runner on `database_url`, with the same thresholds as the cases' application."""
    with one_creator_at_a_time(database_url):
        return Projector(application_env(settings, database_url))


def connection_pool(settings: Settings, database_url: str, max_size: int = 10) -> ConnectionPool:
    """Connections for the read side; they find the projections' tables in the event store's schema."""
    kwargs: dict[str, object] = {"autocommit": True}
    if settings.postgres_schema:
        kwargs["options"] = f"-c search_path={settings.postgres_schema}"
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
