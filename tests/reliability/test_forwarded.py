"""Whose X-Forwarded-For the web server believes (FORWARDED_ALLOW_IPS): only the configured proxies', none by
default, so that a client cannot name another address for itself (the wrong-token throttle counts per address)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from branchflow.runtime.settings import load_settings
from branchflow.runtime.web_server import server_config
from tests.api.conftest import free_port


def echo() -> FastAPI:
    app = FastAPI()

    @app.get("/address")
    def address(request: Request) -> str:
        return request.client.host if request.client else ""

    return app


@contextmanager
def serving(trusted: tuple[str, ...]) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(server_config(echo(), "127.0.0.1", port, trusted))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def address_seen(url: str, sent_from: str, forwarded: str) -> str:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=sent_from)) as client:
        answer = client.get(f"{url}/address", headers={"X-Forwarded-For": forwarded})
    answer.raise_for_status()
    return str(answer.json())


@pytest.mark.parametrize(("trusted", "sent_from", "seen"), [
    (load_settings().forwarded_allow_ips, "127.0.0.1", "127.0.0.1"),  # the default: no proxy, not even a local one
    (("127.0.0.1",), "127.0.0.1", "198.51.100.7"),
    (("127.0.0.1",), "127.0.0.2", "127.0.0.2"),
    (("127.0.0.0/31",), "127.0.0.1", "198.51.100.7"),  # a network
    (("127.0.0.0/31",), "127.0.0.2", "127.0.0.2"),
], ids=["default", "trusted", "untrusted", "trusted_network", "outside_the_network"])
def test_x_forwarded_for_names_the_client_only_from_a_configured_proxy(
    trusted: tuple[str, ...], sent_from: str, seen: str
) -> None:
    with serving(trusted) as url:
        assert address_seen(url, sent_from, "198.51.100.7") == seen
