"""When the workflows wake up: the deadlines of a case (domain `obligations`) as absolute moments.

Deadlines are business dates: one passes at the end of its due date in China Standard Time, the
moment the next day begins. Workflows keep absolute dates (they survive continue-as-new) and compare
them with `workflow.now()`; nothing here reads a clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from pydantic import BaseModel

from branchflow.domain.case import ObligationView
from branchflow.domain.obligations import Obligation
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.domain.rules import Stage
from branchflow.workflows.case_state import CaseState

BUSINESS_TZ = timezone(timedelta(hours=8), "CST")  # China Standard Time has no daylight saving


def day_begins(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ)


def passes_at(due_on: date) -> datetime:
    """A deadline is met on its due date; it has passed when the next day begins."""
    return day_begins(due_on + timedelta(days=1))


def business_date(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


def key(obligation: ObligationView) -> str:
    """The domain's name for one deadline (a moved due date is a new deadline)."""
    return Obligation(obligation.rule, obligation.due_on, obligation.subject).key


def pending(view: CaseState, subject: str) -> list[ObligationView]:
    """Deadlines not yet escalated, of one person (`subject`) or of the organization (`subject=""`)."""
    return [o for o in view.obligations if o.due_on is not None and not o.overdue and o.subject == subject]


def first_passing(obligations: list[ObligationView]) -> datetime | None:
    return min((passes_at(o.due_on) for o in obligations if o.due_on is not None), default=None)


def reminder_key(obligation: ObligationView, on: date) -> str:
    return f"remind:{on.isoformat()}:{key(obligation)}"


def reminders(view: CaseState, done: list[str] | set[str]) -> list[tuple[ObligationView, date]]:
    """The reminders of the case's deadlines not yet recorded; one rings when its day begins."""
    return [(o, on) for o in view.obligations if not o.overdue for on in o.reminders
            if reminder_key(o, on) not in done]


def tracked_people(view: CaseState) -> list[str]:
    """People whose development runs in a child workflow: candidates, and members on probation here."""
    if view.stage is Stage.CLOSED:
        return []
    people = [c.id for c in view.candidates]
    people += [m.id for m in view.members if m.status is MemberStatus.PROBATIONARY and m.probation_ends_on]
    return people


class PersonSchedule(BaseModel):
    """What a person's development workflow waits for: their deadlines and the day their next step opens."""

    organization_id: str
    person_id: str
    deadlines: list[ObligationView] = []
    opens_on: date | None = None  # a step opens that day (after the year of cultivation or of probation)


def person_schedule(view: CaseState, as_of: date, person_id: str) -> PersonSchedule:
    opens: date | None = None
    for c in view.candidates:
        if c.id == person_id and c.stage is DevelopmentStage.ACTIVIST:
            opens = c.next_due_on  # the day the activist may become a development target
    for m in view.members:
        if m.id == person_id and m.status is MemberStatus.PROBATIONARY:
            opens = m.probation_ends_on  # the day the branch may vote on conversion
    return PersonSchedule(
        organization_id=str(view.id), person_id=person_id, deadlines=pending(view, person_id),
        opens_on=opens if opens is not None and opens > as_of else None,
    )


def opening_key(day: date) -> str:
    return f"opens:{day.isoformat()}"


def opening_day(report_key: str) -> date | None:
    prefix, _, day = report_key.partition(":")
    return date.fromisoformat(day) if prefix == "opens" else None
