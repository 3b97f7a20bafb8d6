"""Every step has a business date, and a case's dates stay in order (domain.md "Dates").

A step may be recorded long after it happened (organizers record the past), but never on a date before the
organization's founding, nor before a step it depends on. A refusal names that earlier step and its date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from branchflow.domain.errors import RuleViolation

DATE_OUT_OF_ORDER = "date_out_of_order"


@dataclass(frozen=True)
class Dated:
    """A step of the case (its event's name, or what it did) and the business date it happened on."""

    step: str
    on: date


def dated(step: str, on: date | None) -> Dated | None:
    """The step on its date, or None where the date was not kept (a case stored before it was)."""
    return Dated(step, on) if on is not None else None


def not_before(step: str, day: date, earlier: Dated | None) -> RuleViolation | None:
    """`step` on `day` may not come before `earlier` (None: nothing to come after)."""
    if earlier is None or day >= earlier.on:
        return None
    return RuleViolation(
        DATE_OUT_OF_ORDER, f"{step} on {day.isoformat()} would come before {earlier.step} on "
        f"{earlier.on.isoformat()}, which it follows", earlier.step, earlier.on)


def registered_after_founding(registered_on: date, founded_on: date) -> RuleViolation | None:
    """A case is registered on or after the organization's founding (the first of its dates in order)."""
    return not_before("the registration", registered_on, Dated("founded", founded_on))


def first_failure(*checks: RuleViolation | None) -> RuleViolation | None:
    return next((v for v in checks if v is not None), None)


def latest(*steps: Dated | None) -> Dated | None:
    """The latest of the steps given (the last given of equals: the later step on one day), None if none."""
    # A loop, not max() over a list with a key: every event applied asks for it (BENCHMARKS.md "Catch-up
    # after the periods").
    found = None
    for step in steps:
        if step is not None and (found is None or step.on >= found.on):
            found = step
    return found
