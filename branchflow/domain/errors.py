"""Domain errors. Each names the rule it enforces, so the API can answer 409 with it."""

from __future__ import annotations

from datetime import date


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""


class RuleViolation(DomainError):
    """A rule of domain.md forbids the step; `rule` is its stable name, `message` the rule in words.

    A step refused for its date names the earlier step it conflicts with and that step's business date.
    """

    def __init__(self, rule: str, message: str, earlier_step: str | None = None,
                 earlier_on: date | None = None) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message
        self.earlier_step, self.earlier_on = earlier_step, earlier_on


class UnknownPerson(DomainError):
    def __init__(self, person_id: str) -> None:
        super().__init__(f"no person with id {person_id!r} in this case")
        self.person_id = person_id
        self.field = "person_id"  # the request's field that named it, where a door knows it


class CaseNotFound(DomainError):
    def __init__(self, organization_id: object) -> None:
        super().__init__(f"no organization with id {organization_id}")
        self.organization_id = organization_id


class AlreadyRegistered(DomainError):
    """`organization_id` None: the case is outside the caller's scope, which is not told which case it is."""

    def __init__(self, organization_id: object) -> None:
        super().__init__(f"organization {organization_id} is already registered" if organization_id is not None
                         else "this organization is already registered, outside your region scope")
        self.organization_id = organization_id


class ConcurrentChange(DomainError):
    """Another writer changed the case since it was read; nothing was written, retry."""

    def __init__(self, organization_id: object) -> None:
        super().__init__(f"organization {organization_id} was changed by another writer; nothing was written")
        self.organization_id = organization_id


class CommandIdReused(RuleViolation):
    """The command id came before with another request (action, body, case or caller): api.md's 409."""

    def __init__(self, command_id: str) -> None:
        super().__init__("command_id_reused", f"command_id {command_id!r} was first sent with another request "
                                              "(action, body, case or caller); a new request needs a new command_id")
