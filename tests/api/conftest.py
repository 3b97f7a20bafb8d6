"""The whole stack for HTTP tests: PostgreSQL, the Temporal dev server, and `branchflow up`'s parts
(worker, projection runner, web server) running in a thread, as they run in production."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from branchflow.api import throttle
from branchflow.api.app import DOORS
from branchflow.api.users import Role, add_user
from branchflow.runtime import up
from branchflow.runtime.settings import load_settings
from branchflow.runtime.temporal_dev_server import TemporalDevServer
from branchflow.workflows.config import TemporalConfig
from tests.commands import run_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(server_url: str) -> str:
    name = f"api_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_conninfo(server_url, dbname=name)


@dataclass
class Stack:
    base_url: str
    database_url: str
    temporal_address: str

    @property
    def env(self) -> dict[str, str]:
        """What a command needs to reach this stack's servers."""
        return {"DATABASE_URL": self.database_url, "TEMPORAL_ADDRESS": self.temporal_address}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A `branchflow` command against this stack's servers, run in this process (tests/commands.py)."""
        return run_command(args, self.env)

    def process(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The same command as a new user runs it: `python -m branchflow`, a process of its own."""
        return subprocess.run([sys.executable, "-m", "branchflow", *args], capture_output=True, text=True,
                              env={**os.environ, **self.env}, timeout=300)

    def token(self, role: Role, region: str, name: str | None = None) -> str:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return add_user(conn, name or f"{role.value}-{uuid.uuid4().hex[:6]}", role, region)

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=f"{self.base_url}/api/v1", headers=headers, timeout=30)

    def projected(self, token: str, timeout: float = 15) -> None:
        """Waits until the boards and reports have caught up with every event."""
        deadline = time.monotonic() + timeout
        with self.client(token) as client:
            while client.get("/projections").json()["lag"] > 0:
                assert time.monotonic() < deadline, "projections did not catch up"
                time.sleep(0.05)


@pytest.fixture(scope="session")
def stack(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Every test calls from 127.0.0.1, and many send wrong tokens on purpose: with the throttle's real limit
    # one address would be locked out for the others. test_tokens.py lowers it for its own test.
    relaxed = pytest.MonkeyPatch()
    relaxed.setattr(throttle, "FAILURES_ALLOWED", 10**9)
    try:
        yield from _stack(database_url, tmp_path_factory)
    finally:
        relaxed.undo()


def _stack(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    db = fresh_database(database_url)
    temporal = TemporalDevServer(Path(tmp_path_factory.mktemp("temporal")))
    loop = asyncio.new_event_loop()
    config = TemporalConfig(address=loop.run_until_complete(temporal.start()))
    port = free_port()
    stop = asyncio.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=loop.run_until_complete,
        args=(up.run_parts(load_settings(), config, db, "127.0.0.1", port, DOORS, stop, lines.append),), daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not any(line.startswith("serving at") for line in lines):
        assert thread.is_alive() and time.monotonic() < deadline, f"the stack did not start: {lines}"
        time.sleep(0.05)
    try:
        assert config.address is not None
        yield Stack(f"http://127.0.0.1:{port}", db, config.address)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
        temporal.stop()

