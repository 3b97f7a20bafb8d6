"""405 answers name every method of the path in `Allow`. Starlette's router answers 405 from the first route
whose path matches, so `/api/v1/organizations` (GET in reports.py, POST in cases.py) said `Allow: POST`; the
methods the OpenAPI schema documents for the path are the answer (HEAD and OPTIONS are not offered)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def allowed_methods(app: FastAPI) -> list[tuple[re.Pattern[str], str]]:
    """Each documented path's pattern with its `Allow` value; undocumented routes (the pages) with their own."""
    methods: dict[str, set[str]] = {}
    for path, item in app.openapi().get("paths", {}).items():
        methods.setdefault(path, set()).update(m.upper() for m in item if m in {"get", "post", "put", "patch",
                                                                                   "delete"})
    for route in app.routes:
        path, own = getattr(route, "path", None), getattr(route, "methods", None)
        if path is not None and own and path not in methods:
            methods.setdefault(path, set()).update(own - {"HEAD"})
    return [(compile_path(path)[0], ", ".join(sorted(names))) for path, names in methods.items() if names]


class AllowEveryMethod:
    """ASGI middleware: a 405's `Allow` lists every method of the path, not those of one route."""

    def __init__(self, app: ASGIApp, fastapi: FastAPI) -> None:
        self.app, self.fastapi = app, fastapi
        self._table: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                if self._table is None:
                    self._table = allowed_methods(self.fastapi)
                path = str(scope.get("path", ""))
                names = next((allowed for pattern, allowed in self._table if pattern.match(path)), None)
                if names is not None:
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                    message = {**message, "headers": [*headers, (b"allow", names.encode())]}
            await send(message)

        await self.app(scope, receive, allow)
