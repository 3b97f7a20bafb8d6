"""A case as it stood at the end of a business date, as known now (api.md `as_of`).

The case's events are replayed through the aggregate, in the order they were recorded, keeping those whose
business date (`occurred_on`) is on or before the date: what was done later is left out, whenever it was
recorded. A correction is kept whenever it was made if the event it corrects is kept: what is known now
about that day counts, so a headcount corrected in March changes last December's figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from branchflow.domain.organization import Organization


def business_date(event: Any) -> date:
    """The date the event happened on: its stamp's, else (an event without one) the day it was recorded."""
    stamp = getattr(event, "stamp", None)
    day: date = stamp.occurred_on if stamp is not None else event.timestamp.date()
    return day


def case_as_of(events: Iterable[Any], day: date) -> Organization | None:
    """The case at the end of `day` from its events (version order), or None if it was not registered yet."""
    org: Organization | None = None
    kept: set[int] = set()
    for event in events:
        corrects = getattr(event, "corrects", None)
        if not (corrects in kept if isinstance(corrects, int) else business_date(event) <= day):
            continue
        if org is None and event.originator_version != 1:
            return None  # the registration itself lies after the day
        if org is not None:
            # The events left out leave gaps in the versions, which the library would refuse.
            org.version = event.originator_version - 1
        org = event.mutate(org)
        kept.add(event.originator_version)
    return org
