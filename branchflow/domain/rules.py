"""The formation path's rules as plain functions over an Organization's state (domain.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING

from branchflow.domain.errors import RuleViolation

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization


@dataclass(frozen=True)
class Thresholds:
    """The seed's numbers; other jurisdictions set their own."""

    branch_members: int = 3  # 3 or more formal members must set up a party organization of their own
    develop_members_employees: int = 50  # more than 50 employees and no members: develop members
    party_organization_employees: int = 100  # more than 100 employees: a party organization must be set up
    joint_branch_max_organizations: int = 5  # a joint branch generally spans at most 5 organizations
    affiliate_max_members: int = 2  # only one or two members: affiliate to a nearby party organization
    obligation_notice_months: int = 3  # an obligation arising after the founding year is due no sooner
    transfer_due_months: int = 3  # a requested transfer of a member's relation is reminded and escalated after
    youth_league_within_months: int = 6  # 党建带团建: the Youth League set up within this of the approval
    # The union (工会) alongside as well, where a jurisdiction asks for it: within this of the approval; 0 (the
    # seed's) asks for none.
    union_within_months: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            # Employee thresholds are "more than N" (0 is meaningful); the counts need at least one (two).
            least = 0 if f.name.endswith("_employees") or f.name == "union_within_months" else \
                2 if f.name.startswith("joint_") else 1
            if not isinstance(value, int) or value < least:
                raise ValueError(f"threshold {f.name} must be an integer of at least {least}, got {value!r}")


SEED_THRESHOLDS = Thresholds()


class Stage(StrEnum):
    NO_MEMBERS = "NO_MEMBERS"
    DEVELOPING_MEMBERS = "DEVELOPING_MEMBERS"
    TEMPORARY_BRANCH = "TEMPORARY_BRANCH"
    FORMAL_BRANCH = "FORMAL_BRANCH"
    CLOSED = "CLOSED"


class Method(StrEnum):
    STANDALONE = "standalone"  # 单独组建
    JOINT = "joint"  # 联合组建
    AFFILIATED = "affiliated"  # 挂靠组建
    TEMPORARY = "temporary"  # 临时组建
    DISPATCHED = "dispatched"  # 派驻组建


class PartyOrgType(StrEnum):
    BRANCH = "branch"  # 党支部
    GENERAL_BRANCH = "general_branch"  # 党总支
    COMMITTEE = "committee"  # 基层党委


def branch_members(org: Organization) -> int:
    """Formal members whose organizational relation is in this organization."""
    return sum(1 for m in org.members.values() if m.counts_for_branch)


def members_here(org: Organization) -> int:
    """Members present whose relation is here, formal and probationary: the count behind a party organization's
    type (a "member" in the Party's counts includes probationary members)."""
    return sum(1 for m in org.members.values() if m.present and m.relation_transferred)


def present_members(org: Organization) -> int:
    return sum(1 for m in org.members.values() if m.present)


def formal_present(org: Organization) -> int:
    """Formal members present, wherever their relation sits."""
    return sum(1 for m in org.members.values() if m.present and m.status == "formal")


def development_under_way(org: Organization) -> bool:
    return org.instructor is not None or any(c.in_development for c in org.candidates.values())


def formed(org: Organization) -> bool:
    """已组建: a formal party organization of its own with a formal member left, or a joint branch.

    One whose formal members have all left is no longer formed (domain.md "Party organizations that lose
    their members"): it must be rebuilt or dissolved.
    """
    return org.closed_on is None and (
        (org.formal_branch is not None and formal_present(org) > 0)
        or (org.joint_branch is not None and org.joint_branch.formal_members != 0))


def organization_covered(org: Organization) -> bool:
    """组织覆盖: formal or temporary organization, joint branch, or members affiliated elsewhere."""
    return org.closed_on is None and (
        formed(org) or org.temporary_branch is not None or org.affiliation is not None
    )


def work_covered(org: Organization) -> bool:
    """工作覆盖: organization-covered, or an instructor or liaison is assigned."""
    return organization_covered(org) or (org.closed_on is None and org.instructor is not None)


def stage(org: Organization) -> Stage:
    if org.closed_on is not None:
        return Stage.CLOSED
    if formed(org):
        return Stage.FORMAL_BRANCH
    if org.temporary_branch is not None:
        return Stage.TEMPORARY_BRANCH
    if present_members(org) > 0 or development_under_way(org) or org.affiliation is not None:
        return Stage.DEVELOPING_MEMBERS
    return Stage.NO_MEMBERS


def method(org: Organization) -> Method | None:
    """How the organization is covered now, strongest form first."""
    if org.closed_on is not None:
        return None
    if org.formal_branch is not None and formed(org):
        return Method.STANDALONE
    if org.joint_branch is not None and formed(org):
        return Method.JOINT
    if org.temporary_branch is not None:
        return Method.TEMPORARY
    if org.affiliation is not None:
        return Method.AFFILIATED
    if org.instructor is not None:
        return Method.DISPATCHED
    return None


def default_party_org_type(formal_members: int) -> PartyOrgType:
    """A branch has at most 50 members; a general branch roughly 50–100; a committee from 100."""
    if formal_members >= 100:
        return PartyOrgType.COMMITTEE
    if formal_members > 50:
        return PartyOrgType.GENERAL_BRANCH
    return PartyOrgType.BRANCH


