"""The city benchmark at a tiny size: every phase runs and the table is written (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_city_benchmark_runs_every_phase_at_a_tiny_size_and_writes_its_table(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    # Smaller than --quick's 300 cases: every phase still runs (60 cases in the city and the blocks, 40 bare starts
    # twice, 110 steps over HTTP, 3 calls per query); its figures are not what this test is about.
    done = subprocess.run([sys.executable, "-m", "bench.city", "--quick", "--cases", "60", "--steps", "10",
                           "--starts", "40", "--repeat", "3", "--output", str(output)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = output.read_text()
    assert "| measured | figure | building block, same run | ratio | goal | met |" in text
    for row in ("import: into the event store", "workflow starts",
                "every case's workflow running", "step over HTTP, 1 client",
                "steps over HTTP, 16 clients", "projection catch-up from empty", "board: city", "statistics: street",
                "ledger CSV: district", "memory: worker", "memory: Temporal dev server"):
        assert row in text, row
    assert "failed: " not in text, text  # every step and query answered
