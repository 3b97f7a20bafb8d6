"""The whole path at a city's scale, each figure beside its building block (issue 7):

    python -m bench.city --cases 10000       # about 15 minutes on the 2-core machine
    python -m bench.city                     # 100,000 cases, the default: well over an hour, most of it Temporal
    python -m bench.city --quick             # 300 cases, under a minute: a smoke run

Starts its own PostgreSQL and Temporal dev server in a temporary folder, `branchflow worker`, `api` and
`project` as separate processes, and a bare Temporal worker (bench/bare.py). Then, in one run: the event
store's building blocks; bare workflow starts; the import of a ledger of N cases in `branchflow demo`'s
proportions (bench/ledger.py); projection catch-up and rebuild; steps over HTTP beside bare updates, for 1 and
16 clients; boards and reports over HTTP and through the query functions; peak memory of every part.
Prints a table and writes it into BENCHMARKS.md (`--output`) between its markers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.run import Settings, run


def settings(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=None, help="cases in the city (default 100,000; 300 --quick)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 300 cases and few repetitions")
    parser.add_argument("--steps", type=int, default=None,
                        help="steps timed with one client (16 clients take six times as many); default 400")
    parser.add_argument("--starts", type=int, default=None, help="bare workflow starts, twice (default ≤ 5,000)")
    parser.add_argument("--block-cases", type=int, default=None,
                        help="cases imported without Temporal for the building blocks (default ≤ 20,000)")
    parser.add_argument("--repeat", type=int, default=None, help="calls per board or report query (default 50)")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args(argv)
    quick = args.quick
    cases = args.cases or (300 if quick else 100_000)
    return Settings(
        cases=cases, steps=args.steps or (30 if quick else 400),
        starts=args.starts or min(cases, 200 if quick else 5000),
        block_cases=args.block_cases or min(cases, 20_000), repeat=args.repeat or (10 if quick else 50),
        output=args.output, today=date.today(),
    )


def main(argv: list[str] | None = None) -> None:
    chosen = settings(argv)
    random.seed(1)
    started = time.perf_counter()
    # BENCH_TMP: where the servers' temporary folder goes (a disk with room: 100,000 cases take about 2 GB).
    with tempfile.TemporaryDirectory(prefix="branchflow-bench-", dir=os.environ.get("BENCH_TMP")) as tmp:
        asyncio.run(run(chosen, Path(tmp)))
    print(f"\nbench/city.py: {chosen.cases:,} cases in {time.perf_counter() - started:,.0f} s; "
          f"figures written to {chosen.output}")


if __name__ == "__main__":
    main()
