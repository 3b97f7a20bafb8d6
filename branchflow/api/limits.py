"""What every request must respect before a route sees it: a size limit on its body, and no NUL character.

- A body over `MAX_BODY_BYTES` answers 413 at once: by its Content-Length when it gives one, else as soon as
  the bytes read pass the limit (a chunked body is never held in memory whole).
- A JSON body that is not text at all (no UTF-8, UTF-16 or UTF-32) answers 422, as malformed JSON does.
- A query parameter that the route does not declare (in its OpenAPI) answers 422 naming it: a misspelt
  filter (`regoin=4404`) would otherwise be ignored, and a board would show the whole scope instead.
- A JSON body that Python cannot read back (an integer of over 4,300 digits, arrays or objects nested deeper
  than `MAX_JSON_DEPTH`) answers 422 naming the body, before authentication: parsing it would raise
  `ValueError` or `RecursionError` in FastAPI, a 500.
- A NUL character (U+0000) anywhere in the query, the path, a JSON body's keys and strings or a form's fields
  answers 422 naming the field. PostgreSQL cannot keep it in a text or jsonb column: an event carrying one
  would be stored (events are bytes) but could never be projected, and every board would stop there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from branchflow.api.errors import FieldError

MAX_BODY_BYTES = 256 * 1024  # a step or a registration is a few kilobytes; the pages' forms are limited to 64 KiB
NUL = "\x00"
# Query text with no NUL (the guard refuses it), for the OpenAPI schema of free-text query parameters.
QueryText = Annotated[str, Field(json_schema_extra={"pattern": r"^[^\x00]*$"})]
MAX_JSON_DEPTH = 64  # a step nests three levels; far below the interpreter's recursion limit


class BodyTooLarge(Exception):
    pass


class UnreadableJson(Exception):
    """JSON that is well formed but that Python cannot hold (a huge integer, a deep nesting)."""


def _nul_fields(value: Any, path: str = "", depth: int = 0) -> Iterator[str]:
    """The JSON paths of the keys and strings that hold a NUL."""
    if depth > MAX_JSON_DEPTH:
        raise UnreadableJson(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        if NUL in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield where
            yield from _nul_fields(item, where, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_fields(item, f"{path}.{index}" if path else str(index), depth + 1)


def nul_fields(scope: Scope, body: bytes) -> list[str]:
    """The fields of this request that hold a NUL character (none for a request that may go on)."""
    found = [f"query.{name}" for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                          keep_blank_values=True)
             if NUL in name or NUL in value]
    if NUL in unquote(scope.get("path", "")):
        found.append("path")
    if not body:
        return found
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1").lower()
    if "form-urlencoded" in content_type:
        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        found += [name for name, value in pairs if NUL in name or NUL in value]
        return found
    if "json" in content_type or not content_type:  # FastAPI reads a body without a content type as JSON
        try:
            found += _nul_fields(json.loads(body))
        except json.JSONDecodeError:
            pass  # not JSON (a raw NUL byte makes it so): the route answers 422
        except UnicodeDecodeError:
            raise  # JSON in no Unicode encoding at all: RequestGuard answers it
        except (ValueError, RecursionError) as error:  # int() of over 4,300 digits; nesting past the limit
            raise UnreadableJson(str(error) or type(error).__name__) from None
    elif b"\x00" in body:
        found.append("body")
    return found


class RequestGuard:
    """ASGI middleware: reads the body (up to the limit), checks it, then hands it on unchanged."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send)
            return
        try:
            body, more = await self._read(receive)
        except BodyTooLarge:
            await self._too_large(send)
            return
        try:
            fields = nul_fields(scope, body)
        except UnicodeDecodeError:  # JSON in no Unicode encoding at all
            await _answer(send, 422, {"detail": "invalid input: body", "errors": [
                {"field": "body", "message": "the body is not text in UTF-8 (nor UTF-16 or UTF-32)"}]})
            return
        except UnreadableJson as error:
            await _answer(send, 422, {"detail": "invalid input: body", "errors": [
                {"field": "body", "message": f"the JSON cannot be read: {error}"}]})
            return
        if fields:
            await _answer(send, 422, {
                "detail": f"invalid input: {', '.join(fields)}",
                "errors": [{"field": f, "message": "must not contain the NUL character (U+0000)"} for f in fields],
            })
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await more()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> tuple[bytes, Receive]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                return b"".join(chunks), _once(message)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), receive

    async def _too_large(self, send: Send) -> None:
        await _answer(send, 413, {"detail": f"the request body is larger than {self.max_body_bytes} bytes"})


def _once(message: Message) -> Receive:
    async def receive() -> Message:
        return message

    return receive


async def _answer(send: Send, status: int, content: dict[str, Any]) -> None:
    body = json.dumps(content, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def only_declared_query_parameters(request: Request) -> None:
    """A route dependency: 422 for a query parameter the route's OpenAPI operation does not declare.

    `async` although it awaits nothing: FastAPI runs a plain function dependency in its thread pool, a hop on
    every request for a dictionary look-up (issue 19: the API's overhead over a board's query function)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    operation = request.app.openapi()["paths"].get(route.path_format, {}).get(request.method.lower(), {})
    declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    for name in request.query_params:
        if name not in declared:
            raise FieldError(f"query.{name}", f"unknown query parameter {name!r}; known are: "
                                              f"{', '.join(sorted(declared)) or 'none'}")
