"""Who is calling: the bearer token's user (what they may do is `access`).

Two halves, so that a read route can look the token up on the connection and in the thread of its own query
(`reads.answered`, issue 19): `caller` takes the token from the request on the event loop (401 without one,
429 for a locked-out address or user: no I/O), `authenticated` looks it up (401 for a wrong, revoked or expired one).
`CurrentUser` is both, for the routes that want the user before their body runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from branchflow.api import throttle
from branchflow.api.services import services
from branchflow.api.users import Presented, User, authenticate

bearer = HTTPBearer(auto_error=False, description="The API token printed by `branchflow user add` or `branchflow up`")


@dataclass(frozen=True)
class Caller:
    """A request's bearer token, not looked up yet, and the address that sent it (for the throttle)."""

    token: Presented
    address: str


async def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Caller:
    # `async`: nothing here waits, and a plain function would take a thread-pool hop of its own.
    if credentials is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    address = request.client.host if request.client else ""
    token = Presented.of(credentials.credentials)
    if locked := throttle.GUARD.locked_for(address, token):
        raise HTTPException(429, locked.message, headers={"Retry-After": str(locked.seconds)})
    return Caller(token, address)


def authenticated(conn: psycopg.Connection, who: Caller) -> User:
    """The token's user, read on `conn` now (a revoked or expired token fails at once, in every process)."""
    user = authenticate(conn, who.token)
    if user is None:
        throttle.GUARD.failed(who.address, who.token)
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    throttle.GUARD.worked(who.token)
    return user


def current_user(request: Request, who: Annotated[Caller, Depends(caller)]) -> User:
    with services(request).pool.connection() as conn:
        return authenticated(conn, who)


TokenCaller = Annotated[Caller, Depends(caller)]
CurrentUser = Annotated[User, Depends(current_user)]
