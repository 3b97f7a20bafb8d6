"""Who may do what, and on which cases: the roles and the scope that the JSON routes and the pages both check.

A user's scope is a value that answers "does it cover this case?" and "which region may a list show?", so no
route or page compares region codes itself. A scope is a region prefix (块, the territory's users) or a
responsible committee (条, an industry committee's users: the cases it answers for, wherever they are); every
list, board and report of a committee's user is narrowed to its cases (`narrowed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import HTTPException

from branchflow.api.errors import FieldError
from branchflow.api.users import Role, User
from branchflow.domain.actions import SUPERVISOR_ACTIONS, CorrectFacts, Step
from branchflow.domain.registration import Registration

STEP_ROLES = (Role.ORGANIZER, Role.SUPERVISOR)  # register organizations and take steps on cases
APPROVERS = (Role.SUPERVISOR,)  # the organization department: approvals and joint branches
READERS = (Role.SUPERVISOR, Role.ADMIN)  # the audit trail across cases


class Located(Protocol):
    """A case, or a registration about to become one: what a scope looks at."""

    @property
    def region_code(self) -> str: ...

    @property
    def responsible_committee(self) -> str | None: ...


@dataclass(frozen=True)
class RegionScope:
    """The cases whose region code starts with `prefix`; "" is the whole country."""

    prefix: str

    def covers(self, case: Located) -> bool:
        return case.region_code.startswith(self.prefix)

    def region(self, asked: str | None) -> str:
        """The region a list or board shows: this scope by default, never wider."""
        if asked is None:
            return self.prefix
        if not asked.startswith(self.prefix):
            raise OutOfScope(f"region {asked}", self)
        return asked

    def __str__(self) -> str:
        return self.prefix or "(all)"


@dataclass(frozen=True)
class CommitteeScope:
    """The cases the committee `code` answers for, in any region; lists start at the committee's own region
    (`home`) and may look anywhere, always narrowed to the committee's cases."""

    code: str
    home: str

    def covers(self, case: Located) -> bool:
        return case.responsible_committee == self.code

    def region(self, asked: str | None) -> str:
        return self.home if asked is None else asked

    def __str__(self) -> str:
        return f"committee {self.code}"


UserScope = RegionScope | CommitteeScope


class OutOfScope(HTTPException):
    """403: a case or region the user's scope does not cover; routes and pages answer it in their own form."""

    def __init__(self, what: str, scope: UserScope) -> None:
        super().__init__(403, f"{what} is outside your scope {scope}")


def scope_of(user: User) -> UserScope:
    return CommitteeScope(user.committee, user.region) if user.committee else RegionScope(user.region)


def committee_of(user: User) -> str | None:
    """The responsible committee a user's lists are narrowed to (a committee's user), else None."""
    scope = scope_of(user)
    return scope.code if isinstance(scope, CommitteeScope) else None


def require_in_scope(user: User, case: Located) -> None:
    scope = scope_of(user)
    if not scope.covers(case):
        what = (f"a case of committee {case.responsible_committee or '(none)'}" if isinstance(scope, CommitteeScope)
                else f"region {case.region_code}")
        raise OutOfScope(what, scope)


def sees_id_numbers(user: User, case: Located) -> bool:
    """Whether the user sees the citizen ID numbers of a case's people in full (domain.md "People are recorded
    once"): the organizers and supervisors whose scope covers the case, who record and check them. Everyone
    else, and every list, sees them masked (440403********123X). The one place this is decided."""
    return user.role in STEP_ROLES and scope_of(user).covers(case)


def narrowed(user: User, values: dict[str, Any]) -> dict[str, Any]:
    """A list's, board's or report's filters in the user's scope: a committee's user sees its committee's
    cases only (asking for another committee's is 403)."""
    scope = scope_of(user)
    if not isinstance(scope, CommitteeScope):
        return values
    asked = values.get("responsible_committee")
    if asked not in (None, scope.code):
        raise OutOfScope(f"committee {asked}", scope)
    return {**values, "responsible_committee": scope.code}


def own_committee(user: User, registration: Registration) -> Registration:
    """A committee's user registers the cases their committee answers for: theirs, unless another is named
    (which their scope then refuses)."""
    if user.committee and registration.responsible_committee is None:
        return registration.model_copy(update={"responsible_committee": user.committee})
    return registration


def require_region_scope(user: User, what: str) -> None:
    """What only a territory's user may read (a committee's users have no such view of their cases yet)."""
    if user.committee:
        raise OutOfScope(what, scope_of(user))


def require_step_in_scope(user: User, step: Step) -> None:
    """A step may not carry a case out of its actor's scope: a correction of its region must stay inside it
    (a registration there is refused too, so a correction would be a way around that)."""
    if isinstance(step, CorrectFacts) and isinstance(region := step.changes.get("region_code"), str):
        scoped_region(user, region)  # 403 outside the scope


def scoped_region(user: User, region: str | None) -> str:
    """The region a list or board shows: the user's own scope by default, never wider (403)."""
    return scope_of(user).region(region)


def queue_region(user: User, region: str | None, street: str | None) -> str:
    """The narrowest of the user's scope, the region asked for and the street: a street outside the region
    asked for is malformed (422), one outside the user's scope forbidden (403)."""
    chosen = scoped_region(user, region)
    if street is None:
        return chosen
    if region is not None and not street.startswith(region):
        raise FieldError("street", f"street {street} is not in region {region}")
    if chosen.startswith(street):  # the user's own scope is narrower (a community's organizer)
        return chosen
    return scoped_region(user, street)


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        names = " or ".join(r.value for r in roles)
        raise HTTPException(403, f"this needs the role {names}; you are {user.role.value}")


def may_take(user: User, action: str) -> bool:
    """Whether the user's role allows the step (the rules and the scope are asked separately)."""
    return user.role in STEP_ROLES and (action not in SUPERVISOR_ACTIONS or user.role in APPROVERS)


def require_step_role(user: User, action: str) -> None:
    require_role(user, *STEP_ROLES)
    if action in SUPERVISOR_ACTIONS:
        require_role(user, *APPROVERS)
