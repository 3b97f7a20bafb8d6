"""A branchflow deployment of separate processes on servers of its own, for the fault tests to kill and restart.

PostgreSQL (the embedded server, on its own data folder) and the Temporal dev server run under the test's
control, and so do the worker (`branchflow worker`), the projection runner (`branchflow project`) and the web
server (`branchflow api`), each a subprocess with its output in a log file. Nothing here touches the
session's shared servers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from branchflow.api.users import Role, add_user
from branchflow.runtime.postgres import EmbeddedPostgres
from branchflow.runtime.temporal_dev_server import TemporalDevServer
from tests.api.conftest import free_port
from tests.commands import run_command


class Part:
    """One part of the deployment as a subprocess; `ready` tells from its log that it serves."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path,
                 ready: Callable[[str], bool]) -> None:
        self.name, self.command, self.env, self.log, self.ready = name, command, env, log, ready
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60, **extra_env: str) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, env={**self.env, **extra_env}, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self.ready(self.log.read_bytes()[offset:].decode(errors="replace")):
            assert self.process.poll() is None, f"{self.name} exited:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, f"{self.name} did not start:\n{self.output()[-3000:]}"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as a power cut would leave it."""
        assert self.process is not None and self.process.poll() is None, f"{self.name} is not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Deployment:
    """PostgreSQL, Temporal, a worker, a projection runner and the web server, each stoppable on its own."""

    RUNNER_NAME = "branchflow-project-under-test"  # the runner's connections carry it (PGAPPNAME)

    def __init__(self, root: Path) -> None:
        self.root = root
        self.postgres = EmbeddedPostgres(root / "postgres")
        self.temporal = TemporalDevServer(root / "temporal")
        self.database_url = self.postgres.start()
        try:
            self.temporal_address = asyncio.run(self.temporal.start())
        except BaseException:
            self.postgres.stop()
            raise
        self.port = free_port()
        self.settings = {"DATABASE_URL": self.database_url, "TEMPORAL_ADDRESS": self.temporal_address,
                         "BRANCHFLOW_TASK_QUEUE": f"faults-{uuid.uuid4().hex[:6]}"}
        self.env = {**os.environ, **self.settings}
        cli = [sys.executable, "-m", "branchflow"]
        self.worker = Part("worker", [*cli, "worker"], self.env,
                           root / "worker.log", lambda log: "worker ready" in log)
        self.projector = Part("projection runner", [*cli, "project"], {**self.env, "PGAPPNAME": self.RUNNER_NAME},
                              root / "project.log", self._runner_connected)
        self.api = Part("web server", [*cli, "api", "--port", str(self.port)], self.env, root / "api.log",
                        lambda log: "serving at" in log)
        self.parts: tuple[Part, ...] = (self.worker, self.projector, self.api)

    # --- running ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Every server and part that is not running (a test may have left one stopped)."""
        if self.postgres.running_port() is None:
            self.restart_postgres()
        for part in self.parts:
            if not part.running:
                part.start()

    def close(self) -> None:
        for part in self.parts:
            part.stop()
        self.temporal.stop()
        self.postgres.stop()

    def stop_postgres(self) -> None:
        self.postgres.stop()

    def restart_postgres(self) -> None:
        assert self.postgres.start() == self.database_url, "PostgreSQL came back on another port"

    def stop_temporal(self) -> None:
        self.temporal.stop()

    def restart_temporal(self) -> None:
        assert asyncio.run(self.temporal.start()) == self.temporal_address, "Temporal came back on another port"

    def _runner_connected(self, _: str) -> bool:
        """`branchflow project` prints nothing: it is up once its connection shows in pg_stat_activity."""
        return bool(self.sql("SELECT 1 FROM pg_stat_activity WHERE application_name = %s", self.RUNNER_NAME))

    # --- using it ---------------------------------------------------------------------------------------

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params or None)
            return cursor.fetchall() if cursor.description else []

    @contextmanager
    def holding(self, statement: str) -> Iterator[None]:
        """Runs `statement` (a LOCK) in a transaction kept open until the block ends, then rolled back."""
        with psycopg.connect(self.database_url) as conn:
            conn.execute(statement)
            try:
                yield
            finally:
                conn.rollback()

    def token(self, role: Role, region: str) -> str:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return add_user(conn, f"{role.value}-{uuid.uuid4().hex[:6]}", role, region)

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v1",
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """A `branchflow` command against this deployment, run in this process (tests/commands.py)."""
        return run_command(args, self.settings, timeout)

    def process(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """The same command as an operator runs it: `python -m branchflow`, a process of its own."""
        return subprocess.run([sys.executable, "-m", "branchflow", *args], capture_output=True, text=True,
                              env=self.env, timeout=timeout)

    def verify(self, *, process: bool = False) -> subprocess.CompletedProcess[str]:
        """`branchflow verify` (in this process, or as its own); fails the test, with what it printed, unless all
        agree."""
        done = (self.process if process else self.cli)("verify", "--wait", "60")
        assert done.returncode == 0, f"branchflow verify found differences:\n{done.stdout}\n{done.stderr}"
        assert done.stdout.strip().splitlines()[-1].startswith("verify: ok"), done.stdout
        return done

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.output()[-4000:]}" for p in self.parts)
