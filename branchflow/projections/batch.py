"""A page of domain events turned into the rows to write, before any transaction (no I/O here).

Each touched case's aggregate comes in as it was before the page (see `writer.CasesView.prepare`); its
events are applied with the library's `event.mutate`, and the rows are derived from the result by `rows`.
Every `SNAPSHOT_EVERY` versions the aggregate's state is taken (`Snapshot.take`, encoded by the
application's mapper) for `case_states`: loading a case then replays fewer than that many events. Encoding
a state costs more than decoding a few events, and states at fixed versions let a rebuild write the very
same rows however the log is cut into pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import CanInitAggregate, OriginatorVersionError
from eventsourcing.utils import resolve_topic
from psycopg.types.json import Jsonb
from pydantic import TypeAdapter

from branchflow.domain.application import history_entry
from branchflow.domain.organization import Organization
from branchflow.domain.rules import Thresholds
from branchflow.projections.rows import (
    CaseRow,
    MemberRow,
    case_row,
    member_rows,
    queue_rows,
    values,
)
from branchflow.projections.schema import region_prefixes

_JSON: Final = TypeAdapter(dict[str, Any])  # the audit data as JSON, as pydantic writes the history's
SNAPSHOT_EVERY: Final = 20


@dataclass
class CaseState:
    """A case as the read models hold it: the aggregate, its row and its members' rows."""

    org: Organization
    row: CaseRow
    members: list[MemberRow]


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


def prepare(
    events: Sequence[tuple[Any, int]], before: Mapping[UUID, CaseState], thresholds: Thresholds,
    encode_state: Callable[[Organization], bytes],
) -> Batch:
    """`events` are (domain event, notification id) pairs in log order; `before` the touched cases that
    exist already. Events of other aggregates (receipts) are passed over."""
    orgs: dict[UUID, Organization] = {}
    audit: dict[UUID, list[tuple[Any, ...]]] = {}
    states: dict[UUID, tuple[UUID, int, bytes]] = {}
    for event, notification_id in events:
        case_id = event.originator_id
        org = orgs.get(case_id)
        if org is None and case_id in before:
            org = before[case_id].org
        elif org is None and not _registers_organization(event):
            continue
        if org is not None and event.originator_version != org.version + 1:
            # Also for a created event of a case that exists: the rows read are not those the page follows.
            raise OriginatorVersionError(event.originator_version, org.version + 1)
        orgs[case_id] = org = event.mutate(org)
        audit.setdefault(case_id, []).append(_audit_values(event, notification_id))
        if org.version % SNAPSHOT_EVERY == 0:
            states[case_id] = (case_id, org.version, encode_state(org))

    batch = Batch()
    for case_id, org in orgs.items():
        old = before.get(case_id)
        row, new_members = case_row(org, thresholds), member_rows(org)
        batch.cases[case_id] = CaseState(org, row, new_members)
        batch.case_values.append(values(row))
        batch.queue_values.extend(map(values, queue_rows(org, thresholds)))
        old_members = old.members if old is not None else []
        if sorted(map(values, old_members)) != sorted(map(values, new_members)):
            batch.members_changed.append(case_id)
            batch.member_values.extend(map(values, new_members))
        batch.audit.extend((*a, row.region_code) for a in audit[case_id])
        batch.regions.update(region_prefixes(row.region_code))
        if old is not None:
            batch.regions.update(region_prefixes(old.row.region_code))
            if old.row.region_code != row.region_code:
                batch.moved.append((row.region_code, case_id))
    batch.state_values = list(states.values())
    return batch


def _registers_organization(event: Any) -> bool:
    """A created event of an Organization opens a case; another new aggregate's events are not a case's."""
    if not isinstance(event, CanInitAggregate):
        return False
    aggregate_class = resolve_topic(event.originator_topic)
    return isinstance(aggregate_class, type) and issubclass(aggregate_class, Organization)


def _audit_values(event: Any, notification_id: int) -> tuple[Any, ...]:
    """The audit row as `GET /organizations/{id}/history` shows it (the domain's `history_entry`);
    the case's region is added when the page is done."""
    entry = history_entry(event)
    return (event.originator_id, entry.sequence, notification_id, entry.type, entry.occurred_on,
            entry.recorded_at, entry.actor, entry.reason, Jsonb(entry.data, dumps=_JSON.dump_json))
