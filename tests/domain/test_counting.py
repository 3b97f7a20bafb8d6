"""Counting: formed, organization-covered, work-covered and the formation method (domain.md "Counting")."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from branchflow.domain.actions import next_actions
from branchflow.domain.errors import RuleViolation
from branchflow.domain.obligations import is_blank_spot
from branchflow.domain.organization import Organization
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import (
    SEED_THRESHOLDS,
    Method,
    PartyOrgType,
    formed,
    method,
    organization_covered,
    work_covered,
)

from .cases import DAY, add_members, organization, stamp, with_formal_branch


def standalone() -> Organization:
    return with_formal_branch(organization())


def in_joint_branch() -> Organization:
    org = organization()
    add_members(org, 1)
    org.join_joint_branch(JointBranchMembership("J1", "Joint branch", PartyOrgType.BRANCH, DAY, []), stamp())
    return org


def temporary() -> Organization:
    org = organization(registered=False)
    add_members(org, 3)
    org.establish_temporary_branch("Temporary branch", stamp())
    return org


def affiliated() -> Organization:
    org = organization()
    add_members(org, 1)
    org.affiliate("Village party branch", stamp())
    return org


def dispatched() -> Organization:
    org = organization()
    org.assign_instructor("Instructor Li", stamp())
    return org


def counted(org: Organization) -> tuple[bool, bool, bool, Method | None]:
    return formed(org), organization_covered(org), work_covered(org), method(org)


def test_a_formal_party_organization_of_its_own_is_formed_by_the_standalone_method() -> None:
    assert counted(standalone()) == (True, True, True, Method.STANDALONE)


def test_belonging_to_a_joint_branch_is_formed_by_the_joint_method() -> None:
    assert counted(in_joint_branch()) == (True, True, True, Method.JOINT)


def test_a_temporary_branch_is_organization_coverage_but_not_formed() -> None:
    assert counted(temporary()) == (False, True, True, Method.TEMPORARY)


def test_members_affiliated_to_another_party_organization_are_organization_coverage() -> None:
    assert counted(affiliated()) == (False, True, True, Method.AFFILIATED)


def test_an_instructor_or_liaison_is_work_coverage_only() -> None:
    assert counted(dispatched()) == (False, False, True, Method.DISPATCHED)


def test_an_organization_with_members_and_nothing_else_is_not_covered() -> None:
    org = organization()
    add_members(org, 2)
    assert counted(org) == (False, False, False, None)


@pytest.mark.parametrize("build", [standalone, in_joint_branch, temporary, affiliated, dispatched])
def test_a_closed_case_is_neither_formed_nor_covered(build: Callable[[], Organization]) -> None:
    org = build()
    org.close_case(stamp())
    assert counted(org) == (False, False, False, None)


def test_the_method_names_the_strongest_coverage() -> None:
    org = affiliated()
    org.assign_instructor("Instructor Li", stamp())
    assert method(org) is Method.AFFILIATED
    org.end_affiliation(stamp())
    assert method(org) is Method.DISPATCHED


class TestAffiliation:
    @pytest.mark.parametrize("members", [1, 2])
    def test_affiliation_is_for_organizations_with_only_one_or_two_members(self, members: int) -> None:
        org = organization()
        add_members(org, members, status="probationary", transferred=False)
        org.affiliate("Community party committee", stamp())
        assert org.affiliation == "Community party committee"

    @pytest.mark.parametrize("members", [0, 3])
    def test_affiliation_is_refused_with_no_members_or_three(self, members: int) -> None:
        org = organization()
        add_members(org, members, transferred=False)
        with pytest.raises(RuleViolation) as raised:
            org.affiliate("Community party committee", stamp())
        assert raised.value.rule == "affiliation_needs_one_or_two_members"

    def test_an_organization_already_covered_cannot_affiliate(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            affiliated().affiliate("Another committee", stamp())
        assert raised.value.rule == "already_organized"

    def test_ending_an_affiliation_ends_the_coverage(self) -> None:
        org = affiliated()
        org.end_affiliation(stamp())
        assert not organization_covered(org)

    def test_only_an_affiliation_can_be_ended(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().end_affiliation(stamp())
        assert raised.value.rule == "not_affiliated"


class TestInstructor:
    def test_one_instructor_at_a_time(self) -> None:
        org = dispatched()
        with pytest.raises(RuleViolation) as raised:
            org.assign_instructor("Instructor Zhao", stamp())
        assert raised.value.rule == "instructor_assigned"

    def test_withdrawing_the_instructor_ends_the_work_coverage(self) -> None:
        org = dispatched()
        org.withdraw_instructor(stamp())
        assert org.instructor is None and not work_covered(org)

    def test_only_an_assigned_instructor_can_be_withdrawn(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().withdraw_instructor(stamp())
        assert raised.value.rule == "no_instructor"


class TestNoCaseIsLeftStuck:
    """issue 13 finding 6: where no standalone, joint or temporary branch is possible, affiliation is."""

    def test_affiliation_needs_one_or_two_members_unless_no_branch_is_possible(self) -> None:
        org = organization(employees=120)
        add_members(org, 1)
        add_members(org, 4, status="probationary")
        offered = set(next_actions(org, DAY, SEED_THRESHOLDS))
        assert "affiliate" in offered and not offered & {"request_formal_branch", "establish_temporary_branch"}
        org.affiliate("Community party committee", stamp())
        assert organization_covered(org) and not is_blank_spot(org)

    def test_an_unregistered_organization_with_two_formal_and_one_probationary_member_may_affiliate(self) -> None:
        org = organization(registered=False)
        add_members(org, 2)
        add_members(org, 1, status="probationary")
        assert "affiliate" in next_actions(org, DAY, SEED_THRESHOLDS)

    def test_three_members_who_could_form_a_branch_do_not_affiliate(self) -> None:
        org = organization()
        add_members(org, 3)
        with pytest.raises(RuleViolation) as raised:
            org.affiliate("Community party committee", stamp())
        assert raised.value.rule == "affiliation_needs_one_or_two_members"
