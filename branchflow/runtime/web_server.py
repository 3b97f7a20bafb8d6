"""The web server: uvicorn on httptools (llhttp, in C: uvicorn's h11 parser in pure Python was ≈ 9 % of the API's
busy samples, BENCHMARKS.md "HTTP overhead"), with limits on slow and oversized requests of our own.

uvicorn's protocol waits for a request's headers and body as long as a client takes, so a few connections
sending a byte now and then would hold the server's sockets: `DeadlinedHttpToolsProtocol` gives each request
`READ_REQUEST_WITHIN` seconds from its first byte (or from the connection's opening) to arrive whole, headers and
body, and closes the connection otherwise; uvicorn's own `timeout_keep_alive` closes idle connections between
requests. httptools has no bound on a request's headers (h11 had `h11_max_incomplete_event_size`), so the
protocol refuses one whose request line and headers pass `MAX_HEADERS_BYTES` (400, and the connection closed).
"""

from __future__ import annotations

import asyncio

import httptools
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

READ_REQUEST_WITHIN = 20.0  # seconds for a whole request; a 256 KiB body needs far less on any working link
KEEP_ALIVE = 5  # seconds an idle connection stays open between requests
MAX_HEADERS_BYTES = 16 * 1024  # a request line and its headers; ours need a few hundred bytes


class HeadersTooLarge(httptools.HttpParserError):
    """Raised from the parser's callbacks: uvicorn answers a parser error 400 and closes the connection."""


class DeadlinedHttpToolsProtocol(HttpToolsProtocol):
    _deadline: asyncio.TimerHandle | None = None
    _head_bytes = 0  # bytes received of the arriving request while its headers are not complete
    _head_done = False
    _head_size = 0  # the request line's and headers' bytes as parsed

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None:  # the first bytes of the next request on a kept-alive connection
            self._arm()
        if not self._head_done:
            self._head_bytes += len(data)
        super().data_received(data)
        # The parser keeps a header's text until it ends: a head that has not ended within the bound is refused
        # here, without waiting for its end (the chunk that completes a head may carry the body too).
        if not self._head_done and self._head_bytes > MAX_HEADERS_BYTES and not self.transport.is_closing():
            self.send_400_response("Request headers too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_done, self._head_size = False, 0

    def on_url(self, url: bytes) -> None:
        self._counted(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._counted(name, value)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_done = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_done = False  # what arrives next is the next request's head
        self._head_bytes = 0
        self._disarm()  # the request is in

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _counted(self, *parts: bytes) -> None:
        self._head_size += sum(len(part) + 2 for part in parts)
        if self._head_size > MAX_HEADERS_BYTES:
            raise HeadersTooLarge("request headers too large")

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(READ_REQUEST_WITHIN, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None  # armed only while a request is arriving
        if not self.transport.is_closing():
            self.transport.close()


def server_config(app: FastAPI, host: str, port: int, trusted_proxies: tuple[str, ...] = ()) -> uvicorn.Config:
    """`trusted_proxies` (Settings.forwarded_allow_ips) are the only peers whose X-Forwarded-For names the client:
    uvicorn's own default believes any peer on 127.0.0.1, so that a local client could claim any address and
    pass the wrong-token throttle's per-address count (throttle.py)."""
    return uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                          http=DeadlinedHttpToolsProtocol, timeout_keep_alive=KEEP_ALIVE,
                          proxy_headers=bool(trusted_proxies), forwarded_allow_ips=list(trusted_proxies))
