"""The work queue (我的待办, domain.md "What comes due"): a case's obligations as items of an organizer's day.

Each item is one of the case's own `obligations`, with the steps that discharge it and the rule in words.
Nothing here decides what is due: that stays in `obligations`; this module only names who acts and how.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from branchflow.domain.obligations import Obligation, obligations
from branchflow.domain.rules import SEED_THRESHOLDS, Thresholds

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization

# The steps that meet each obligation, the usual one first. A rule missing here is met by no single step
# (the item then names none, and the case page shows what is possible).
DISCHARGED_BY: dict[str, tuple[str, ...]] = {
    "standalone_branch_required": ("request_formal_branch", "approve_formal_branch"),
    "members_need_party_organization": ("establish_temporary_branch", "request_formal_branch", "affiliate",
                                        "approve_formal_branch"),
    "develop_members": ("record_applicant", "assign_instructor", "add_member"),
    "party_organization_required": ("establish_temporary_branch", "request_formal_branch", "affiliate",
                                    "approve_formal_branch", "add_member"),
    "talk_to_applicant": ("talk_to_applicant",),
    "review_activist": ("review_activist",),
    "assign_cultivation_contacts": ("assign_cultivation_contacts",),
    "approve_probationary": ("approve_probationary",),
    "vote_on_conversion": ("convert_to_formal", "extend_probation", "cancel_probation"),
    "approve_formal_branch": ("approve_formal_branch", "reject_formal_branch"),
    "rebuild_or_dissolve_branch": ("add_member", "transfer_in", "dissolve_branch"),
    "adjust_party_organization": ("add_member", "transfer_in", "dissolve_branch"),
    "complete_transfer": ("transfer_in", "transfer_abandoned"),
    "hold_election": ("elect_branch_committee",),
    "file_election_result": ("file_election_result",),
    "form_youth_league": ("form_youth_league",),
    "form_union": ("form_union",),
}

DETAILS: dict[str, str] = {
    "standalone_branch_required": "3 or more transferred-in formal members: set up a party organization of its own",
    "members_need_party_organization": "the organization has party members: it must have a party organization",
    "develop_members": "more than 50 employees and no member: develop members without delay",
    "party_organization_required": "more than 100 employees: a party organization must be set up",
    "talk_to_applicant": "talk to the applicant within one month of the application",
    "review_activist": "review the activist every half year",
    "assign_cultivation_contacts": "name one or two formal members as the activist's cultivation contacts",
    "approve_probationary": "the superior committee approves the admission within 3 months",
    "vote_on_conversion": "probation ends: the branch votes on conversion",
    "approve_formal_branch": "the superior committee replies to the request within one month",
    "rebuild_or_dissolve_branch": "no formal member left: rebuild the party organization or dissolve it",
    "adjust_party_organization": "one or two formal members left: adjust (joint branch, affiliation, new members)",
    "complete_transfer": "the member's organizational relation is still to be transferred in",
    "hold_election": "the term ends: elect the committee or secretary",
    "file_election_result": "the election's result goes on file with the superior committee",
    "form_youth_league": "a party organization of its own: set up the Youth League alongside",
    "form_union": "a party organization of its own: set up the union alongside",
}


@dataclass(frozen=True)
class QueueEntry:
    """One open obligation of a case, as the work queue lists it."""

    organization_id: UUID
    rule: str
    subject: str  # the person it is about, empty for the organization
    subject_name: str
    due_on: date | None
    escalated: bool  # the workflow recorded it passed unmet
    detail: str
    actions: tuple[str, ...]


def person_name(org: Organization, subject: str) -> str:
    person = org.members.get(subject) or org.candidates.get(subject) if subject else None
    return person.name if person is not None else ""


def detail(org: Organization, rule: str, subject: str) -> str:
    words = DETAILS.get(rule, rule.replace("_", " "))
    return f"{words}: {name} ({subject})" if (name := person_name(org, subject)) else words


def queue_entries(org: Organization, t: Thresholds = SEED_THRESHOLDS, *,
                  standing: Sequence[Obligation] | None = None) -> list[QueueEntry]:
    """The case's obligations (`standing`, when the caller has them already), each with the steps that
    discharge it and are open to the case."""
    from branchflow.domain.actions import ACTIONS  # actions imports the aggregate, which imports obligations

    found = []
    for o in obligations(org, t) if standing is None else standing:
        # A step that waits for a date (conversion after the year of probation) is open on the due date.
        on = o.due_on or org.modified_on.date()
        steps = tuple(a for a in DISCHARGED_BY.get(o.rule, ()) if a in ACTIONS and ACTIONS[a].available(org, on, t))
        found.append(QueueEntry(org.id, o.rule, o.subject, person_name(org, o.subject), o.due_on,
                                o.key in org.escalations, detail(org, o.rule, o.subject), steps))
    return found


def is_overdue(entry: QueueEntry, today: date) -> bool:
    """Escalated by the case's workflow, or past its due date already (the workflow may lag behind)."""
    return entry.escalated or (entry.due_on is not None and entry.due_on < today)
