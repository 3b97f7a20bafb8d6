"""Determinism: histories recorded from earlier test runs must replay against today's workflow code.

Every scenario in this folder also replays its own fresh histories (see `harness.replay`). The files in
histories/ are kept so that a change which breaks running workflows fails here; after an intended,
versioned change record them again with `BRANCHFLOW_RECORD_HISTORIES=<folder> pytest tests/workflows`
(then gzip the ones worth keeping into histories/, named `<workflow id>-<run>.json.gz`).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.conftest import LoopThread
from tests.workflows.harness import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json.gz"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.name.removesuffix(".json.gz") for p in HISTORIES])
def test_a_recorded_history_replays_without_nondeterminism(path: Path, loop: LoopThread) -> None:
    workflow_id = path.name.removesuffix(".json.gz").rsplit("-", 1)[0]
    history = WorkflowHistory.from_json(workflow_id, gzip.decompress(path.read_bytes()).decode())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = loop.run(replayer.replay_workflow(history, raise_on_replay_failure=False))
    assert result.replay_failure is None, result.replay_failure


def test_recorded_histories_cover_every_workflow() -> None:
    names = " ".join(p.name for p in HISTORIES)
    assert "-person-" in names and "joint-branch-" in names and "organization-" in names
