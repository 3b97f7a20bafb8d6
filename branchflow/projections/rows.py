"""What one case puts into the read models, derived from the Organization aggregate by the domain's own rules.

No rule of domain.md is restated here: stage, method, coverage, blank spot and overdue come from
`branchflow.domain.rules` / `obligations` / `case`; this module only copies and counts.
What the rows add to the summaries is counted in SQL from the stored rows (`summaries`), so that what a
row once added is exactly what is taken away when it changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from branchflow.domain.case import party_org_name
from branchflow.domain.formation_table import COLUMNS as TABLE_COLUMNS
from branchflow.domain.formation_table import FormationCounts, formation_counts
from branchflow.domain.funnel import development_funnel, encoded
from branchflow.domain.obligations import Obligation, coverage_obligations, is_blank_spot, obligations, overdue
from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.rules import (
    Thresholds,
    formed,
    method,
    organization_covered,
    party_org_type,
    stage,
    work_covered,
)
from branchflow.domain.work_queue import queue_entries
from branchflow.projections import schema


@dataclass(frozen=True)
class CaseRow:
    """A row of `cases` (same columns, same order)."""

    id: UUID
    name: str
    credit_code: str | None
    kind: str
    subtype: str
    registered: bool
    region_code: str
    industry: str
    employees: int
    above_scale: bool
    founded_on: date
    founded_year: int
    superior_party_org: str | None
    owner_is_member: bool
    registered_on: date
    closed_on: date | None
    stage: str
    method: str | None
    formed: bool
    organization_covered: bool
    work_covered: bool
    blank_spot: bool
    overdue: bool
    party_org_type: str | None
    party_org_name: str | None
    joint_branch_id: str | None
    instructor: str | None
    affiliation: str | None
    formal_members: int
    probationary_members: int
    version: int
    modified_at: datetime
    responsible_committee: str | None
    term_ends_on: date | None  # the elected committee's or secretary's (own or joint branch)
    funnel: str  # the development funnel's part of the case (`funnel.encoded`), '' when nobody is in it
    counts: FormationCounts  # the table's columns (`table_` + name), last: what the case adds to each


@dataclass(frozen=True)
class MemberRow:
    """A present party member of an open case (closed organizations' members are out of the statistics)."""

    case_id: UUID
    member_id: str
    region_code: str
    gender: str
    birth_date: date
    education: str
    status: str
    relation_transferred: bool


@dataclass(frozen=True)
class QueueRow:
    """A row of `work_queue`: one open obligation of the case, with the case's name and region beside it."""

    case_id: UUID
    rule: str
    subject: str
    subject_name: str
    due_on: date | None
    escalated: bool
    region_code: str
    name: str
    detail: str
    actions: str


CASE_FIELDS: Final = tuple(f.name for f in fields(CaseRow))[:-1]  # then the counts, one column each
MEMBER_FIELDS: Final = tuple(f.name for f in fields(MemberRow))
# The rows are the tables' columns in the tables' order (binary COPY writes them by position).
assert tuple(name for name, _, _ in schema.CASE_COLUMNS) == CASE_FIELDS + tuple(f"table_{c}" for c in TABLE_COLUMNS)
assert tuple(name for name, _, _ in schema.MEMBER_COLUMNS) == MEMBER_FIELDS
assert tuple(name for name, _, _ in schema.WORK_QUEUE_COLUMNS) == tuple(f.name for f in fields(QueueRow))


def case_row(org: Organization, t: Thresholds, *, standing: Sequence[Obligation] | None = None) -> CaseRow:
    """`standing`: the case's `obligations(org, t)` when the caller derives them for its queue rows too; else
    its coverage obligations are derived once here for the blank spot and the counts (the three used to derive
    them each: BENCHMARKS.md "Catch-up after the periods")."""
    coverage = coverage_obligations(org, t) if standing is None else standing
    present = [m for m in org.members.values() if m.present]
    org_method = method(org)
    org_type = party_org_type(org)
    joint = org.joint_branch
    return CaseRow(
        id=org.id, name=org.name, credit_code=org.credit_code, kind=org.kind, subtype=org.subtype,
        registered=org.registered,
        region_code=org.region_code, industry=org.industry, employees=org.employees, above_scale=org.above_scale,
        founded_on=org.founded_on, founded_year=org.founded_on.year, superior_party_org=org.superior_party_org,
        owner_is_member=org.owner_is_member, registered_on=org.registered_on, closed_on=org.closed_on,
        stage=stage(org).value, method=org_method.value if org_method else None, formed=formed(org),
        organization_covered=organization_covered(org), work_covered=work_covered(org),
        blank_spot=is_blank_spot(org, t, standing=coverage), overdue=bool(overdue(org, t, standing=standing)),
        party_org_type=org_type.value if org_type else None, party_org_name=party_org_name(org),
        joint_branch_id=joint.joint_branch_id if joint is not None and org.closed_on is None else None,
        instructor=org.instructor, affiliation=org.affiliation,
        formal_members=sum(1 for m in present if m.status is MemberStatus.FORMAL),
        probationary_members=sum(1 for m in present if m.status is MemberStatus.PROBATIONARY),
        version=org.version, modified_at=org.modified_on, responsible_committee=org.responsible_committee,
        term_ends_on=elected.term_ends_on if (elected := org.formal_branch or joint) and org.closed_on is None
        else None,
        funnel=encoded(development_funnel(org)),
        counts=formation_counts(org, t, standing=coverage),
    )


def member_rows(org: Organization) -> list[MemberRow]:
    if org.closed_on is not None:
        return []
    return [
        MemberRow(org.id, m.id, org.region_code, m.gender, m.birth_date, str(m.education), m.status.value,
                  m.relation_transferred)
        for m in org.members.values() if m.present
    ]


def queue_rows(org: Organization, t: Thresholds, *, standing: Sequence[Obligation] | None = None) -> list[QueueRow]:
    return [
        QueueRow(org.id, e.rule, e.subject, e.subject_name, e.due_on, e.escalated, org.region_code, org.name, e.detail,
                 " ".join(e.actions))
        for e in queue_entries(org, t, standing=standing)
    ]


def live_rows(org: Organization, t: Thresholds) -> tuple[CaseRow, list[QueueRow]]:
    """The case's row and its work queue's rows, its obligations derived once for both (a third of catch-up's
    busiest thread when each derived them again: BENCHMARKS.md "Catch-up after the periods"). The one caller
    of `standing`: the full list goes to both, so no caller can hand on a part of it."""
    standing = obligations(org, t)
    return case_row(org, t, standing=standing), queue_rows(org, t, standing=standing)


def case_row_from_db(record: dict[str, Any]) -> CaseRow:
    counts = FormationCounts(**{name: record[f"table_{name}"] for name in TABLE_COLUMNS})
    return CaseRow(**{name: record[name] for name in CASE_FIELDS}, counts=counts)


def member_row_from_db(record: dict[str, Any]) -> MemberRow:
    return MemberRow(**{name: record[name] for name in MEMBER_FIELDS})


def values(row: CaseRow | MemberRow | QueueRow) -> tuple[Any, ...]:
    """The row's columns in order: a dataclass's fields (astuple would deep-copy), a case's counts spread."""
    found = tuple(row.__dict__.values())
    if isinstance(row, CaseRow):
        return (*found[:-1], *row.counts.values())
    return found
