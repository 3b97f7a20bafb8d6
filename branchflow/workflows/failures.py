"""Domain errors across Temporal: raised as `ApplicationError`s with a type, turned back at the client.

An activity that hits a rule raises a non-retryable `ApplicationError` of type "RuleViolation" with
(rule, message) as details: its transaction never committed, so nothing was written. The workflow
passes it on as the update's failure; `FormationClient` raises the domain error again so the API can
answer 409/404 exactly as if it had called the domain itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from uuid import UUID

import psycopg
from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from branchflow.domain.errors import AlreadyRegistered, CaseNotFound, ConcurrentChange, RuleViolation, UnknownPerson

RULE_VIOLATION = "RuleViolation"
CASE_NOT_FOUND = "CaseNotFound"
ALREADY_REGISTERED = "AlreadyRegistered"
CONCURRENT_CHANGE = "ConcurrentChange"
UNKNOWN_PERSON = "UnknownPerson"
INVALID_INPUT = "InvalidInput"
INTERNAL_ERROR = "InternalError"
UNAVAILABLE = "Unavailable"
UNSIGNED = "UnsignedCommand"  # a command that did not come from the API (signing.py)
STEP_NOT_OFFERED = "StepNotOffered"  # the validator: not in next_actions (the client asks the domain for the rule)
OUT_OF_SCOPE = "OutOfScope"  # the validator: the case is outside the caller's scope

# Retrying cannot change these answers. ConcurrentChange is retried: the activity reads the case again.
NON_RETRYABLE = (RULE_VIOLATION, CASE_NOT_FOUND, ALREADY_REGISTERED, UNKNOWN_PERSON, INVALID_INPUT, INTERNAL_ERROR,
                 UNSIGNED)
# Faults that pass: the store or the network. An activity meeting one is retried until it answers.
PASSING_FAULTS = (PersistenceError, psycopg.Error, OSError, TimeoutError)


class WorkflowUnavailable(Exception):
    """Temporal or the event store did not answer in time: the step may or may not have been applied.

    Retrying with the same command_id is safe: it is applied at most once and answers the same.
    """


class StepNotOffered(Exception):
    """The workflow's validator found the step missing from the case's next actions; nothing ran. The client
    turns it into the domain's `RuleViolation` (case_state.refusal)."""

    def __init__(self, action: str) -> None:
        super().__init__(f"{action} is not offered for this case now")
        self.action = action


class NotInScope(Exception):
    """The case is outside the caller's scope (the workflow's validator, from the region and committee it holds);
    `what` names the case's side of it, as the API's 403 does."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is outside the caller's scope")
        self.what = what


class InvalidStep(ValueError):
    """The step's values failed validation inside the domain (e.g. a correction's changes)."""


class CommandFailed(RuntimeError):
    """The command failed inside branchflow (a bug, logged by the worker); nothing was written."""


def expected(message: str, *details: object, type: str, non_retryable: bool = True) -> ApplicationError:
    """An answer the rules give, not a fault: BENIGN keeps it out of warning logs (names may be in it)."""
    return ApplicationError(message, *details, type=type, non_retryable=non_retryable,
                            category=ApplicationErrorCategory.BENIGN)


def application_error(error: Exception) -> ApplicationError:
    """The `ApplicationError` an activity or workflow raises for a domain error."""
    match error:
        case RuleViolation():
            return rule_failure(error.rule, error.message, error.earlier_step, error.earlier_on)
        case CaseNotFound():
            return case_not_found(error.organization_id)
        case AlreadyRegistered():
            return expected(str(error), str(error.organization_id), type=ALREADY_REGISTERED)
        case UnknownPerson():
            return expected(str(error), error.person_id, type=UNKNOWN_PERSON)
        case ConcurrentChange():
            return concurrent_change(error.organization_id)
        case ValidationError():
            return expected(str(error), str(error), type=INVALID_INPUT)
    return ApplicationError(str(error), type=UNAVAILABLE)


def rule_failure(rule: str, message: str, earlier_step: str | None = None,
                 earlier_on: date | None = None) -> ApplicationError:
    """A step refused for its date carries the earlier step it conflicts with and that step's date."""
    dated = (earlier_step, earlier_on.isoformat()) if earlier_step is not None and earlier_on is not None else ()
    return expected(f"{rule}: {message}", rule, message, *dated, type=RULE_VIOLATION)


