"""`branchflow up`: every part in one process on the embedded default, stopped cleanly on SIGINT/SIGTERM.

It owns the data folder's servers while it runs (a lock, ``up.lock``, says so): the PostgreSQL and Temporal it
finds running, left by an `up` that was killed, are used as they are and stopped with the rest at the end.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import uvicorn
from fastapi import FastAPI
from tenacity import AsyncRetrying, retry_if_result, wait_fixed

from branchflow.projections import Projector
from branchflow.runtime.actor_key import actor_key
from branchflow.runtime.bootstrap import Services, application, connection_pool, projector
from branchflow.runtime.postgres import resolve_database_url
from branchflow.runtime.settings import Settings
from branchflow.runtime.temporal_dev_server import resolve_temporal
from branchflow.runtime.web_server import server_config
from branchflow.runtime.worker import run_worker
from branchflow.workflows.client import FormationClient
from branchflow.workflows.config import TemporalConfig

Say = Callable[[str], None]


@dataclass(frozen=True)
class Doors:
    """The doors `up` opens, handed down by their layer (`branchflow.api.app.DOORS`): the runtime runs them
    and imports none. `prepare` readies a database for them and answers the first admin's token when it made
    one; `web` is the application over the running parts."""

    prepare: Callable[[psycopg.Connection[Any]], str | None]
    web: Callable[[Services], FastAPI]


class _Server(uvicorn.Server):
    """uvicorn re-raises the signal it caught after shutting down; `up` handles the signals itself."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_api(app: FastAPI, settings: Settings, host: str, port: int, stop: asyncio.Event, say: Say) -> None:
    server = _Server(server_config(app, host, port, settings.forwarded_allow_ips))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:  # listening, or failed to
        return server.started or serving.done()

    await AsyncRetrying(wait=wait_fixed(0.05), retry=retry_if_result(lambda done: not done))(started)
    if server.started:
        say(f"serving at http://{host}:{port}")
    await asyncio.wait([serving, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await serving


@contextmanager
def projecting(settings: Settings, database_url: str) -> Iterator[Projector]:
    """The projection runner in a thread of its own: its work is blocking database I/O."""
    runner = projector(settings, database_url)
    thread = threading.Thread(target=runner.run_forever, name="projections", daemon=True)
    thread.start()
    try:
        yield runner
    finally:
        runner.stop()
        thread.join(timeout=10)
        runner.close()


def prepare(settings: Settings, database_url: str, doors: Doors, say: Say) -> None:
    """Readies the database for the doors; on the first start, says the admin's token."""
    with connection_pool(settings, database_url, max_size=1) as pool, pool.connection() as conn:
        if (token := doors.prepare(conn)) is not None:
            say(f"admin token: {token}")


class AlreadyUp(RuntimeError):
    """Another `branchflow up` runs on this data folder."""


@contextmanager
def owning(data_dir: Path) -> Iterator[None]:
    """Held for as long as this `up` runs; the kernel lets go of it when the process dies, even by SIGKILL."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with os.fdopen(os.open(data_dir / "up.lock", os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyUp(f"another `branchflow up` runs on {data_dir}") from None
        yield


async def run(settings: Settings, data_dir: Path, host: str, port: int, doors: Doors, say: Say = print,
              stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with owning(data_dir):
        database_url, postgres = resolve_database_url(data_dir, settings.database_url)
        try:
            prepare(settings, database_url, doors, say)
            config, temporal = await resolve_temporal(data_dir / "temporal", settings.temporal(),
                                                      ui=settings.temporal_ui)
            try:
                await run_parts(settings, config, database_url, host, port, doors, stop, say,
                                temporal_ui=temporal.ui_address if temporal is not None else None)
                if temporal is not None:
                    say("stopping")
            finally:
                if temporal is not None:
                    temporal.stop(force=True)  # also one found running: no other `up` holds the folder
        finally:
            if postgres is not None:
                postgres.stop(force=True)


async def run_parts(settings: Settings, config: TemporalConfig, database_url: str, host: str, port: int,
                    doors: Doors, stop: asyncio.Event, say: Say, temporal_ui: str | None = None) -> None:
    """The worker, the projection runner and the web server on running PostgreSQL and Temporal, until `stop`."""
    assert config.address is not None
    say(f"temporal at {config.address}")
    if temporal_ui is not None:
        say(f"temporal web UI at {temporal_ui}")
    app = application(settings, database_url)
    services = Services(app, connection_pool(settings, database_url),
                        await FormationClient.connect(config.address, config.namespace, task_queue=config.task_queue,
                                                      key=actor_key(settings, database_url), app=app,
                                                      access=config.access))
    try:
        with projecting(settings, database_url):
            worker = asyncio.create_task(run_worker(settings, config, database_url, stop=stop))
            await serve_api(doors.web(services), settings, host, port, stop, say)
            stop.set()
            await worker
    finally:
        services.close()
