"""What one organization adds to the statistics table organizers fill in (建立党的基层组织情况, domain.md).

Every column is counted here, by the domain's own rules, per organization; a report only adds these up
(by kind and subtype, by committee, for any region and date), so no rule is stated a second time in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict

from branchflow.domain.actions import FIVE_GOODS, TEN_HAVES
from branchflow.domain.obligations import Obligation, coverage_obligations
from branchflow.domain.people import MemberStatus
from branchflow.domain.rules import (
    SEED_THRESHOLDS,
    Method,
    PartyOrgType,
    Thresholds,
    method,
    organization_covered,
    party_org_type,
)

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization

# The obligations to have a party organization (domain.md's table: members without one, 3 or more formal
# members, over 100 employees); `develop_members` asks for members, not for an organization.
PARTY_ORGANIZATION_RULES: Final = frozenset(
    {"members_need_party_organization", "standalone_branch_required", "party_organization_required"})


class FormationCounts(BaseModel):
    """One organization's contribution to each column of the table (0 or 1, or a number of people): the
    columns' one definition (the report's rows, `TableRow`, are these plus their keys)."""

    model_config = ConfigDict(frozen=True)

    organizations: int = 0
    committee: int = 0
    general_branch: int = 0
    branch: int = 0
    joint_organizations: int = 0
    temporary: int = 0
    affiliated: int = 0
    should_have_none: int = 0
    should_have_none_3_plus: int = 0
    should_have_none_1_2: int = 0
    should_have_none_no_members: int = 0
    instructor: int = 0
    employees: int = 0
    members: int = 0
    members_not_transferred: int = 0
    youth_league: int = 0
    five_goods: int = 0
    ten_haves_complete: int = 0

    def values(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in COLUMNS)


COLUMNS: Final = tuple(FormationCounts.model_fields)
NOTHING: Final = FormationCounts()  # a closed organization counts in no column


def should_have_party_organization(org: Organization, t: Thresholds = SEED_THRESHOLDS, *,
                                   standing: Sequence[Obligation] | None = None) -> bool:
    """应建未建: under an obligation to have a party organization and not organization-covered.

    `standing`: the case's `obligations` or its `coverage_obligations` (these rules are among them) when the
    caller has them already."""
    return not organization_covered(org) and any(
        o.rule in PARTY_ORGANIZATION_RULES for o in (coverage_obligations(org, t) if standing is None else standing))


def formation_counts(org: Organization, t: Thresholds = SEED_THRESHOLDS, *,
                     standing: Sequence[Obligation] | None = None) -> FormationCounts:
    """`standing`: as for `should_have_party_organization`."""
    if org.closed_on is not None:
        return NOTHING
    present = [m for m in org.members.values() if m.present]
    formal = sum(1 for m in present if m.status is MemberStatus.FORMAL)
    own = method(org)
    own_type = party_org_type(org) if own is Method.STANDALONE else None
    uncovered = should_have_party_organization(org, t, standing=standing)
    # A rating or check describes a party organization that still exists: a dissolved one's counts no more.
    covered = organization_covered(org)
    return FormationCounts(
        organizations=1,
        committee=int(own_type is PartyOrgType.COMMITTEE),
        general_branch=int(own_type is PartyOrgType.GENERAL_BRANCH),
        branch=int(own_type is PartyOrgType.BRANCH),
        joint_organizations=int(own is Method.JOINT),
        temporary=int(own is Method.TEMPORARY),
        affiliated=int(own is Method.AFFILIATED),
        should_have_none=int(uncovered),
        # The three parts add up to the whole: three or more formal members present; no member at all; and
        # in between, members of whom fewer than three are formal (the form's "one or two members").
        should_have_none_3_plus=int(uncovered and formal >= t.branch_members),
        should_have_none_1_2=int(uncovered and len(present) > 0 and formal < t.branch_members),
        should_have_none_no_members=int(uncovered and not present),
        instructor=int(org.instructor is not None),
        employees=org.employees,
        members=len(present),
        members_not_transferred=sum(1 for m in present if not m.relation_transferred),
        youth_league=int(org.youth_league_formed_on is not None),
        five_goods=int(covered and org.five_goods is not None and all(org.five_goods.get(k) for k in FIVE_GOODS)),
        ten_haves_complete=int(covered and org.ten_haves is not None
                               and all(org.ten_haves.get(k) for k in TEN_HAVES)),
    )