def not_offered(action: str) -> ApplicationError:
    return expected(f"{action} is not offered for this case now", action, type=STEP_NOT_OFFERED)


def out_of_scope(what: str) -> ApplicationError:
    return expected(f"{what} is outside the caller's scope", what, type=OUT_OF_SCOPE)


def case_not_found(organization_id: object) -> ApplicationError:
    return expected(f"no organization with id {organization_id}", str(organization_id), type=CASE_NOT_FOUND)


def concurrent_change(organization_id: object, *, non_retryable: bool = False) -> ApplicationError:
    ids = [str(i) for i in organization_id] if isinstance(organization_id, list) else [str(organization_id)]
    return expected(f"organization {', '.join(ids)} is being changed by another command; nothing was written",
                    *ids, type=CONCURRENT_CHANGE, non_retryable=non_retryable)


@contextmanager
def as_application_errors() -> Iterator[None]:
    """Inside an activity: domain errors leave as typed `ApplicationError`s, passing faults as they are
    (to be retried), anything else as a non-retryable InternalError: retrying a bug would hold the case."""
    try:
        yield
    except (RuleViolation, CaseNotFound, AlreadyRegistered, UnknownPerson, ConcurrentChange, ValidationError) as e:
        # Without the domain's traceback as its cause: a refusal is written into the case's history twice (the
        # local activity's marker, the update's answer), and the cause's trace was a third of each (issue 19).
        raise application_error(e) from None
    except PASSING_FAULTS:
        raise
    except Exception as e:
        raise ApplicationError(f"{type(e).__name__} inside the command", type=INTERNAL_ERROR,
                               non_retryable=True) from e


def passed_on(error: BaseException) -> ApplicationError:
    """An activity's (or an update's) failure, as the failure of the update or workflow that waited for it.

    `error` is an `ActivityError`, `WorkflowUpdateFailedError` or similar whose `cause` says what failed.
    """
    cause = getattr(error, "cause", None)
    if isinstance(error, ApplicationError):
        cause = error
    if isinstance(cause, ApplicationError) and cause.type and cause.type != UNAVAILABLE:
        return expected(cause.message, *cause.details, type=cause.type)
    return ApplicationError(
        f"the command could not be applied now ({cause or error}); retry with the same command_id",
        type=UNAVAILABLE, non_retryable=True,
    )


def domain_error(failure: BaseException | None) -> Exception:
    """At the client: the domain error an `ApplicationError` (somewhere in a cause chain) stands for."""
    while failure is not None and not (isinstance(failure, ApplicationError) and failure.type):
        failure = failure.__cause__ or getattr(failure, "cause", None)
    if not isinstance(failure, ApplicationError):
        return WorkflowUnavailable("the step could not be applied now; retry with the same command_id")
    details = [str(d) for d in failure.details]
    first = details[0] if details else ""
    if failure.type == RULE_VIOLATION and len(details) >= 4:
        return RuleViolation(details[0], details[1], details[2], date.fromisoformat(details[3]))
    if failure.type == RULE_VIOLATION and len(details) >= 2:
        return RuleViolation(details[0], details[1])
    if failure.type == CASE_NOT_FOUND:
        return CaseNotFound(_uuid_or_text(first))
    if failure.type == ALREADY_REGISTERED:
        return AlreadyRegistered(_uuid_or_text(first))
    if failure.type == UNKNOWN_PERSON:
        return UnknownPerson(first)
    if failure.type == CONCURRENT_CHANGE:
        ids = [_uuid_or_text(d) for d in details]
        return ConcurrentChange(ids[0] if len(ids) == 1 else ids)
    if failure.type == STEP_NOT_OFFERED:
        return StepNotOffered(first)
    if failure.type == OUT_OF_SCOPE:
        return NotInScope(first)
    if failure.type == INVALID_INPUT:
        return InvalidStep(first or failure.message)
    if failure.type in (INTERNAL_ERROR, UNSIGNED):  # UNSIGNED: the API's key is not the worker's
        return CommandFailed(failure.message)
    return WorkflowUnavailable(failure.message)


def _uuid_or_text(text: str) -> UUID | str:
    try:
        return UUID(text)
    except ValueError:
        return text
