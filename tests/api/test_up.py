"""`branchflow up` as a real subprocess: it prints its token and address, serves, stops, and keeps the data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.conftest import free_port
from tests.api.test_case_path import registration


def start(data: Path, port: int, **settings: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = {**{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEMPORAL_ADDRESS"}}, **settings}
    process = subprocess.Popen(
        [sys.executable, "-m", "branchflow", "up", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    printed: dict[str, str] = {}
    deadline = time.monotonic() + 90
    assert process.stdout is not None
    while "serving at" not in printed:
        assert time.monotonic() < deadline and process.poll() is None, f"up did not start: {printed}"
        line = process.stdout.readline().strip()
        for prefix in ("admin token:", "temporal at", "temporal web UI at", "serving at"):
            if line.startswith(prefix):
                printed[prefix.rstrip(":")] = line.removeprefix(prefix).strip()
    return process, printed


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=60)
    assert code == 0, process.stdout.read()[-3000:] if process.stdout else code


def organizer_client(data: Path, port: int) -> httpx.Client:
    users = subprocess.run(
        [sys.executable, "-m", "branchflow", "user", "add", "li", "--role", "organizer", "--region",
         "440403", "--data", str(data)], capture_output=True, text=True, check=True)
    organizer = users.stdout.strip().removeprefix("token: ")
    return httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1",
                        headers={"Authorization": f"Bearer {organizer}"}, timeout=30)


def workflows_in_web_ui(address: str, query: str) -> list[str]:
    """The workflow ids the Temporal web UI lists for a visibility query (its own HTTP API, what its pages call)."""
    answer = httpx.get(f"{address}/api/v1/namespaces/default/workflows", params={"query": query}, timeout=10)
    assert answer.status_code == 200, answer.text
    return [e["execution"]["workflowId"] for e in answer.json().get("executions", [])]


def test_up_serves_with_the_printed_token_stops_on_ctrl_c_and_keeps_the_data(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    process, printed = start(data, port)
    try:
        token = printed["admin token"]
        assert printed["serving at"] == f"http://127.0.0.1:{port}"
        assert printed["temporal at"].startswith("127.0.0.1:")
        api = organizer_client(data, port)
        created = api.post("/organizations", json=registration("440403101001"))
        assert created.status_code == 201, created.text
        org = created.json()["id"]
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/organizations/{org}",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        stop(process)

    process, printed = start(data, port)
    try:
        assert "admin token" not in printed  # printed on the first start only
        again = api.get(f"/organizations/{org}")
        assert again.status_code == 200 and again.json()["version"] == 1
        step = api.post(f"/organizations/{org}/actions", json={"action": "assign_instructor", "name": "陈老师"})
        assert step.status_code == 200 and step.json()["stage"] == "DEVELOPING_MEMBERS"
    finally:
        stop(process)


def test_up_serves_the_temporal_web_ui_at_the_printed_address(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    process, printed = start(data, port)
    try:
        ui = printed["temporal web UI at"]
        assert ui.startswith("http://127.0.0.1:") and httpx.get(ui, timeout=10).status_code == 200
        api = organizer_client(data, port)
        created = api.post("/organizations", json=registration("440403101007"))
        assert created.status_code == 201, created.text
        case = f"organization-{created.json()['id']}"
        query = "RegionCode = '440403101007' AND Stage = 'NO_MEMBERS'"
        deadline = time.monotonic() + 30  # visibility is written after the workflow task that upserts it
        while (found := workflows_in_web_ui(ui, query)) != [case]:
            assert time.monotonic() < deadline, found
            time.sleep(0.2)
        assert workflows_in_web_ui(ui, "RegionCode = '440403101007' AND Stage = 'FORMAL_BRANCH'") == []
    finally:
        stop(process)


def test_settings_in_the_environment_reach_up_its_boards_thresholds_and_no_web_ui(tmp_path: Path) -> None:
    """120 employees and no members: a blank spot under the seed's thresholds (a party organization from
    100 employees), none where a jurisdiction asks for one from 500. The board must say what the case says.
    With the web UI turned off, `up` gives no address for it."""
    data, port = tmp_path / "data", free_port()
    process, printed = start(data, port, BRANCHFLOW_THRESHOLD_PARTY_ORGANIZATION_EMPLOYEES="500",
                             BRANCHFLOW_THRESHOLD_DEVELOP_MEMBERS_EMPLOYEES="500", BRANCHFLOW_TEMPORAL_UI="off")
    try:
        assert "temporal web UI at" not in printed
        api = organizer_client(data, port)
        created = api.post("/organizations", json=registration("440403101001", employees=120))
        assert created.status_code == 201, created.text
        assert created.json()["obligations"] == [], created.text  # the case, on the worker: none at 120 employees
        deadline = time.monotonic() + 60
        while api.get("/projections").json()["lag"] > 0:
            assert time.monotonic() < deadline, "the projections did not catch up"
            time.sleep(0.1)
        board = api.get("/boards/status", params={"region": "440403101"}).json()
        assert (board["total"], board["blank_spots"]) == (1, 0), board
    finally:
        stop(process)
