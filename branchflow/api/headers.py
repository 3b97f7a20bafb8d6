"""What every answer carries: never kept in a cache (cases, members and ledgers are personal data, and a shared
or browser cache would keep them past a sign-out) and never content-sniffed (a JSON or CSV answer must not be
run as HTML). The pages' static files are the exception to no-store: they hold no data."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))
CACHEABLE_PREFIX = "/static/"


class PrivateAnswers:
    """ASGI middleware: adds the headers an answer does not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(CACHEABLE_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in PRIVATE
                            if name not in present and not (static and name == b"cache-control")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
