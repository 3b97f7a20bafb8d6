"""The running system's parts, as the routes reach them."""

from __future__ import annotations

from fastapi import Request

from branchflow.runtime.bootstrap import Services


def services(request: Request) -> Services:
    found = request.app.state.services
    assert isinstance(found, Services)
    return found
