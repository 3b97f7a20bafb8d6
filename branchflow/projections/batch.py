"""A page of domain events turned into the rows to write, before any transaction (no I/O here).

Each touched case's aggregate comes in as it was before the page (see `writer.CasesView.prepare`); its
events are applied with the library's `event.mutate`, and the rows are derived from the result by `rows`.
Every `SNAPSHOT_EVERY` versions the aggregate's state is taken (`Snapshot.take`, encoded by the
application's mapper) for `case_states`: loading a case then replays fewer than that many events. Encoding
a state costs more than decoding a few events, and states at fixed versions let a rebuild write the very
same rows however the log is cut into pages.

Each touched case's periods (`case_periods`, `member_periods`: its rows as of every business date) are
written anew from the first day the page changes: a page whose events come in date order after the case's
open period (`domain.as_of.extends`, the usual step dated today) splits that period at each new date, with
the rows of the aggregate as each date's events leave it; any other (a backdated step, a correction of an
earlier fact) recomputes all the case's periods from its whole history (`histories`, read by the writer),
by `domain.as_of.states_by_date`. A member's rows that stay the same across dates are one period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import CanInitAggregate, OriginatorVersionError
from eventsourcing.utils import resolve_topic
from psycopg.types.json import Jsonb
from pydantic import TypeAdapter

from branchflow.domain.application import history_entry
from branchflow.domain.as_of import business_date, effective_dates, extends, states_by_date
from branchflow.domain.id_numbers import masked_in
from branchflow.domain.organization import Organization
from branchflow.domain.rules import Thresholds
from branchflow.projections.rows import (
    CaseRow,
    MemberRow,
    case_row,
    live_rows,
    member_rows,
    values,
)
from branchflow.projections.schema import OPEN, region_prefixes

_JSON: Final = TypeAdapter(dict[str, Any])  # the audit data as JSON, as pydantic writes the history's
SNAPSHOT_EVERY: Final = 20


@dataclass
class CaseState:
    """A case as the read models hold it: the aggregate, its row and its members' rows."""

    org: Organization
    row: CaseRow
    members: list[MemberRow]
    since: date | None  # the first business date these rows hold (their open period's); None: no periods yet
    member_since: dict[str, date] = field(default_factory=dict)  # each member's open period's first date


# The rows as of one business date on: the case's and its present members'.
Dated = tuple[date, CaseRow, list[MemberRow]]


@dataclass
class Batch:
    cases: dict[UUID, CaseState] = field(default_factory=dict)  # every touched case, as it is after the page
    case_values: list[tuple[Any, ...]] = field(default_factory=list)  # rows of `cases`
    state_values: list[tuple[UUID, int, bytes]] = field(default_factory=list)  # new rows of `case_states`
    member_values: list[tuple[Any, ...]] = field(default_factory=list)  # new rows of `members`...
    members_changed: list[UUID] = field(default_factory=list)  # ...replacing those of these cases
    audit: list[tuple[Any, ...]] = field(default_factory=list)  # rows of `audit`
    queue_values: list[tuple[Any, ...]] = field(default_factory=list)  # rows of `work_queue` of every touched case
    moved: list[tuple[str, UUID]] = field(default_factory=list)  # (new region, case): the trail follows
    regions: set[str] = field(default_factory=set)  # regions whose summary rows may have emptied
    # Periods: a case's (and its members') that hold after a date (date.min: all) are replaced by these.
    periods_after: list[tuple[UUID, date]] = field(default_factory=list)
    period_values: list[tuple[Any, ...]] = field(default_factory=list)
    member_period_values: list[tuple[Any, ...]] = field(default_factory=list)


