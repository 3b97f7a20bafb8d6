"""A read route's whole work in one thread and on one connection (issue 19: the API's overhead over a board's
query function): the token's look-up (`auth.authenticated`), the route's scope check and query, and the answer's
JSON, then handed back to the event loop as bytes.

FastAPI would take a thread-pool hop and a pooled connection for the token's dependency, a second of each for
the route, and then validate the returned model against the route's `response_model` again before encoding it.
Here the model is encoded as it stands, as FastAPI encodes it (pydantic's JSON, by alias); the route still
declares its `response_model`, so the OpenAPI schema is unchanged.

`read` does all its work on the connection it is given and takes no second one from the pool: requests
holding one while waiting for another could empty the pool between them (so routes that read the case from
the event store and names from the pool, as `GET /organizations/{id}` does, stay as they are).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from fastapi import Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from branchflow.api.auth import Caller, authenticated
from branchflow.api.services import services
from branchflow.api.users import User

Connection = psycopg.Connection[Any]
Read = Callable[[Connection, User], BaseModel | Response]


async def answered(request: Request, who: Caller, read: Read) -> Response:
    """`read(conn, user)`'s answer, the token looked up on the same connection first (401 before any query)."""
    pool = services(request).pool

    def work() -> Response:
        with pool.connection() as conn:
            found = read(conn, authenticated(conn, who))
        if isinstance(found, Response):
            return found
        return Response(found.model_dump_json(by_alias=True), media_type="application/json")

    return await run_in_threadpool(work)
