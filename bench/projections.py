"""Benchmark of the projections: fill a city, catch up from an empty projection, time boards and reports.

    python -m bench.projections --cases 100000            # embedded PostgreSQL in ./bench-data
    DATABASE_URL=postgresql://... python -m bench.projections --cases 20000

Not a test: it prints a table of events/s and query latencies (p50/p99 over --repeat runs).
"""

from __future__ import annotations

import argparse
import os
import statistics as stats
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from bench.synthetic import CityBuilder
from branchflow.domain.application import FormationApplication
from branchflow.domain.formation_table import COLUMNS
from branchflow.projections import (
    CaseFilters,
    Projector,
    Scope,
    audit_trail,
    case_list,
    ledger_csv,
    ledger_rows,
    ledger_xlsx,
    one_transfer_away,
    queue_counts,
    statistics,
    status_board,
    work_queue,
)
from branchflow.projections.as_of import EventSource, replayed_rows, rows_as_of
from branchflow.projections.formation_table import table_figures
from branchflow.projections.schema import region_range
from branchflow.projections.summaries import summaries_disagree
from branchflow.runtime.postgres import postgres_env, resolve_database_url
from branchflow.runtime.settings import load_settings

TODAY = date(2025, 6, 30)
YEAR_END = date(2024, 12, 31)  # the county's table is "as of 31 December"
CITY, DISTRICT, STREET, COMMUNITY = "4404", "440403", "440403001", "440403001001"