def prepare(
    events: Sequence[tuple[Any, int]], before: Mapping[UUID, CaseState], thresholds: Thresholds,
    encode_state: Callable[[Organization], bytes], histories: Mapping[UUID, Sequence[Any]] | None = None,
) -> Batch:
    """`events` are (domain event, notification id) pairs in log order; `before` the touched cases that
    exist already; `histories` the earlier events of those whose periods are recomputed (see above).
    Events of other aggregates (receipts) are passed over."""
    histories = histories or {}
    by_case: dict[UUID, list[tuple[Any, int]]] = {}
    for event, notification_id in events:
        by_case.setdefault(event.originator_id, []).append((event, notification_id))
    batch = Batch()
    for case_id, case_events in by_case.items():
        old = before.get(case_id)
        org = old.org if old is not None else None
        # A new case whose events come in date order is one pass too: each date's rows as its events leave it.
        extended = case_id not in histories and (extends(old.since, [e for e, _ in case_events]) if old is not None
                                                 else _in_date_order(case_events))
        if old is not None and case_id not in histories and not extended:
            raise ValueError(f"the periods of case {case_id} need its history")  # see `needs_history`
        audit: list[tuple[Any, ...]] = []
        dated: list[Dated] = []
        page: list[Any] = []
        snapshot: tuple[UUID, int, bytes] | None = None  # the batch's latest: `case_states` has one row a case
        fresh = _replayed_new_case(case_events, thresholds) if old is None and not extended else None
        if fresh is not None:
            # A new case whose dates replay it anyway, short of a snapshot: its last state is the live one.
            org, dated = fresh
            page = [e for e, _ in case_events]
            audit = [_audit_values(e, n) for e, n in case_events]
        for i, (event, notification_id) in enumerate(case_events if fresh is None else []):
            if org is None and not _registers_organization(event):
                continue
            if org is not None and event.originator_version != org.version + 1:
                # Also for a created event of a case that exists: the rows read are not those the page follows.
                raise OriginatorVersionError(event.originator_version, org.version + 1)
            org = event.mutate(org)
            page.append(event)
            audit.append(_audit_values(event, notification_id))
            if org.version % SNAPSHOT_EVERY == 0:
                snapshot = (case_id, org.version, encode_state(org))
            day = business_date(event)
            if extended and i + 1 < len(case_events) and business_date(case_events[i + 1][0]) > day:
                dated.append((day, case_row(org, thresholds), member_rows(org)))
        if org is None:
            continue
        live_row, live_queue = live_rows(org, thresholds)
        if extended:  # the last date's row is the live state's
            dated.append((business_date(case_events[-1][0]), live_row, member_rows(org)))
        if snapshot is not None:
            batch.state_values.append(snapshot)
        if extended or fresh is not None:
            row, new_members = dated[-1][1], dated[-1][2]
        else:
            row, new_members = live_row, member_rows(org)
            dated = [(day, case_row(then, thresholds), member_rows(then))
                     for day, then in states_by_date([*histories.get(case_id, ()), *page])]
        state = CaseState(org, row, new_members, dated[-1][0] if dated else None)
        batch.cases[case_id] = state
        batch.case_values.append(values(row))
        batch.queue_values.extend(map(values, live_queue))
        old_members = old.members if old is not None else []
        if sorted(map(values, old_members)) != sorted(map(values, new_members)):
            batch.members_changed.append(case_id)
            batch.member_values.extend(map(values, new_members))
        batch.audit.extend((*a, row.region_code) for a in audit)
        batch.regions.update(region_prefixes(row.region_code))
        if old is not None:
            batch.regions.update(region_prefixes(old.row.region_code))
            if old.row.region_code != row.region_code:
                batch.moved.append((row.region_code, case_id))
        _add_periods(batch, state, dated, old if extended else None, replace=old is not None)
    return batch