def party_org_type(org: Organization) -> PartyOrgType | None:
    if org.closed_on is not None:
        return None
    if org.formal_branch is not None:
        return org.formal_branch.type
    if org.joint_branch is not None:
        return org.joint_branch.type
    return None


def term_years(org_type: PartyOrgType) -> int:
    """Branches and general branches are elected for 3 years, committees for 5."""
    return 5 if org_type is PartyOrgType.COMMITTEE else 3


def violation(rule: str, message: str) -> RuleViolation:
    return RuleViolation(rule, message)


def open_case(org: Organization) -> RuleViolation | None:
    if org.closed_on is not None:
        return violation("case_closed", "the case is closed; a closed case takes no further steps")
    return None


def can_request_formal_branch(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := open_case(org)) is not None:
        return v
    if org.formal_branch is not None:
        return violation("already_formed", "the organization already has a formal party organization of its own")
    if org.formal_request is not None:
        return violation("request_pending", "a formal branch request is already waiting for approval")
    if (n := branch_members(org)) < t.branch_members:
        return violation(
            "standalone_needs_members",
            f"a party organization of its own needs {t.branch_members} or more formal members whose "
            f"organizational relation is in the organization; it has {n} (members whose relation "
            "sits elsewhere do not count)",
        )
    return None


def can_establish_temporary_branch(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := open_case(org)) is not None:
        return v
    if formed(org) or org.temporary_branch is not None:
        return violation("already_organized", "the organization already has a party organization")
    if org.registered and branch_members(org) >= t.branch_members:
        return violation(
            "standalone_required",
            f"a registered organization with {t.branch_members} or more transferred-in formal members must "
            "set up a party organization of its own (单独组建), not a temporary one",
        )
    # A temporary branch still needs 3 formal members present, whatever their relation.
    present_formal = formal_present(org)
    if present_formal < t.branch_members:
        return violation(
            "temporary_needs_members",
            f"a temporary branch needs {t.branch_members} or more formal members working in the "
            f"organization; it has {present_formal}",
        )
    return None


def can_affiliate(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := open_case(org)) is not None:
        return v
    if organization_covered(org):
        return violation("already_organized", "the organization is already organization-covered")
    n = present_members(org)
    if n == 0 or (n > t.affiliate_max_members and branch_possible(org, t)):
        return violation(
            "affiliation_needs_one_or_two_members",
            f"affiliation (挂靠组建) is for organizations with only one or two members, or where no branch of "
            f"its own nor a temporary one is possible; it has {n}",
        )
    return None


def branch_possible(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> bool:
    """A branch of its own (or its pending request) or a temporary branch: otherwise affiliation is open, so
    that no organization with members is left with no formation step (domain.md)."""
    return (org.formal_request is not None or can_request_formal_branch(org, t) is None
            or can_establish_temporary_branch(org, t) is None)


def can_join_joint_branch(org: Organization, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := open_case(org)) is not None:
        return v
    if formed(org) or org.joint_branch is not None:
        return violation("already_formed", "the organization already belongs to a formal party organization")
    # The seed's joint branch gathers organizations with fewer than 3 members, not ones with none: an
    # organization without members would count as formed with nobody in the branch.
    if present_members(org) == 0:
        return violation("joint_needs_members_of_each", f"{org.name} has no party member to bring into a joint branch")
    if (n := branch_members(org)) >= t.branch_members:
        return violation(
            "standalone_required",
            f"{org.name} has {n} transferred-in formal members: it must set up a party organization of "
            "its own (单独组建), not join a joint branch",
        )
    return None


def joint_branch_violation(orgs: Iterable[Organization], t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    """Joint branch (联合组建): neighbours in region (same street) and close in industry, together 3+ members."""
    group = list({org.id: org for org in orgs}.values())  # an organization named twice counts once
    if len(group) < 2:
        return violation("joint_needs_organizations", "a joint branch spans two or more organizations")
    if len(group) > t.joint_branch_max_organizations:
        return violation(
            "joint_too_many_organizations",
            f"a joint branch spans at most {t.joint_branch_max_organizations} organizations; {len(group)} given",
        )
    for org in group:
        if (v := can_join_joint_branch(org, t)) is not None:
            return v
    if len({org.region_code[:9] for org in group}) > 1:
        return violation("joint_not_neighbours", "the organizations of a joint branch must be in the same street")
    if len({org.industry for org in group}) > 1:
        return violation(
            "joint_not_close_in_industry", "the organizations of a joint branch must be in the same industry section"
        )
    if (total := sum(branch_members(org) for org in group)) < t.branch_members:
        return violation(
            "joint_needs_members",
            f"together the organizations need {t.branch_members} or more transferred-in formal members; "
            f"they have {total}",
        )
    return None


def joint_type_violation(orgs: Iterable[Organization], chosen: PartyOrgType, reason: str) -> RuleViolation | None:
    """A joint branch's type defaults by its members like any branch; another type is an exception with a reason."""
    n = sum(members_here(org) for org in {org.id: org for org in orgs}.values())
    if (default := default_party_org_type(n)) != chosen and not reason.strip():
        return violation("type_exception_needs_reason", f"with {n} members whose relation is in its organizations "
                         f"the joint branch is a {default.value} by default; {chosen.value} instead needs a reason")
    return None


def require(v: RuleViolation | None) -> None:
    if v is not None:
        raise v
