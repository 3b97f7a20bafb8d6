"""The projection's catch-up alone, timed on an event store filled once (issue 19's catch-up goal):

    python -m bench.catchup --cases 3000 --fill           # fill the stores (city ledger, synthetic city)
    python -m bench.catchup --cases 3000 --runs 3         # reset + catch up from empty, timed, per store
    PYTHONPATH=../before python /this/tree/bench/catchup.py --cases 3000   # the same with other code

Two stores in schemas of their own on the embedded PostgreSQL of `--data` (or DATABASE_URL): `city` is
bench/city.py's ledger imported without Temporal (what its catch-up reads), `synthetic` is bench/projections.py's
city (steps on many business dates: more periods per case). Each run prints events/s, the Python CPU time and
a digest of every read-model table, so that two versions of the code can be shown to write the same rows.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg

from bench.ledger import write_ledger
from bench.projections import TODAY, fill
from branchflow.api.intake.ledger_import import import_ledger
from branchflow.api.intake.targets import ApplicationCommands
from branchflow.domain.application import FormationApplication
from branchflow.projections import Projector
from branchflow.projections.schema import CASE_STATES, TABLES
from branchflow.runtime.postgres import postgres_env, resolve_database_url
from branchflow.runtime.settings import load_settings

STORES = ("city", "synthetic")


def fill_city(env: dict[str, str], cases: int, today: date) -> None:
    app = FormationApplication(env)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ledger = Path(tmp) / "city.csv"
            write_ledger(ledger, cases, today)
            import_ledger(ledger, ApplicationCommands(app, "bench", today), today)
    finally:
        app.close()


def digest(url: str, schema: str) -> dict[str, str]:
    """Each read-model table's rows, sorted, hashed. A snapshot's JSON is compared as jsonb: its objects' key
    order follows set iteration, which differs between two runs of the same code (string hashing)."""
    found = {}
    with psycopg.connect(url, autocommit=True, options=f"-c search_path={schema}") as conn:
        for table in TABLES:
            text = ("(id, version, convert_from(state, 'UTF8')::jsonb)::text" if table == CASE_STATES else "t::text")
            rows = conn.execute(f"SELECT {text} FROM {table} AS t ORDER BY 1").fetchall()
            found[table] = f"{len(rows)}:{hashlib.sha256(chr(10).join(r[0] for r in rows).encode()).hexdigest()[:12]}"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--fill", action="store_true", help="fill the stores anew")
    parser.add_argument("--runs", type=int, default=1, help="catch-ups from empty per store")
    parser.add_argument("--stores", default=",".join(STORES))
    parser.add_argument("--data", type=Path, default=Path("bench-data"), help="embedded PostgreSQL folder")
    parser.add_argument("--digest", action="store_true", help="print the read-model tables' digests")
    args = parser.parse_args()
    url, server = resolve_database_url(args.data, load_settings().database_url)
    try:
        for store in args.stores.split(","):
            schema = f"catchup_{store}_{args.cases}"
            env = {**postgres_env(url), "POSTGRES_SCHEMA": schema}
            if args.fill:
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                    admin.execute(f'CREATE SCHEMA "{schema}"')
                if store == "city":
                    fill_city(env, args.cases, TODAY)
                else:
                    fill(env, args.cases, 200)
            projector = Projector(env)
            try:
                for _ in range(args.runs):
                    projector.view.reset()
                    load = os.getloadavg()[0]
                    started, cpu = time.perf_counter(), time.process_time()
                    consumed = projector.catch_up(timeout=3600)
                    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                    print(f"{store}: {consumed:,} events in {seconds:.2f} s = {consumed / seconds:,.0f} events/s; "
                          f"Python CPU {cpu:.2f} s ({consumed / cpu:,.0f} events per CPU-second); "
                          f"load {load:.1f}", flush=True)
            finally:
                projector.close()
            if args.digest:
                print(f"{store}: {digest(url, schema)}", flush=True)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
