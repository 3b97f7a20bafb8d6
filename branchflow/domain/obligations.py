"""Coverage obligations and deadlines (domain.md "Coverage obligations" and member development)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from branchflow.domain import development
from branchflow.domain.calendar import add_months, year_end
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.domain.rules import (
    SEED_THRESHOLDS,
    Thresholds,
    branch_members,
    development_under_way,
    organization_covered,
    present_members,
)

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization

FORMAL_REPLY_WITHIN_MONTHS = 1  # the superior committee replies to a request generally within one month

# The obligations that make an uncovered organization a blank spot (空白点).
BLANK_SPOT_RULES = frozenset({"members_need_party_organization", "develop_members", "party_organization_required"})


@dataclass(frozen=True)
class Obligation:
    rule: str
    due_on: date | None
    subject: str = ""  # the person the obligation is about, empty for the organization

    @property
    def key(self) -> str:
        """Names one deadline: a moved due date (an extended probation) is a new deadline."""
        return f"{self.rule}:{self.subject}:{self.due_on}"


def formation_due_on(org: Organization) -> date:
    """New organizations meeting the conditions form within their founding year (31 December).

    The seed speaks of organizations founded in the year; one entered in the ledger after its founding year
    gets the end of the year it was entered, so that no case starts out overdue.
    """
    return year_end(max(org.founded_on.year, org.registered_on.year))


def coverage_obligations(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> list[Obligation]:
    if org.closed_on is not None:
        return []
    due = formation_due_on(org)
    found: list[Obligation] = []
    # 3 or more transferred-in formal members must have an organization of their own; an unregistered
    # organization may stay with its temporary branch.
    if (org.formal_branch is None and branch_members(org) >= t.branch_members
            and (org.registered or not organization_covered(org))):
        found.append(Obligation("standalone_branch_required", due))
    if organization_covered(org):
        return found
    if present_members(org) > 0:  # every organization with members must have a party organization
        found.append(Obligation("members_need_party_organization", due))
    elif org.employees > t.develop_members_employees and not development_under_way(org):
        found.append(Obligation("develop_members", None))  # "without delay": no date to wait for
    if org.employees > t.party_organization_employees:
        found.append(Obligation("party_organization_required", due))
    return found


def development_obligations(org: Organization) -> list[Obligation]:
    if org.closed_on is not None:
        return []
    found: list[Obligation] = []
    for c in org.candidates.values():
        if not c.in_development:
            continue
        if c.stage is DevelopmentStage.APPLICANT and c.talked_on is None:
            found.append(Obligation("talk_to_applicant", add_months(c.applied_on, development.TALK_WITHIN_MONTHS),
                                    c.id))
        elif c.stage is DevelopmentStage.ACTIVIST and c.activist_on is not None:
            last = c.last_reviewed_on or c.activist_on
            found.append(Obligation("review_activist", add_months(last, development.ACTIVIST_REVIEW_MONTHS), c.id))
        elif c.stage is DevelopmentStage.AWAITING_APPROVAL:
            found.append(Obligation("approve_probationary", development.approval_due_on(c), c.id))
    for m in org.members.values():
        if m.present and m.status is MemberStatus.PROBATIONARY and m.probation_ends_on is not None:
            found.append(Obligation("vote_on_conversion", m.probation_ends_on, m.id))
    if org.formal_request is not None:
        found.append(Obligation(
            "approve_formal_branch", add_months(org.formal_request.requested_on, FORMAL_REPLY_WITHIN_MONTHS)
        ))
    return found


def obligations(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> list[Obligation]:
    return coverage_obligations(org, t) + development_obligations(org)


def is_blank_spot(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> bool:
    """空白点: an obligation says the organization must be covered, and it is not."""
    return any(o.rule in BLANK_SPOT_RULES for o in coverage_obligations(org, t))


def overdue(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> list[Obligation]:
    """Escalated deadlines whose obligation still stands: met ones drop out without another event."""
    return [o for o in obligations(org, t) if o.key in org.escalations]


def next_deadline(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> Obligation | None:
    pending = [o for o in obligations(org, t) if o.due_on is not None and o.key not in org.escalations]
    return min(pending, key=lambda o: (o.due_on, o.key)) if pending else None
