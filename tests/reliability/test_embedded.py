"""The embedded default (`branchflow up` on a data folder) after a crash, locked down, backed up and restored."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import date
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from branchflow.api.users import Role
from branchflow.domain.actions import parse_action
from branchflow.domain.registration import Registration
from branchflow.runtime.postgres import EmbeddedPostgres
from branchflow.runtime.temporal_dev_server import TemporalDevServer
from branchflow.runtime.up import owning
from branchflow.workflows.client import FormationClient
from branchflow.workflows.config import connect
from branchflow.workflows.failures import CommandFailed
from tests.api.conftest import Stack, free_port
from tests.api.test_case_path import registration
from tests.api.test_up import organizer_client, start, stop

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


# --- locked down ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, EmbeddedPostgres, TemporalDevServer]]:
    """PostgreSQL and Temporal on one data folder, as `branchflow up` lays it out."""
    data = tmp_path_factory.mktemp("embedded") / "data"
    postgres, temporal = EmbeddedPostgres(data / "postgres"), TemporalDevServer(data / "temporal")
    with owning(data):
        postgres.start()
        try:
            asyncio.run(temporal.start())
            yield data, postgres, temporal
        finally:
            temporal.stop()
            postgres.stop()


def port_of(url: str) -> int:
    return int(str(conninfo_to_dict(url)["port"]))


def test_embedded_postgres_asks_every_connection_for_the_password_kept_in_the_folder(
        embedded: tuple[Path, EmbeddedPostgres, TemporalDevServer]) -> None:
    _, postgres, _ = embedded
    assert postgres.url is not None
    port = port_of(postgres.url)
    for user in ("postgres", "embedded_postgres", "root"):  # as any local user would try
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host="127.0.0.1", port=port, user=user, dbname="postgres", connect_timeout=5)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", password="guess", dbname="postgres")
    assert stat.S_IMODE(postgres.password_file.stat().st_mode) == 0o600
    with psycopg.connect(postgres.url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
    assert postgres.password() in postgres.url


def test_data_folder_is_readable_by_its_owner_only(embedded: tuple[Path, EmbeddedPostgres, TemporalDevServer]) -> None:
    data, _, _ = embedded
    assert (data / "temporal" / "temporal.db").exists()
    wide = []
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        # Folders above PostgreSQL's may be traversed (o+x) by the system user that runs it, never listed or read.
        allowed = 0o001 if path.is_dir() else 0
        if mode & 0o077 & ~allowed:
            wide.append(f"{oct(mode)} {path.relative_to(data)}")
    assert wide == []


def listening_addresses(pid: int) -> set[str]:
    """host:port of every TCP socket `pid` listens on, from /proc (IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):
            if (target := os.readlink(fd)).startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                host, port = fields[1].split(":")
                raw = bytes.fromhex(host)
                address = ipaddress.ip_address(b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)))
                found.add(f"{address}:{int(port, 16)}")
                assert width == len(host)
    return found


def test_dev_server_listens_on_loopback_only(embedded: tuple[Path, EmbeddedPostgres, TemporalDevServer]) -> None:
    _, _, temporal = embedded
    assert temporal.process is not None
    addresses = listening_addresses(temporal.process.pid)
    assert f"127.0.0.1:{temporal.port}" in addresses
    assert {address.rsplit(":", 1)[0] for address in addresses} == {"127.0.0.1"}, addresses


def test_the_temporal_web_ui_listens_on_loopback_only_and_only_when_asked(tmp_path: Path) -> None:
    with_ui, headless = TemporalDevServer(tmp_path / "ui", ui=True), TemporalDevServer(tmp_path / "headless")
    try:
        asyncio.run(with_ui.start())
        asyncio.run(headless.start())
        assert with_ui.process is not None and headless.process is not None
        assert with_ui.ui_address == f"http://127.0.0.1:{with_ui.ui_port}" and headless.ui_address is None
        addresses = listening_addresses(with_ui.process.pid)
        assert f"127.0.0.1:{with_ui.ui_port}" in addresses
        assert {address.rsplit(":", 1)[0] for address in addresses} == {"127.0.0.1"}, addresses
        assert f"127.0.0.1:{headless.ui_port}" not in listening_addresses(headless.process.pid)
    finally:
        with_ui.stop()
        headless.stop()