def fill(env: dict[str, str], cases: int, per_save: int) -> tuple[int, float]:
    app = FormationApplication(env)
    started, events = time.perf_counter(), 0
    for batch in CityBuilder(seed=1, today=TODAY).batches(cases, per_save):
        recordings = app.save(*batch)
        events += len(recordings)
    app.close()
    return events, time.perf_counter() - started


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    fn()  # warm: first plans and caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return stats.median(times), times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--per-save", type=int, default=200, help="aggregates per eventsourcing save")
    parser.add_argument("--page-size", type=int, default=5000, help="notifications per projection transaction")
    parser.add_argument("--data", type=Path, default=Path("bench-data"), help="embedded PostgreSQL folder")
    parser.add_argument("--reuse", action="store_true", help="keep the events of an earlier run of this size")
    parser.add_argument("--replayed", action="store_true",
                        help="also time the district's table as of a year-end replayed from the events (slow)")
    parser.add_argument("--only", default="",
                        help="time only the queries whose names contain one of these comma-separated words")
    args = parser.parse_args()

    url, server = resolve_database_url(args.data, load_settings().database_url)
    schema = f"bench_{args.cases}"
    env = {**postgres_env(url), "POSTGRES_SCHEMA": schema}
    rows: list[tuple[str, str]] = []
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
            if not (args.reuse and exists):
                admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                admin.execute(f'CREATE SCHEMA "{schema}"')
                events, seconds = fill(env, args.cases, args.per_save)
                rows.append(("fill: eventsourcing save", f"{events:,} events in {seconds:.1f} s = "
                             f"{events / seconds:,.0f} events/s"))

        projector = Projector(env, page_size=args.page_size)
        projector.view.reset()  # a rebuild is: reset, catch up from empty, vacuum
        started, cpu = time.perf_counter(), time.process_time()
        consumed = projector.catch_up(timeout=3600)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        rows.append(("projection catch-up from empty", f"{consumed:,} events in {seconds:.1f} s = "
                     f"{consumed / seconds:,.0f} events/s (lag after: {projector.lag()})"))
        rows.append(("  its Python CPU time (both threads)", f"{cpu:.1f} s = {consumed / cpu:,.0f} events per "
                     f"CPU-second; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"))
        started = time.perf_counter()
        projector.view.vacuum()
        rows.append(("  then VACUUM ANALYZE of the read models", f"{time.perf_counter() - started:.1f} s"))

        with psycopg.connect(url, autocommit=True, options=f"-c search_path={schema}") as conn:
            problems = summaries_disagree(conn)
            rows.append(("summaries equal a fresh count", "yes" if not problems else f"NO: {problems[:3]}"))
            cases = conn.execute("SELECT count(*) FROM cases").fetchone()
            members = conn.execute("SELECT count(*) FROM members").fetchone()
            rows.append(("rows", f"{cases[0] if cases else 0:,} cases, {members[0] if members else 0:,} members"))
            district = ledger_rows(conn, Scope(region=DISTRICT))
            app = FormationApplication(env=env)
            source = EventSource.of(app)

            def table_as_of(region: str, day: date) -> Any:
                """The statistics table as of a past business date: a sum over the periods then."""
                with rows_as_of(conn, day) as past:
                    return table_figures(conn, Scope(region=region), day, cases=past.cases)

            def table_replayed(region: str, day: date) -> Any:
                """The same from each case's events replayed to that day (the way before the periods)."""
                with replayed_rows(conn, source, region, day) as past:
                    return table_figures(conn, Scope(region=region), day, cases=past.cases)

            def statistics_as_of(region: str, day: date) -> Any:
                with rows_as_of(conn, day) as past:
                    return statistics(conn, Scope(region=region), day, past.cases, past.members)

            def board_as_of(region: str, day: date) -> Any:
                with rows_as_of(conn, day) as past:
                    return status_board(conn, Scope(region=region), past.cases)

            def bare_sum(region: str, day: date) -> Any:
                """One SELECT of the table's column sums over the periods holding on the day, nothing else."""
                low, high = region_range(region)
                sums = ", ".join(f"sum(table_{name})" for name in COLUMNS)
                return conn.execute(f"SELECT {sums} FROM case_periods WHERE region_code >= %s AND region_code < %s "
                                    "AND valid_from <= %s AND valid_until > %s", (low, high, day, day)).fetchone()

            for table in ("cases", "members", "case_periods", "member_periods"):
                found = conn.execute("SELECT count(*), pg_total_relation_size(%s) FROM " + table,
                                     (table,)).fetchone()
                assert found is not None
                rows.append((f"storage: {table}", f"{found[0]:,} rows, {found[1] / 2**20:,.1f} MiB with indexes "
                             f"({found[1] / max(1, found[0]):,.0f} bytes a row)"))

            queries: list[tuple[str, Callable[[], Any], int]] = [
                ("board: city", lambda: status_board(conn, Scope(region=CITY)), args.repeat),
                ("board: district", lambda: status_board(conn, Scope(region=DISTRICT)), args.repeat),
                ("board: street", lambda: status_board(conn, Scope(region=STREET)), args.repeat),
                ("board: community", lambda: status_board(conn, Scope(region=COMMUNITY)), args.repeat),
                ("board: province", lambda: status_board(conn, Scope(region="44")), args.repeat),
                ("board: city, economic above-scale", lambda: status_board(
                    conn, Scope(region=CITY, kind="economic", above_scale=True)), args.repeat),
                ("board: city, founded 2020", lambda: status_board(
                    conn, Scope(region=CITY, founded_year=2020)), args.repeat),
                ("statistics: city", lambda: statistics(conn, CITY, TODAY), args.repeat),
                ("statistics: district", lambda: statistics(conn, DISTRICT, TODAY), args.repeat),
                ("statistics: street", lambda: statistics(conn, STREET, TODAY), args.repeat),
                ("case list: city, >100 employees, not covered", lambda: case_list(
                    conn, CaseFilters(region=CITY, min_employees=101, organization_covered=False)), args.repeat),
                ("audit: district, page 1", lambda: audit_trail(conn, DISTRICT), args.repeat),
                ("work queue: street, page 1", lambda: work_queue(conn, STREET, TODAY), args.repeat),
                ("work queue: district, page 1", lambda: work_queue(conn, DISTRICT, TODAY), args.repeat),
                ("work queue: street, overdue, page 1", lambda: work_queue(conn, STREET, TODAY, overdue=True),
                 args.repeat),
                ("formation table: district, today", lambda: table_figures(
                    conn, Scope(region=DISTRICT), TODAY), args.repeat),
                ("formation table: city, today", lambda: table_figures(conn, Scope(region=CITY), TODAY), args.repeat),
                ("formation table: district, as of a year-end", lambda: table_as_of(DISTRICT, YEAR_END),
                 args.repeat),
                ("  building block: the bare SQL sum of its periods", lambda: bare_sum(DISTRICT, YEAR_END),
                 args.repeat),
                ("formation table: city, as of a year-end", lambda: table_as_of(CITY, YEAR_END),
                 max(3, args.repeat // 5)),
                ("  building block: the bare SQL sum of its periods", lambda: bare_sum(CITY, YEAR_END),
                 max(3, args.repeat // 5)),
                ("statistics: district, as of a year-end", lambda: statistics_as_of(DISTRICT, YEAR_END),
                 args.repeat),
                ("board: district, as of a year-end", lambda: board_as_of(DISTRICT, YEAR_END), args.repeat),
                *([("formation table: district, as of a year-end, replayed", lambda: table_replayed(
                    DISTRICT, YEAR_END), 1)] if args.replayed else []),
                ("queue counts: street", lambda: queue_counts(conn, STREET, TODAY), args.repeat),
                ("one transfer away: street", lambda: one_transfer_away(conn, STREET), args.repeat),
                ("one transfer away: district", lambda: one_transfer_away(conn, DISTRICT), args.repeat),
                ("one transfer away: district, narrowed to a committee (no case of it here)", lambda: one_transfer_away(
                    conn, DISTRICT, committee="ZH-BENCH"), args.repeat),
                (f"ledger rows: district ({len(district):,} cases)", lambda: ledger_rows(
                    conn, Scope(region=DISTRICT)), max(5, args.repeat // 5)),
                ("ledger CSV: district (query + file)", lambda: ledger_csv(
                    ledger_rows(conn, Scope(region=DISTRICT))), max(5, args.repeat // 5)),
                ("ledger XLSX: district (query + file)", lambda: ledger_xlsx(
                    ledger_rows(conn, Scope(region=DISTRICT))), 3),
            ]
            wanted = [w for w in args.only.split(",") if w]
            for name, fn, repeat in [q for q in queries if not wanted or any(w in q[0] for w in wanted)]:
                p50, p99 = timed(fn, repeat)
                rows.append((name, f"p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"))
            app.close()
        projector.close()
    finally:
        if server is not None:
            server.stop()
    width = max(len(name) for name, _ in rows)
    print(f"\nprojections benchmark: {args.cases:,} cases (page size {args.page_size})")
    for name, figure in rows:
        print(f"  {name:<{width}}  {figure}")


if __name__ == "__main__":
    main()