def _replayed_new_case(case_events: list[tuple[Any, int]], thresholds: Thresholds
                       ) -> tuple[Organization, list[Dated]] | None:
    """A new case's rows per business date and its state after them all, from one `states_by_date` pass;
    None when the live state must be built apart: events not from the registration on, a snapshot's
    version among them, or an event no date keeps."""
    events = [e for e, _ in case_events]
    if (len(events) >= SNAPSHOT_EVERY or not _registers_organization(events[0])
            or [e.originator_version for e in events] != list(range(1, len(events) + 1))
            or None in effective_dates(events)):
        return None
    dated: list[Dated] = []
    last: Organization | None = None
    for day, then in states_by_date(events):
        dated.append((day, case_row(then, thresholds), member_rows(then)))
        last = then
    return (last, dated) if last is not None else None


def _in_date_order(case_events: list[tuple[Any, int]]) -> bool:
    """A new case's events from its registration on, none a correction, none dated before an earlier one:
    `states_by_date` would apply them in their order, each date's state after its last event (so the
    per-event pass gives the same periods, and the snapshots at their versions besides, in one replay instead
    of two: BENCHMARKS.md "Catch-up after the periods")."""
    events = [e for e, _ in case_events]
    return (_registers_organization(events[0]) and events[0].originator_version == 1
            and [e.originator_version for e in events] == list(range(1, len(events) + 1))
            and extends(business_date(events[0]), events))


def needs_history(events: Sequence[tuple[Any, int]], before: Mapping[UUID, CaseState]) -> list[UUID]:
    """The cases of `before` whose periods the page's events recompute from the whole history."""
    by_case: dict[UUID, list[Any]] = {}
    for event, _ in events:
        if event.originator_id in before:
            by_case.setdefault(event.originator_id, []).append(event)
    return [i for i, found in by_case.items() if not extends(before[i].since, found)]


def _add_periods(batch: Batch, state: CaseState, dated: list[Dated], old: CaseState | None, replace: bool) -> None:
    """The case's periods after `old.since` (`old`: its open period, which the new dates split), or all of
    them; `state.member_since` gets the members' open periods' first dates."""
    case_id = state.org.id
    current: dict[str, tuple[date, MemberRow]] = {}  # each member's period under way: since when, which row
    if old is not None and old.since is not None:
        if dated[0][0] > old.since:
            dated = [(old.since, old.row, old.members), *dated]
        batch.periods_after.append((case_id, old.since))
        current = {m.member_id: (old.member_since.get(m.member_id, old.since), m) for m in old.members}
    elif replace:
        batch.periods_after.append((case_id, date.min))
    untils = [d for d, _, _ in dated[1:]] + [OPEN]
    for (since, row, members), until in zip(dated, untils, strict=True):
        batch.period_values.append((*values(row), since, until))
        present = {m.member_id: m for m in members}
        for member_id, (started, was) in list(current.items()):
            if present.get(member_id) != was:  # changed or gone: its period ends (an empty one just goes)
                del current[member_id]
                if started < since:
                    batch.member_period_values.append((*values(was), started, since))
        for member_id, m in present.items():
            current.setdefault(member_id, (since, m))
    batch.member_period_values.extend((*values(m), started, OPEN) for started, m in current.values())
    state.member_since = {member_id: started for member_id, (started, _) in current.items()}


def _registers_organization(event: Any) -> bool:
    """A created event of an Organization opens a case; another new aggregate's events are not a case's."""
    if not isinstance(event, CanInitAggregate):
        return False
    aggregate_class = resolve_topic(event.originator_topic)
    return isinstance(aggregate_class, type) and issubclass(aggregate_class, Organization)


def _audit_values(event: Any, notification_id: int) -> tuple[Any, ...]:
    """The audit row as `GET /organizations/{id}/history` shows it (the domain's `history_entry`), ID numbers
    masked (the audit trail lists many cases); the case's region is added when the page is done."""
    entry = history_entry(event)
    return (event.originator_id, entry.sequence, notification_id, entry.type, entry.occurred_on,
            entry.recorded_at, entry.actor, entry.reason, Jsonb(masked_in(entry.data), dumps=_JSON.dump_json))