def test_folder_from_before_passwords_gets_one_on_its_next_start(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "postgres")
    url = server.start()
    with psycopg.connect(url, autocommit=True) as conn:  # as initdb --auth=trust left every folder until now
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (1)")
        conn.execute("ALTER ROLE postgres PASSWORD NULL")
    hba = server.pgdata / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
    server.stop()
    server.password_file.unlink()
    server.port_file.chmod(0o644)
    port = port_of(url)
    try:
        restarted = EmbeddedPostgres(tmp_path / "postgres")
        new_url = restarted.start()
        assert new_url != url and port_of(new_url) == port  # a new password, the same port
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="branchflow", connect_timeout=5)
        with psycopg.connect(new_url) as conn:
            assert conn.execute("SELECT n FROM kept").fetchall() == [(1,)]
        assert stat.S_IMODE(restarted.password_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(restarted.port_file.stat().st_mode) == 0o600
    finally:
        EmbeddedPostgres(tmp_path / "postgres").stop(force=True)


# --- backup and restore -----------------------------------------------------------------------------------


def branchflow(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEMPORAL_ADDRESS"}}
    return subprocess.run([sys.executable, "-m", "branchflow", *args], capture_output=True, text=True, env=env,
                          timeout=180)


def test_a_backup_restored_into_a_fresh_folder_verifies_and_takes_the_next_step(tmp_path: Path) -> None:
    data, saved, restored, port = tmp_path / "data", tmp_path / "backup", tmp_path / "restored", free_port()
    process, _ = start(data, port)
    try:
        with organizer_client(data, port) as api:
            created = api.post("/organizations", json=registration("440403101001"))
            assert created.status_code == 201, created.text
            case = created.json()["id"]
            token = api.headers["Authorization"]
        running = branchflow("backup", str(saved), "--data", str(data))
        assert running.returncode == 1 and "stop it first" in running.stderr, running.stderr
    finally:
        stop(process)

    done = branchflow("backup", str(saved), "--data", str(data))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in saved.iterdir()) == ["branchflow.dump", "temporal.db"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in saved.iterdir()} == {0o600}
    again = branchflow("restore", str(saved), "--data", str(data))
    assert again.returncode == 1 and "not empty" in again.stderr  # never over a folder in use

    done = branchflow("restore", str(saved), "--data", str(restored))
    assert done.returncode == 0, done.stderr
    checked = branchflow("verify", "--data", str(restored), "--wait", "60")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().splitlines()[-1].startswith("verify: ok"), checked.stdout

    process, printed = start(restored, port)
    try:
        assert "admin token" not in printed  # the users came back with the events
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": token},
                          timeout=30) as api:
            assert api.get(f"/organizations/{case}").json()["version"] == 1
            step = api.post(f"/organizations/{case}/actions", json={"action": "assign_instructor", "name": "陈老师"})
            assert step.status_code == 200, step.text
            assert step.json()["stage"] == "DEVELOPING_MEMBERS" and step.json()["version"] == 2
    finally:
        stop(process)


# --- steps only from the API ------------------------------------------------------------------------------


def test_commands_sent_to_temporal_directly_are_refused_unless_signed_by_the_api(stack: Stack) -> None:
    """Any local user reaches the dev server; what it sends the workflows with a forged actor writes nothing."""
    token = stack.token(Role.ORGANIZER, "440403")
    with stack.client(token) as api:
        created = api.post("/organizations", json=registration("440403101001"))
        assert created.status_code == 201, created.text
        org = UUID(created.json()["id"])
        today = date.today()

        async def forge() -> None:
            for key in (None, b"a guessed key"):
                forger = FormationClient(await connect(stack.temporal_address), key=key)
                step = parse_action({"action": "assign_instructor", "name": "冒名者"})
                with pytest.raises(CommandFailed, match="signature"):
                    await forger.step(org, step, "admin", today)
                with pytest.raises(CommandFailed, match="signature"):
                    await forger.register(Registration.model_validate(registration("440403101001")), "admin", today)

        asyncio.run(forge())
        case = api.get(f"/organizations/{org}").json()
        assert case["version"] == 1 and case["stage"] == "NO_MEMBERS", case
        step = api.post(f"/organizations/{org}/actions", json={"action": "assign_instructor", "name": "陈老师"})
        assert step.status_code == 200 and step.json()["version"] == 2, step.text  # the API's own still pass
