"""The embedded default (`branchflow up` on a data folder) after a crash, locked down, backed up and restored."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api.conftest import free_port
from tests.api.test_up import start, stop

pytestmark = pytest.mark.slow


def servers_of(data: Path) -> dict[str, int]:
    """The PostgreSQL postmaster and Temporal dev server processes running on `data`, by name."""
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "Z" or not any(str(data).encode() in part for part in command):
            continue
        if Path(command[0].decode(errors="replace")).name == "postgres" and b"-D" in command:
            found["postgres"] = int(entry.name)
        elif b"start-dev" in command:
            found["temporal"] = int(entry.name)
    return found


def test_up_after_a_kill_owns_what_it_finds_running_and_stops_it_on_ctrl_c(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    crashed, _ = start(data, port)
    running = servers_of(data)
    assert running.keys() == {"postgres", "temporal"}, running
    crashed.kill()
    crashed.wait(10)
    assert servers_of(data) == running  # a kill -9 leaves them running, as a power cut of `up` alone would

    process, _ = start(data, port)
    try:
        assert servers_of(data) == running  # reused, not started again
        beside = subprocess.run([sys.executable, "-m", "branchflow", "up", "--data", str(data), "--port",
                                 str(free_port())], capture_output=True, text=True, timeout=60,
                                env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL",
                                                                                     "TEMPORAL_ADDRESS"}})
        assert beside.returncode == 1 and "another `branchflow up` runs on" in beside.stderr, beside.stderr
    finally:
        stop(process)
    deadline = time.monotonic() + 10
    while servers_of(data) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert servers_of(data) == {}, "Ctrl-C of the `up` after a crash left its servers running"
