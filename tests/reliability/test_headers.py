"""What every answer carries and how long the server waits (issue 14 item 11): JSON answers and ledger downloads
are never cached and never sniffed; /docs works with no internet connection; a client sending its headers or
its body too slowly is cut off; names with nothing visible in them, or with bidi controls, are refused."""

from __future__ import annotations

import re
import socket
import time

import httpx
import pytest

from branchflow.runtime import web_server
from tests.api.conftest import Stack
from tests.api.test_case_path import registration
from tests.reliability.protocol import member_step

pytestmark = pytest.mark.slow
STREET = "440403126"


def private(answer: httpx.Response) -> None:
    assert answer.headers.get("cache-control") == "no-store", (answer.request.url, answer.headers)
    assert answer.headers.get("x-content-type-options") == "nosniff", (answer.request.url, answer.headers)


def test_json_answers_and_ledger_downloads_are_neither_cached_nor_sniffed(
    stack: Stack, api: httpx.Client, case: str
) -> None:
    for answer in (api.get(f"/organizations/{case}"), api.get(f"/organizations/{case}/history"),
                   api.get("/boards/status"), api.get("/organizations/not-a-uuid"),
                   api.get("/reports/ledger", params={"format": "csv"}),
                   api.get("/reports/ledger", params={"format": "xlsx"}),
                   httpx.get(f"{stack.base_url}/api/v1/boards/status"),  # a 401
                   httpx.get(f"{stack.base_url}/openapi.json")):
        assert answer.status_code in (200, 401, 422), answer.text
        private(answer)


def test_docs_load_nothing_from_another_origin_and_list_every_operation(stack: Stack) -> None:
    docs = httpx.get(f"{stack.base_url}/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    private(docs)
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", docs.text), "a resource of another origin"
    for local in re.findall(r"""(?:src|href)=["'](/[^"']*)""", docs.text):  # what it loads is served here
        assert httpx.get(f"{stack.base_url}{local}").status_code == 200, local
    schema = httpx.get(f"{stack.base_url}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method in operations:
            assert f"{method.upper()} {path}" in docs.text


def silent_for(sock: socket.socket, seconds: float) -> bool:
    """Whether the server leaves the connection open (sending nothing) for `seconds`."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) != b""
    except TimeoutError:
        return True
    except ConnectionResetError:
        return False


@pytest.mark.parametrize("sent", [
    b"",  # a connection that never says anything
    b"GET /api/v1/boards/status HTTP/1.1\r\nHost: x\r\n",  # headers that never end
    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",  # a body
], ids=["nothing", "slow_headers", "slow_body"])
def test_a_client_too_slow_with_its_request_is_cut_off(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, sent: bytes
) -> None:
    monkeypatch.setattr(web_server, "READ_REQUEST_WITHIN", 1.0)  # the server runs in this process
    host, port = stack.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        started = time.monotonic()
        sock.sendall(sent)
        assert not silent_for(sock, 10), "the server kept waiting"
        assert time.monotonic() - started < 8
    assert httpx.get(f"{stack.base_url}/login").status_code == 200  # the server still serves


def answer_to(stack: Stack, request: bytes, pieces: int = 1) -> bytes | None:
    """What the server sends back for `request`, sent in `pieces`, until it closes the connection (None: it
    reset the connection)."""
    host, port = stack.base_url.removeprefix("http://").split(":")
    size = -(-len(request) // pieces)
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(10)
        try:
            for start in range(0, len(request), size):
                sock.sendall(request[start:start + size])
        except (BrokenPipeError, ConnectionResetError):  # closed before the rest was sent
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:  # closed with the client's bytes unread: the kernel resets, and may drop
            return None  # the answer that was on its way
        return received


@pytest.mark.parametrize("pieces", [1, 8], ids=["at_once", "in_pieces"])
@pytest.mark.parametrize("cookie", [web_server.MAX_HEADERS_BYTES, 100], ids=["one_header", "many_headers"])
def test_a_request_whose_headers_pass_the_bound_is_400_and_closed(stack: Stack, pieces: int, cookie: int) -> None:
    headers = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * cookie)
                       for i in range(web_server.MAX_HEADERS_BYTES // cookie + 1))
    request = b"GET /login HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    answer = answer_to(stack, request, pieces)
    assert answer is None or answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert httpx.get(f"{stack.base_url}/login").status_code == 200  # the server still serves


def test_a_body_arriving_with_its_headers_is_not_counted_as_headers(stack: Stack) -> None:
    body = b"token=" + b"a" * (200 * 1024)  # under the 256 KiB bound of a body, far over the headers'
    request = (b"POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    answer = answer_to(stack, request)
    # The sign-in form's own answer: a field too long.
    assert answer is not None and answer.startswith(b"HTTP/1.1 422 "), answer


@pytest.mark.parametrize("name", ["\u200b\u200b", " \u3000 ", "\u202e李四", "王\u2066五", "\u0308"],
                         ids=["zero_width_only", "spaces_only", "rtl_override", "bidi_isolate", "combining_only"])
def test_a_name_with_no_visible_character_or_with_bidi_controls_is_422(
    api: httpx.Client, case: str, name: str
) -> None:
    for answer in (api.post(f"/organizations/{case}/actions", json=member_step(name)),
                   api.post("/organizations", json=registration(f"{STREET}002", name=name))):
        assert answer.status_code == 422, answer.text
        assert "name" in {e["field"] for e in answer.json()["errors"]}, answer.text
