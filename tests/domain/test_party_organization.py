"""Party organization types and terms (Party regulations), and the seed's standardization of a formed one."""

from __future__ import annotations

from datetime import date

import pytest

from branchflow.domain.errors import RuleViolation
from branchflow.domain.organization import Organization
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import PartyOrgType, default_party_org_type, party_org_type, term_years

from .cases import DAY, add_members, organization, stamp, with_formal_branch

SUPERVISOR = "supervisor-1"


def requested(members: int, org_type: PartyOrgType | None = None) -> Organization:
    org = organization(employees=members + 20)
    add_members(org, members)
    org.request_formal_branch("Acme party organization", org_type, stamp())
    return org


class TestDefaultType:
    @pytest.mark.parametrize(
        ("members", "expected"),
        [(3, PartyOrgType.BRANCH), (50, PartyOrgType.BRANCH), (51, PartyOrgType.GENERAL_BRANCH),
         (99, PartyOrgType.GENERAL_BRANCH), (100, PartyOrgType.COMMITTEE), (400, PartyOrgType.COMMITTEE)],
    )
    def test_the_type_defaults_by_member_count(self, members: int, expected: PartyOrgType) -> None:
        # A branch has at most 50 members, a general branch roughly 50–100, a committee from 100.
        assert default_party_org_type(members) is expected

    @pytest.mark.parametrize(
        ("members", "expected"),
        [(50, PartyOrgType.BRANCH), (51, PartyOrgType.GENERAL_BRANCH), (100, PartyOrgType.COMMITTEE)],
    )
    def test_the_type_is_chosen_at_approval_defaulting_by_member_count(
        self, members: int, expected: PartyOrgType
    ) -> None:
        org = requested(members)
        org.approve_formal_branch(None, stamp(actor=SUPERVISOR))
        assert party_org_type(org) is expected

    def test_the_default_counts_formal_and_probationary_members_whose_relation_is_here(self) -> None:
        # issue 13 finding 7: 60 formal + 60 probationary members were typed a general branch. A "member" in
        # the Party's counts includes probationary members; relations elsewhere still do not count.
        org = organization(employees=200)
        add_members(org, 60)
        add_members(org, 60, status="probationary")
        add_members(org, 10, transferred=False)
        org.request_formal_branch("Acme party committee", None, stamp())
        org.approve_formal_branch(None, stamp(actor=SUPERVISOR))
        assert party_org_type(org) is PartyOrgType.COMMITTEE


class TestTypeException:
    def test_a_type_exception_needs_the_supervisors_reason(self) -> None:
        org = requested(10)
        with pytest.raises(RuleViolation) as raised:
            org.approve_formal_branch(PartyOrgType.GENERAL_BRANCH, stamp(actor=SUPERVISOR))
        assert raised.value.rule == "type_exception_needs_reason"
        assert org.formal_branch is None

    def test_a_blank_reason_is_no_reason(self) -> None:
        org = requested(10)
        with pytest.raises(RuleViolation):
            org.approve_formal_branch(PartyOrgType.COMMITTEE, stamp(reason="   ", actor=SUPERVISOR))

    def test_a_type_exception_with_the_supervisors_reason_is_approved(self) -> None:
        org = requested(10)
        org.approve_formal_branch(PartyOrgType.GENERAL_BRANCH, stamp(reason="group headquarters", actor=SUPERVISOR))
        assert party_org_type(org) is PartyOrgType.GENERAL_BRANCH

    def test_a_type_requested_other_than_the_default_is_an_exception_too(self) -> None:
        org = requested(10, PartyOrgType.COMMITTEE)
        with pytest.raises(RuleViolation):
            org.approve_formal_branch(None, stamp(actor=SUPERVISOR))
        org.approve_formal_branch(None, stamp(reason="several sites", actor=SUPERVISOR))
        assert party_org_type(org) is PartyOrgType.COMMITTEE

    def test_the_supervisor_may_approve_the_default_over_a_requested_exception(self) -> None:
        org = requested(10, PartyOrgType.COMMITTEE)
        org.approve_formal_branch(PartyOrgType.BRANCH, stamp(actor=SUPERVISOR))
        assert party_org_type(org) is PartyOrgType.BRANCH

    def test_the_type_may_be_given_as_text(self) -> None:
        org = requested(10)
        org.approve_formal_branch("branch", stamp(actor=SUPERVISOR))  # type: ignore[arg-type]
        assert party_org_type(org) is PartyOrgType.BRANCH


