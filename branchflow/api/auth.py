"""Who is calling: the bearer token's user (what they may do is `access`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from branchflow.api import throttle
from branchflow.api.services import services
from branchflow.api.users import User, authenticate

bearer = HTTPBearer(auto_error=False, description="The API token printed by `branchflow user add` or `branchflow up`")


def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    if credentials is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    address = request.client.host if request.client else ""
    if locked := throttle.GUARD.locked_for(address, credentials.credentials):
        raise HTTPException(429, throttle.message(locked), headers={"Retry-After": str(locked)})
    with services(request).pool.connection() as conn:
        user = authenticate(conn, credentials.credentials)
    if user is None:
        throttle.GUARD.failed(address, credentials.credentials)
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    throttle.GUARD.worked(credentials.credentials)
    return user


CurrentUser = Annotated[User, Depends(current_user)]

