"""Fixtures of the reliability tests: the session's shared stack (tests/api) for load, input and security
tests, a supervisor's client and a case in each module's street on it, and a deployment of separate processes
on servers of its own for the fault tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from branchflow.api.users import Role
from tests.api.conftest import Stack, stack
from tests.api.test_case_path import registration
from tests.reliability.processes import Deployment

__all__ = ["Stack", "deployment", "stack"]


@pytest.fixture(scope="module")
def api(stack: Stack, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A supervisor of the module's own street (the module's `STREET`), so that modules' cases never meet."""
    with stack.client(stack.token(Role.SUPERVISOR, request.module.STREET)) as client:
        yield client


@pytest.fixture(scope="module")
def case(api: httpx.Client, request: pytest.FixtureRequest) -> str:
    """A case registered in the module's street, for tests that need one to act on."""
    created = api.post("/organizations", json=registration(f"{request.module.STREET}001"))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


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
