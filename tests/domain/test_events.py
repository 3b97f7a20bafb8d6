"""Every verb of the aggregate records its past-tense event, stamped with who, when (business date) and why."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from eventsourcing.domain import AggregateEvent

from branchflow.domain.organization import Organization

from .every_event import VERBS, S


def stamped_event_names() -> set[str]:
    """The event classes of the aggregate that carry a Stamp: all of its own events."""
    return {
        name for name in dir(Organization)
        if isinstance(value := getattr(Organization, name), type) and issubclass(value, AggregateEvent)
        and "stamp" in {f.name for f in dataclasses.fields(value)}
    }


def test_every_event_type_is_tested_here() -> None:
    assert stamped_event_names() == set(VERBS)


@pytest.mark.parametrize("name", sorted(VERBS))
def test_the_verb_records_its_event_with_the_stamp(name: str) -> None:
    org = VERBS[name]()
    event = org.pending_events[-1]
    assert type(event).__name__ == name
    assert event.stamp == S  # type: ignore[attr-defined]
    assert (event.stamp.actor, event.stamp.occurred_on, event.stamp.reason) == (  # type: ignore[attr-defined]
        "organizer-7", date(2025, 4, 1), "the reason given")
    assert isinstance(event.timestamp, datetime) and event.timestamp.tzinfo is not None
    assert event.originator_id == org.id and event.originator_version == org.version


@pytest.mark.parametrize("name", sorted(VERBS))
def test_the_events_replayed_give_the_same_aggregate(name: str) -> None:
    org = VERBS[name]()
    copy = None
    for event in org.collect_events():
        copy = event.mutate(copy)
    assert copy is not None and vars(copy) == vars(org)
