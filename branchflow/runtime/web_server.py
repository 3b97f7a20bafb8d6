"""The web server's limits on slow clients: uvicorn's h11 protocol waits for a request's headers and body as
long as a client takes, so a few connections sending a byte now and then would hold the server's sockets.

`DeadlinedH11Protocol` gives each request `READ_REQUEST_WITHIN` seconds from its first byte (or from the
connection's opening) to arrive whole, headers and body, and closes the connection otherwise; uvicorn's own
`timeout_keep_alive` closes idle connections between requests, and `h11_max_incomplete_event_size` bounds the
headers a request may send.
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

READ_REQUEST_WITHIN = 20.0  # seconds for a whole request; a 256 KiB body needs far less on any working link
KEEP_ALIVE = 5  # seconds an idle connection stays open between requests
MAX_HEADERS_BYTES = 16 * 1024  # a request line and its headers; ours need a few hundred bytes
_READ = (h11.IDLE, h11.SEND_BODY)  # the client's states while its request is still arriving


class DeadlinedH11Protocol(H11Protocol):
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None:  # the first bytes of the next request on a kept-alive connection
            self._arm()
        super().data_received(data)
        if self.conn.their_state not in _READ:  # the request is in (or the connection is done with)
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(READ_REQUEST_WITHIN, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state in _READ and not self.transport.is_closing():
            self.transport.close()


def server_config(app: FastAPI, host: str, port: int, trusted_proxies: tuple[str, ...] = ()) -> uvicorn.Config:
    """`trusted_proxies` (Settings.forwarded_allow_ips) are the only peers whose X-Forwarded-For names the client:
    uvicorn's own default believes any peer on 127.0.0.1, so that a local client could claim any address and
    pass the wrong-token throttle's per-address count (throttle.py)."""
    return uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                          http=DeadlinedH11Protocol, timeout_keep_alive=KEEP_ALIVE,
                          h11_max_incomplete_event_size=MAX_HEADERS_BYTES,
                          proxy_headers=bool(trusted_proxies), forwarded_allow_ips=list(trusted_proxies))
