"""Coverage obligations and deadlines (domain.md "Coverage obligations" and member development)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from operator import attrgetter
from typing import TYPE_CHECKING, Final

from branchflow.domain import development
from branchflow.domain.calendar import add_months, year_end
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.domain.rules import (
    SEED_THRESHOLDS,
    Thresholds,
    branch_members,
    development_under_way,
    formal_present,
    formed,
    organization_covered,
    present_members,
)

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization

FORMAL_REPLY_WITHIN_MONTHS = 1  # the superior committee replies to a request generally within one month
REBUILD_WITHIN_MONTHS = 3  # a party organization of its own left with no formal member: rebuild or dissolve
ADJUST_WITHIN_MONTHS = 6  # one left with one or two formal members: adjust (joint, affiliation, new members)
ELECTION_REMINDER_MONTHS = (6, 1)  # a term's end is reminded six months and one month before
FILE_RESULT_WITHIN_MONTHS = 1  # an election's result goes on file with the superior committee within a month

# The obligations that make an uncovered organization a blank spot (空白点).
BLANK_SPOT_RULES = frozenset({"members_need_party_organization", "develop_members", "party_organization_required",
                              "rebuild_or_dissolve_branch"})


@dataclass(frozen=True)
class Obligation:
    rule: str
    due_on: date | None
    subject: str = ""  # the person the obligation is about, empty for the organization
    # Days before (or on) the due date that the case's workflow reminds of it; not part of the deadline's name.
    reminders: tuple[date, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        """Names one deadline: a moved due date (an extended probation) is a new deadline."""
        return f"{self.rule}:{self.subject}:{self.due_on}"


@dataclass(frozen=True)
class Moment:
    """What the coverage obligations look at, as it stood from business date `on` (whatever the thresholds)."""

    on: date
    branch_members: int
    present_members: int
    formal_present: int
    employees: int
    registered: bool
    covered: bool
    own_branch: bool
    development: bool
    # Formal members present in the whole joint branch (None: not in one, or not recounted since it was formed).
    joint_formal: int | None = None

    def same_situation(self, other: Moment) -> bool:
        # One C-level getter for all the fields (`astuple` deep-copies, a loop of getattr was 7 % of a catch-up:
        # this runs on every event applied; BENCHMARKS.md "Catch-up after the periods").
        return _situation(self) == _situation(other)


_SITUATION: Final = tuple(f.name for f in fields(Moment))[1:]  # all but `on`
_situation: Final = attrgetter(*_SITUATION)


def moment_of(org: Organization, on: date) -> Moment:
    return Moment(on, branch_members(org), present_members(org), formal_present(org), org.employees,
                  org.registered, organization_covered(org), org.formal_branch is not None,
                  development_under_way(org), org.joint_branch.formal_members if org.joint_branch else None)


# When each dated coverage obligation holds (develop_members is due "without delay" and has no date).
CONDITIONS: dict[str, Callable[[Moment, Thresholds], bool]] = {
    # 3 or more transferred-in formal members must have an organization of their own; an unregistered
    # organization may stay with its temporary branch.
    "standalone_branch_required": lambda m, t: (not m.own_branch and m.branch_members >= t.branch_members
                                                and (m.registered or not m.covered)),
    # A party organization with no formal member left, its own or a joint branch (together), is rebuilt or
    # dissolved (left); one with one or two is adjusted.
    "rebuild_or_dissolve_branch": lambda m, t: (m.own_branch and m.formal_present == 0) or m.joint_formal == 0,
    "adjust_party_organization": lambda m, t: ((m.own_branch and 0 < m.formal_present < t.branch_members)
                                               or (m.joint_formal is not None
                                                   and 0 < m.joint_formal < t.branch_members)),
    "members_need_party_organization": lambda m, t: not m.covered and m.present_members > 0,
    "party_organization_required": lambda m, t: not m.covered and m.employees > t.party_organization_employees,
}


def arisen_on(org: Organization, rule: str, t: Thresholds = SEED_THRESHOLDS) -> date | None:
    """The business date the obligation's condition last began to hold; None for a case read from a snapshot
    older than these dates (its obligations fall back to the year-end of its founding or entry)."""
    if not org.moments:
        return None
    since = None
    for moment in reversed(org.moments):
        if not CONDITIONS[rule](moment, t):
            break
        since = moment.on
    return since


def due_on(org: Organization, rule: str, t: Thresholds = SEED_THRESHOLDS) -> date:
    """The seed's year-end binds the founding year; an obligation arising later is due at the end of the year
    it arose in, never sooner than `t.obligation_notice_months` after: nothing is overdue the day it arises."""
    arisen = arisen_on(org, rule, t)
    if rule == "rebuild_or_dissolve_branch":
        return add_months(arisen or org.registered_on, REBUILD_WITHIN_MONTHS)
    if rule == "adjust_party_organization":
        return add_months(arisen or org.registered_on, ADJUST_WITHIN_MONTHS)
    if arisen is None:
        return formation_due_on(org)
    if arisen.year == org.founded_on.year:
        return year_end(arisen.year)
    return max(year_end(arisen.year), add_months(arisen, t.obligation_notice_months))


def formation_due_on(org: Organization) -> date:
    """New organizations meeting the conditions form within their founding year (31 December).

    The seed speaks of organizations founded in the year; one entered in the ledger after its founding year
    gets the end of the year of its registration's business date, so that nothing is overdue on the day it is
    entered (domain.md "Dates"). A registration backdated to 2019 is due 2019-12-31: overdue since, as the ledger
    of that time would have shown.
    """
    return year_end(max(org.founded_on.year, org.registered_on.year))


def coverage_obligations(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> list[Obligation]:
    if org.closed_on is not None:
        return []
    now = moment_of(org, org.registered_on)
    found = [Obligation(rule, due_on(org, rule, t)) for rule, holds in CONDITIONS.items() if holds(now, t)]
    if not now.covered and now.present_members == 0 and not now.development \
            and now.employees > t.develop_members_employees:
        found.insert(-1 if found and found[-1].rule == "party_organization_required" else len(found),
                     Obligation("develop_members", None))  # "without delay": no date to wait for
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
            # 《细则》第十二条: the branch reviews every activist each half year (半年考察).
            last = c.last_reviewed_on or c.activist_on
            found.append(Obligation("review_activist", add_months(last, development.ACTIVIST_REVIEW_MONTHS), c.id))
            # An activist without a cultivation contact present; only where the organization has formal
            # members to name (one without any is cultivated by a party organization outside this case).
            if (contacts_due := development.contacts_due_on(c, org.members)) is not None and any(
                    m.present and m.status is MemberStatus.FORMAL for m in org.members.values()):
                found.append(Obligation("assign_cultivation_contacts", contacts_due, c.id))
        elif c.stage is DevelopmentStage.AWAITING_APPROVAL:
            found.append(Obligation("approve_probationary", development.approval_due_on(c), c.id))
    for m in org.members.values():
        if m.present and m.status is MemberStatus.PROBATIONARY:
            found.append(Obligation("vote_on_conversion", development.probation_ends_on(m), m.id))
    if org.formal_request is not None:
        found.append(Obligation(
            "approve_formal_branch", add_months(org.formal_request.requested_on, FORMAL_REPLY_WITHIN_MONTHS)
        ))
    return found


def coming_due(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> list[Obligation]:
    """domain.md "What comes due": transfers under way, terms and their elections, the Youth League (and
    the union where configured)."""
    if org.closed_on is not None:
        return []
    found = []
    for m in org.members.values():
        if m.present and not m.relation_transferred and m.transfer_requested_on is not None:
            due = add_months(m.transfer_requested_on, t.transfer_due_months)
            found.append(Obligation("complete_transfer", due, m.id, reminders=(due,)))
    elected = org.formal_branch or org.joint_branch  # a joint branch elects and has a term like any branch
    # Its officers are formal members present: one with none left (to be rebuilt) owes no election meanwhile.
    if elected is not None and elected.term_ends_on is not None and formed(org):
        end = elected.term_ends_on
        found.append(Obligation("hold_election", end,
                                reminders=tuple(add_months(end, -n) for n in ELECTION_REMINDER_MONTHS)))
    if elected is not None and elected.elected_on is not None and elected.result_filed_on is None:
        found.append(Obligation("file_election_result", add_months(elected.elected_on, FILE_RESULT_WITHIN_MONTHS)))
    # 党建带团建: a standalone one, while formed (one whose members all left is to be rebuilt first, and the
    # step that sets the league up needs a formed party organization)
    alongside = org.formal_branch if org.formal_branch is not None and formed(org) else None
    if alongside is not None and org.youth_league_formed_on is None:
        found.append(Obligation("form_youth_league", add_months(alongside.approved_on, t.youth_league_within_months)))
    if alongside is not None and t.union_within_months and org.union_formed_on is None:  # where configured
        found.append(Obligation("form_union", add_months(alongside.approved_on, t.union_within_months)))
    return found


def obligations(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> list[Obligation]:
    return coverage_obligations(org, t) + development_obligations(org) + coming_due(org, t)


def is_blank_spot(org: Organization, t: Thresholds = SEED_THRESHOLDS, *,
                  standing: Sequence[Obligation] | None = None) -> bool:
    """空白点: an obligation says the organization must be covered, and it is not.

    `standing`: the case's `obligations` (or only its `coverage_obligations`: the blank spot's rules are among
    them) when the caller has them already, so that a read-model row derives them once."""
    return any(o.rule in BLANK_SPOT_RULES for o in (coverage_obligations(org, t) if standing is None else standing))


def overdue(org: Organization, t: Thresholds = SEED_THRESHOLDS, *,
            standing: Sequence[Obligation] | None = None) -> list[Obligation]:
    """Escalated deadlines whose obligation still stands: met ones drop out without another event.

    `standing`: the case's `obligations` (all of them) when the caller has them already."""
    if not org.escalations:  # nothing escalated, nothing overdue: no need to derive what stands
        return []
    return [o for o in (obligations(org, t) if standing is None else standing) if o.key in org.escalations]


def next_deadline(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> Obligation | None:
    pending = [o for o in obligations(org, t) if o.due_on is not None and o.key not in org.escalations]
    return min(pending, key=lambda o: (o.due_on, o.key)) if pending else None
