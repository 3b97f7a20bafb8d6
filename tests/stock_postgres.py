"""Debian's stock PostgreSQL 15 (package postgresql-15) as a second server for the event store's tests.

A department's existing server is more likely a distribution's PostgreSQL than the embedded 18. initdb
refuses root, so as root the cluster belongs to the `postgres` system user the package creates. It lives in a
temporary folder of its own (not under pytest's, which other sessions may make private meanwhile), listens on
127.0.0.1 on a free port, asks for a password, and is removed afterwards.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")


@contextmanager
def stock_postgres() -> Iterator[str]:
    """A fresh PostgreSQL 15 cluster, running; yields its URL (database ``postgres``)."""
    if not (BIN / "initdb").exists():
        raise RuntimeError(f"no {BIN / 'initdb'}: apt-get install -y postgresql-15 (.ci/run does)")
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="branchflow-pg15-"))
    password = secrets.token_urlsafe(24)
    (folder / "password").write_text(password + "\n")
    if owner is not None:
        for path in (folder, folder / "password"):
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def run(*command: str) -> None:
        subprocess.run(command, check=True, capture_output=True, cwd=folder, timeout=120,
                       env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
                       user=owner.pw_uid if owner else None, group=owner.pw_gid if owner else None,
                       extra_groups=[] if owner else None)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    data = folder / "data"
    try:
        run(str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--encoding=UTF8", "--locale=C",
            "--auth=scram-sha-256", f"--pwfile={folder / 'password'}")
        run(str(BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "postgres.log"), "-w", "-t", "60",
            "-o", f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200",
            "start")
        try:
            yield f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
        finally:
            run(str(BIN / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