class TestElectionsAndTerms:
    def test_branches_and_general_branches_are_elected_for_3_years_committees_for_5(self) -> None:
        assert [term_years(t) for t in PartyOrgType] == [3, 3, 5]

    def test_a_branch_with_fewer_than_7_formal_members_elects_a_secretary_and_a_deputy(self) -> None:
        org = with_formal_branch(organization())
        org.elect_branch_committee("Member 1", "Member 2", [], stamp(date(2024, 4, 1)))
        assert org.formal_branch is not None
        assert (org.formal_branch.secretary, org.formal_branch.term_ends_on) == ("Member 1", date(2027, 4, 1))

    def test_a_branch_with_fewer_than_7_formal_members_elects_no_committee(self) -> None:
        org = with_formal_branch(organization(), members=6)
        with pytest.raises(RuleViolation) as raised:
            org.elect_branch_committee("Member 1", None, ["Member 1", "Member 2", "Member 3"], stamp())
        assert raised.value.rule == "no_committee_below_7"

    def test_formal_members_whose_relation_is_elsewhere_do_not_make_the_7_but_may_serve(self) -> None:
        # The 7 are the branch's own formal members (relation here), as the demo's 6 + 2 branches rely on;
        # officers need only be formal members present.
        org = with_formal_branch(organization(), members=6)
        away = add_members(org, 2, transferred=False)
        with pytest.raises(RuleViolation) as raised:
            org.elect_branch_committee("Member 1", None, [f"Member {i}" for i in range(1, 6)], stamp())
        assert raised.value.rule == "no_committee_below_7"
        org.elect_branch_committee(org.members[away[0]].name, None, [], stamp())
        assert org.formal_branch is not None and org.formal_branch.secretary == "Member 7"

    @pytest.mark.parametrize("size", [3, 5, 7])
    def test_7_or_more_formal_members_elect_a_committee_of_3_to_7(self, size: int) -> None:
        org = with_formal_branch(organization(), members=7)
        org.elect_branch_committee("Member 1", None, [f"Member {i + 1}" for i in range(size)], stamp())
        assert org.formal_branch is not None and len(org.formal_branch.committee) == size

    @pytest.mark.parametrize("size", [0, 2, 8])
    def test_a_committee_smaller_than_3_or_larger_than_7_is_refused(self, size: int) -> None:
        org = with_formal_branch(organization(), members=9)
        with pytest.raises(RuleViolation) as raised:
            org.elect_branch_committee("Member 1", None, [f"Member {i + 1}" for i in range(size)], stamp())
        assert raised.value.rule == "committee_size"

    def test_a_committee_type_is_elected_for_5_years(self) -> None:
        org = requested(100)
        org.approve_formal_branch(None, stamp(actor=SUPERVISOR))
        org.elect_branch_committee("Member 1", None, [f"Member {i}" for i in range(1, 6)], stamp(date(2024, 4, 1)))
        assert org.formal_branch is not None and org.formal_branch.term_ends_on == date(2029, 4, 1)

    def test_a_temporary_branch_has_appointed_officers_and_holds_no_elections(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        with pytest.raises(RuleViolation) as raised:
            org.elect_branch_committee("Secretary Chen", None, [], stamp())
        assert raised.value.rule == "no_formal_branch"


class TestOfficersAndCommitteeSizes:
    """issue 13 finding 7: the secretary need not have been a member; a committee of 150 was held to 3–7."""

    def test_officer_not_formal_member(self) -> None:
        org = with_formal_branch(organization())
        add_members(org, 1, status="probationary")
        for secretary in ("Somebody Else", "Member 4"):
            with pytest.raises(RuleViolation) as raised:
                org.elect_branch_committee(secretary, None, [], stamp())
            assert raised.value.rule == "officer_not_formal_member"

    @pytest.mark.parametrize(("size", "accepted"), [(3, False), (4, False), (5, True), (9, True), (11, True)])
    def test_committee_size_of_a_grassroots_committee_is_5_to_11(self, size: int, accepted: bool) -> None:
        org = requested(150)
        org.approve_formal_branch(None, stamp(actor=SUPERVISOR))
        assert party_org_type(org) is PartyOrgType.COMMITTEE

        def elect() -> None:
            org.elect_branch_committee("Member 1", None, [f"Member {i}" for i in range(1, size + 1)], stamp())

        if accepted:
            elect()
        else:
            with pytest.raises(RuleViolation) as raised:
                elect()
            assert raised.value.rule == "committee_size"

    @pytest.mark.parametrize(("size", "accepted"), [(4, False), (5, True), (9, True), (10, False)])
    def test_committee_size_of_a_general_branch_is_5_to_9(self, size: int, accepted: bool) -> None:
        org = requested(60)
        org.approve_formal_branch(None, stamp(actor=SUPERVISOR))
        assert party_org_type(org) is PartyOrgType.GENERAL_BRANCH
        try:
            org.elect_branch_committee("Member 1", None, [f"Member {i}" for i in range(1, size + 1)], stamp())
        except RuleViolation as refused:
            assert not accepted and refused.rule == "committee_size"
        else:
            assert accepted

    def test_a_joint_branch_elects_its_secretary_and_has_a_term(self) -> None:
        # issue 13 finding 5: a joint branch was refused no_formal_branch.
        org = organization()
        add_members(org, 2)
        org.join_joint_branch(JointBranchMembership("J1", "Joint", PartyOrgType.BRANCH, DAY, []), stamp())
        org.elect_branch_committee("Member 1", None, [], stamp(date(2024, 4, 1)))
        assert org.joint_branch is not None
        assert (org.joint_branch.secretary, org.joint_branch.term_ends_on) == ("Member 1", date(2027, 4, 1))


class TestStandardization:
    def test_the_youth_league_is_set_up_alongside_a_formal_party_organization(self) -> None:
        org = with_formal_branch(organization())
        org.form_youth_league(stamp(date(2024, 5, 4)))
        assert org.youth_league_formed_on == date(2024, 5, 4)

    def test_no_youth_league_without_a_formal_party_organization(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().form_youth_league(stamp())
        assert raised.value.rule == "not_formed"

    def test_the_youth_league_is_set_up_once(self) -> None:
        org = with_formal_branch(organization())
        org.form_youth_league(stamp())
        with pytest.raises(RuleViolation) as raised:
            org.form_youth_league(stamp())
        assert raised.value.rule == "youth_league_formed"

    def test_a_formal_party_organization_is_rated_on_the_five_goods(self) -> None:
        org = with_formal_branch(organization())
        ratings = {"leadership_team": True, "member_team": True, "working_mechanism": False,
                   "development_results": True, "mass_reputation": True}
        org.rate_five_goods(ratings, stamp())
        assert org.five_goods == ratings

    def test_the_five_goods_are_for_a_formal_party_organization(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        with pytest.raises(RuleViolation) as raised:
            org.rate_five_goods({}, stamp())
        assert raised.value.rule == "not_formed"

    def test_an_established_party_organization_is_checked_for_the_ten_haves(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        org.check_ten_haves({"plaque": True, "party_flag": False}, stamp(DAY))
        assert org.ten_haves == {"plaque": True, "party_flag": False}

    def test_the_ten_haves_need_an_established_party_organization(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().check_ten_haves({"plaque": True}, stamp())
        assert raised.value.rule == "no_party_organization"
