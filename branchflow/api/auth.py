"""Who is calling, and may they act here: bearer tokens, roles and region scope."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from branchflow.api import throttle
from branchflow.api.services import services
from branchflow.api.users import Role, User, authenticate
from branchflow.domain.actions import CorrectFacts, Step
from branchflow.domain.application import FormationApplication
from branchflow.domain.errors import AlreadyRegistered, CaseNotFound

bearer = HTTPBearer(auto_error=False, description="The API token printed by `branchflow user add` or `branchflow up`")


def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    if credentials is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    address = request.client.host if request.client else ""
    if locked := throttle.GUARD.locked_for(address):
        raise HTTPException(429, throttle.message(locked), headers={"Retry-After": str(locked)})
    with services(request).pool.connection() as conn:
        user = authenticate(conn, credentials.credentials)
    if user is None:
        throttle.GUARD.failed(address)
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_region(user: User, region_code: str) -> None:
    if not user.covers(region_code):
        raise HTTPException(403, f"region {region_code} is outside your scope {user.region or '(all)'}")


def require_step_in_scope(user: User, step: Step) -> None:
    """A step may not carry a case out of its actor's scope: a correction of its region must stay inside it
    (a registration there is refused too, so a correction would be a way around that)."""
    if isinstance(step, CorrectFacts) and isinstance(region := step.changes.get("region_code"), str):
        require_region(user, region)


def disclosed(app: FormationApplication, user: User, duplicate: AlreadyRegistered) -> AlreadyRegistered:
    """`already_registered` names the case only to a caller who may see it (issue 14)."""
    try:
        region = app.case(duplicate.organization_id).region_code if isinstance(duplicate.organization_id, UUID) \
            else None
    except CaseNotFound:
        region = None
    return duplicate if region is not None and user.covers(region) else AlreadyRegistered(None)


def scoped_region(user: User, region: str | None) -> str:
    """The region a list or board shows: the user's own scope by default, never wider."""
    if region is None:
        return user.region
    if not region.startswith(user.region):
        raise HTTPException(403, f"region {region} is outside your scope {user.region or '(all)'}")
    return region


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        names = " or ".join(r.value for r in roles)
        raise HTTPException(403, f"this needs the role {names}; you are {user.role.value}")
