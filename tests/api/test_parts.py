"""`branchflow worker`, `project` and `api` as separate processes on an external PostgreSQL and Temporal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg

from branchflow.api.users import Role, add_user
from tests.api.conftest import Stack, free_port, fresh_database
from tests.api.test_case_path import member, registration


@contextmanager
def parts(env: dict[str, str], port: int) -> Iterator[None]:
    commands = [["worker"], ["project"], ["api", "--port", str(port)]]
    processes = [subprocess.Popen([sys.executable, "-m", "branchflow", *c], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.STDOUT) for c in commands]
    try:
        yield
    finally:
        for p in processes:
            p.send_signal(signal.SIGINT)
        for p in processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_the_parts_run_one_by_one_on_an_external_cluster_and_database(stack: Stack, database_url: str) -> None:
    db, port = fresh_database(database_url), free_port()
    env = {**os.environ, "DATABASE_URL": db, "TEMPORAL_ADDRESS": stack.temporal_address,
           "BRANCHFLOW_TASK_QUEUE": f"parts-{port}"}
    with parts(env, port):
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                api.get("/boards/status")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "branchflow api did not start"
                time.sleep(0.2)
        with psycopg.connect(db, autocommit=True) as conn:
            api.headers["Authorization"] = f"Bearer {add_user(conn, 'li', Role.ORGANIZER, '440403')}"
        case = api.post("/organizations", json=registration("440403108001"))
        assert case.status_code == 201, case.text
        step = api.post(f"/organizations/{case.json()['id']}/actions", json=member("王芳"))
        assert step.status_code == 200 and step.json()["stage"] == "DEVELOPING_MEMBERS"
        deadline = time.monotonic() + 20
        while api.get("/projections").json()["lag"] > 0:
            assert time.monotonic() < deadline, "branchflow project did not catch up"
            time.sleep(0.1)
        board = api.get("/boards/status", params={"region": "440403108"}).json()
        assert (board["total"], board["by_stage"]["DEVELOPING_MEMBERS"]) == (1, 1)
