"""Fixtures of the reliability tests: the session's shared stack (tests/api) for load, input and security
tests, and a deployment of separate processes on servers of its own for the fault tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Stack, stack
from tests.reliability.processes import Deployment

__all__ = ["Stack", "deployment", "stack"]


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    system = Deployment(Path(tmp_path_factory.mktemp("deployment")))
    try:
        system.start()
        yield system
    finally:
        system.close()


@pytest.fixture
def running(deployment: Deployment) -> Iterator[Deployment]:
    """The deployment with every part running at the start of a test (a failed test may have left one down)."""
    deployment.start()
    yield deployment
