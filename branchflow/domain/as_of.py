"""A case as it stood at the end of a business date, as known now (api.md `as_of`).

The case's events are replayed through the aggregate, in the order they were recorded, keeping those whose
business date (`occurred_on`) is on or before the date: what was done later is left out, whenever it was
recorded. A correction is kept whenever it was made if the event it corrects is kept: what is known now
about that day counts, so a headcount corrected in March changes last December's figures.

`states_by_date` gives the same states for every day at once: the case changes only on the business dates
of its events (a correction on that of the event it corrects), so one state per such date, valid until
the next, answers every day (the projections keep them as the case's periods).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from branchflow.domain.organization import Organization


def business_date(event: Any) -> date:
    """The date the event happened on: its stamp's, else (an event without one) the day it was recorded."""
    stamp = getattr(event, "stamp", None)
    day: date = stamp.occurred_on if stamp is not None else event.timestamp.date()
    return day


def case_as_of(events: Iterable[Any], day: date) -> Organization | None:
    """The case at the end of `day` from its events (version order), or None if nothing of it happened yet."""
    events = list(events)
    org: Organization | None = None
    for event, kept_from in zip(events, effective_dates(events), strict=True):
        if kept_from is None or kept_from > day:
            continue
        if org is None and event.originator_version != 1:
            return None  # the registration is not among the events (a history read from a later version)
        if org is not None:
            # The events left out leave gaps in the versions, which the library would refuse.
            org.version = event.originator_version - 1
        org = event.mutate(org)
    return org


def corrected_version(event: Any) -> int | None:
    """The version of the event a correction names (None: the event is no correction)."""
    corrects = getattr(event, "corrects", None)
    return corrects if isinstance(corrects, int) else None


def effective_dates(events: Sequence[Any]) -> list[date | None]:
    """For each event (version order), the first day `case_as_of` keeps it: its business date, or for a
    correction that of the event it corrects (None: it names no earlier event, and is never kept). The
    registration is kept from the case's first business date: a step recorded after it may have happened
    before it (an organization entered today with members since 2016 had them in 2016)."""
    found: dict[int, date | None] = {
        e.originator_version: business_date(e) for e in events if corrected_version(e) is None}
    if events and events[0].originator_version == 1 and found:
        found[1] = min(d for d in found.values() if d is not None)
    for event in events:
        if (corrects := corrected_version(event)) is not None:
            found[event.originator_version] = found.get(corrects) if corrects < event.originator_version else None
    return [found[e.originator_version] for e in events]


def extends(since: date | None, events: Sequence[Any]) -> bool:
    """Whether later events (version order) leave every state before `since` as it was and make the later
    ones from the state of `since` in order: none corrects, none is dated before `since` or an earlier one.
    (Then the states of their days are the states after each day's last event, applied as they come.)"""
    last = since
    for event in events:
        day = business_date(event)
        if last is None or corrected_version(event) is not None or day < last:
            return False
        last = day
    return True


def states_by_date(events: Sequence[Any]) -> Iterator[tuple[date, Organization]]:
    """(day, the case at the end of `day`) for each day the case changes, oldest first; the state holds until
    the next day yielded, and equals `case_as_of(events, d)` for every such d (before the first day: None).
    The organization yielded may be changed afterwards: read what is needed before asking for the next."""
    if not events:
        return
    dates = effective_dates(events)
    registered_on = dates[0]
    if registered_on is None or events[0].originator_version != 1:
        return
    days = sorted({d for d in dates if d is not None})  # the registration's is the first of them
    org: Organization | None = None
    before: date | None = None  # the day yielded last: every event kept by then is applied to `org`
    dated = [(e, d) for e, d in zip(events, dates, strict=True) if d is not None]
    for day in days:
        kept = [(e, d) for e, d in dated if d <= day]
        due = [e for e, d in kept if before is None or d > before]
        if org is not None and due[0].originator_version < org.version:
            # An event of an earlier version joins (a backdated step): the later ones go after it, from the start.
            org, due = None, [e for e, _ in kept]
        for event in due:
            if org is not None:
                org.version = event.originator_version - 1  # events left out leave gaps, as in `case_as_of`
            org = event.mutate(org)
        assert org is not None
        before = day
        yield day, org
