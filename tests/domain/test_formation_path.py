"""The formation path: NO_MEMBERS → DEVELOPING_MEMBERS → TEMPORARY_BRANCH → FORMAL_BRANCH (domain.md)."""

from __future__ import annotations

from datetime import date

import pytest

from branchflow.domain.actions import ACTIONS
from branchflow.domain.errors import RuleViolation, UnknownPerson
from branchflow.domain.people import MemberStatus
from branchflow.domain.rules import PartyOrgType, Stage, branch_members, formed, stage

from .cases import add_members, applicant, organization, stamp, with_formal_branch


def rule_of(raised: pytest.ExceptionInfo[RuleViolation]) -> str:
    return raised.value.rule


class TestStages:
    def test_no_party_member_and_no_development_is_no_members(self) -> None:
        assert stage(organization()) is Stage.NO_MEMBERS

    def test_a_recorded_applicant_starts_member_development(self) -> None:
        org = organization()
        applicant(org)
        assert stage(org) is Stage.DEVELOPING_MEMBERS

    def test_an_instructor_working_on_it_is_member_development(self) -> None:
        org = organization()
        org.assign_instructor("Instructor Wang", stamp())
        assert stage(org) is Stage.DEVELOPING_MEMBERS

    def test_members_but_not_enough_for_a_branch_is_developing_members(self) -> None:
        org = organization()
        add_members(org, 2)
        assert stage(org) is Stage.DEVELOPING_MEMBERS

    def test_enough_members_without_any_branch_yet_is_still_developing_members(self) -> None:
        # Choice: none of the four stages fits "enough members, no branch yet"; the case stays in
        # DEVELOPING_MEMBERS until a branch is set up (and the obligations say it must be).
        org = organization()
        add_members(org, 3)
        assert stage(org) is Stage.DEVELOPING_MEMBERS

    def test_a_temporary_branch_is_the_temporary_stage(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        assert stage(org) is Stage.TEMPORARY_BRANCH

    def test_a_formal_branch_of_its_own_is_the_formal_stage(self) -> None:
        assert stage(with_formal_branch(organization())) is Stage.FORMAL_BRANCH

    def test_a_closed_case_is_closed_whatever_it_had(self) -> None:
        org = with_formal_branch(organization())
        org.close_case(stamp())
        assert stage(org) is Stage.CLOSED


class TestStandaloneBranch:
    def test_three_transferred_in_formal_members_may_request_a_standalone_branch(self) -> None:
        org = organization()
        add_members(org, 3)
        org.request_formal_branch("Acme branch", None, stamp())
        assert org.formal_request is not None and org.formal_request.name == "Acme branch"

    def test_two_transferred_in_formal_members_may_not(self) -> None:
        org = organization()
        add_members(org, 2)
        with pytest.raises(RuleViolation) as raised:
            org.request_formal_branch("Acme branch", None, stamp())
        assert rule_of(raised) == "standalone_needs_members"

    def test_members_whose_relation_sits_elsewhere_do_not_count_towards_a_branch(self) -> None:
        org = organization()
        add_members(org, 2)
        add_members(org, 5, transferred=False)
        assert branch_members(org) == 2
        with pytest.raises(RuleViolation, match="sits elsewhere do not count"):
            org.request_formal_branch("Acme branch", None, stamp())

    def test_probationary_members_do_not_count_towards_a_branch(self) -> None:
        org = organization()
        add_members(org, 2)
        add_members(org, 3, status="probationary")
        assert branch_members(org) == 2

    def test_members_who_transferred_out_do_not_count(self) -> None:
        org = organization()
        first, *_ = add_members(org, 3)
        org.transfer_out(first, stamp())
        assert branch_members(org) == 2

    def test_transferring_a_relation_in_makes_the_member_count(self) -> None:
        org = organization()
        add_members(org, 2)
        (elsewhere,) = add_members(org, 1, transferred=False)
        org.transfer_in(elsewhere, stamp())
        assert branch_members(org) == 3

    def test_a_relation_already_here_cannot_be_transferred_in_again(self) -> None:
        org = organization()
        (member,) = add_members(org, 1)
        with pytest.raises(RuleViolation, match="already here"):
            org.transfer_in(member, stamp())

    def test_an_unknown_member_cannot_be_transferred(self) -> None:
        org = organization()
        add_members(org, 1)
        with pytest.raises(UnknownPerson):
            org.transfer_out("P9", stamp())

    def test_a_case_may_skip_the_temporary_branch(self) -> None:
        org = organization()
        stages = [stage(org)]
        add_members(org, 3)
        stages.append(stage(org))
        org.request_formal_branch("Acme branch", None, stamp())
        org.approve_formal_branch(None, stamp(actor="supervisor-1"))
        stages.append(stage(org))
        assert stages == [Stage.NO_MEMBERS, Stage.DEVELOPING_MEMBERS, Stage.FORMAL_BRANCH]

    def test_the_superior_organization_approves_the_request(self) -> None:
        org = organization()
        add_members(org, 3)
        org.request_formal_branch("Acme branch", None, stamp())
        org.approve_formal_branch(None, stamp(date(2024, 3, 20), actor="supervisor-1"))
        assert org.formal_branch is not None
        assert (org.formal_branch.name, org.formal_branch.approved_on) == ("Acme branch", date(2024, 3, 20))
        assert org.formal_request is None and formed(org)

    def test_a_second_request_while_one_waits_is_refused(self) -> None:
        org = organization()
        add_members(org, 3)
        org.request_formal_branch("Acme branch", None, stamp())
        with pytest.raises(RuleViolation) as raised:
            org.request_formal_branch("Acme branch", None, stamp())
        assert rule_of(raised) == "request_pending"

    def test_an_organization_with_its_own_formal_branch_cannot_request_another(self) -> None:
        org = with_formal_branch(organization())
        with pytest.raises(RuleViolation) as raised:
            org.request_formal_branch("Second branch", None, stamp())
        assert rule_of(raised) == "already_formed"

    def test_approval_needs_the_members_still_to_be_there(self) -> None:
        org = organization()
        first, *_ = add_members(org, 3)
        org.request_formal_branch("Acme branch", None, stamp())
        org.transfer_out(first, stamp())
        with pytest.raises(RuleViolation) as raised:
            org.approve_formal_branch(None, stamp(actor="supervisor-1"))
        assert rule_of(raised) == "standalone_needs_members"

    def test_approval_and_rejection_need_a_request(self) -> None:
        org = organization()
        add_members(org, 3)
        with pytest.raises(RuleViolation) as raised:
            org.approve_formal_branch(None, stamp())
        assert rule_of(raised) == "no_request"
        with pytest.raises(RuleViolation) as raised:
            org.reject_formal_branch(stamp())
        assert rule_of(raised) == "no_request"

    def test_a_rejected_request_leaves_the_case_without_a_branch(self) -> None:
        org = organization()
        add_members(org, 3)
        org.request_formal_branch("Acme branch", PartyOrgType.BRANCH, stamp())
        org.reject_formal_branch(stamp(reason="relations not checked yet", actor="supervisor-1"))
        assert org.formal_request is None and org.formal_branch is None
        assert stage(org) is Stage.DEVELOPING_MEMBERS


class TestTemporaryBranch:
    def test_an_unregistered_organization_may_set_up_a_temporary_branch(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        assert org.temporary_branch == "Temporary branch"

    def test_three_formal_members_whose_relations_sit_elsewhere_may_set_up_a_temporary_branch(self) -> None:
        # The seed's obstacle: three members present, relations never transferred; no branch of its own.
        org = organization()
        add_members(org, 3, transferred=False)
        org.establish_temporary_branch("Temporary branch", stamp())
        assert stage(org) is Stage.TEMPORARY_BRANCH

    def test_a_registered_organization_with_three_transferred_in_formal_members_must_form_its_own(self) -> None:
        org = organization()
        add_members(org, 3)
        with pytest.raises(RuleViolation) as raised:
            org.establish_temporary_branch("Temporary branch", stamp())
        assert rule_of(raised) == "standalone_required"

    def test_a_temporary_branch_needs_three_formal_members_present(self) -> None:
        org = organization(registered=False)
        add_members(org, 2)
        add_members(org, 1, status="probationary")
        with pytest.raises(RuleViolation) as raised:
            org.establish_temporary_branch("Temporary branch", stamp())
        assert rule_of(raised) == "temporary_needs_members"

    def test_an_organization_with_a_party_organization_cannot_set_up_a_temporary_one(self) -> None:
        org = with_formal_branch(organization(registered=False))
        with pytest.raises(RuleViolation) as raised:
            org.establish_temporary_branch("Temporary branch", stamp())
        assert rule_of(raised) == "already_organized"

    def test_a_temporary_branch_becomes_formal_on_approval(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        org.request_formal_branch("Formal branch", None, stamp())
        org.approve_formal_branch(None, stamp(actor="supervisor-1"))
        assert org.temporary_branch is None and org.formal_branch is not None
        assert stage(org) is Stage.FORMAL_BRANCH

    def test_a_temporary_branch_replaces_an_affiliation(self) -> None:
        org = organization(registered=False)
        add_members(org, 2, transferred=False)
        org.affiliate("Community party committee", stamp())
        add_members(org, 1, transferred=False)
        org.establish_temporary_branch("Temporary branch", stamp())
        assert org.affiliation is None


class TestFallingBack:
    def test_dissolving_the_branch_falls_back_to_developing_members(self) -> None:
        org = with_formal_branch(organization())
        org.dissolve_branch(stamp(reason="members left"))
        assert org.formal_branch is None and stage(org) is Stage.DEVELOPING_MEMBERS

    def test_dissolving_a_temporary_branch_falls_back(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        org.dissolve_branch(stamp())
        assert stage(org) is Stage.DEVELOPING_MEMBERS

    def test_when_the_last_member_transfers_out_the_case_falls_back_to_no_members(self) -> None:
        org = organization()
        (member,) = add_members(org, 1)
        org.transfer_out(member, stamp())
        assert stage(org) is Stage.NO_MEMBERS

    def test_a_branch_stays_until_it_is_dissolved_when_members_leave(self) -> None:
        # Choice: members transferring out do not dissolve the branch by themselves; the dissolution is
        # its own recorded step. Without a formal member it is no longer formed (test_losing_members.py).
        org = with_formal_branch(organization())
        for member in list(org.members):
            org.transfer_out(member, stamp())
        assert org.formal_branch is not None and not formed(org) and stage(org) is Stage.NO_MEMBERS

    def test_dissolving_needs_a_branch_of_its_own(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().dissolve_branch(stamp())
        assert rule_of(raised) == "no_branch"

    def test_a_dissolved_organization_may_form_again(self) -> None:
        org = with_formal_branch(organization())
        org.dissolve_branch(stamp())
        org.request_formal_branch("New branch", None, stamp())
        org.approve_formal_branch(None, stamp(actor="supervisor-1"))
        assert stage(org) is Stage.FORMAL_BRANCH


class TestClosing:
    def test_closing_is_recorded_not_deleted(self) -> None:
        org = with_formal_branch(organization())
        org.close_case(stamp(date(2024, 6, 30), "deregistered"))
        assert org.closed_on == date(2024, 6, 30)
        assert len(org.members) == 3 and org.formal_branch is not None  # the record is kept
        assert type(org.pending_events[-1]).__name__ == "CaseClosed"

    def test_a_closed_case_cannot_be_closed_again(self) -> None:
        org = organization()
        org.close_case(stamp())
        with pytest.raises(RuleViolation) as raised:
            org.close_case(stamp())
        assert rule_of(raised) == "case_closed"

    def test_members_of_a_closed_case_still_have_their_details(self) -> None:
        org = organization()
        (member,) = add_members(org, 1)
        org.close_case(stamp())
        assert org.members[member].status is MemberStatus.FORMAL


class TestReopening:
    """issue 13 finding 10: a wrongly closed case could not be reopened."""

    def test_reopening_needs_reason(self) -> None:
        org = with_formal_branch(organization())
        org.close_case(stamp(date(2024, 6, 30)))
        with pytest.raises(RuleViolation) as raised:
            org.reopen_case(stamp(date(2024, 7, 1), actor="supervisor-1"))
        assert raised.value.rule == "reopening_needs_reason"
        org.reopen_case(stamp(date(2024, 7, 1), "closed by mistake: the firm still trades", "supervisor-1"))
        assert org.closed_on is None and stage(org) is Stage.FORMAL_BRANCH and formed(org)
        event = org.pending_events[-1]
        assert type(event).__name__ == "CaseReopened" and event.corrects == 7  # type: ignore[attr-defined]

    def test_not_closed(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().reopen_case(stamp(reason="why"))
        assert raised.value.rule == "not_closed"

    def test_reopening_is_a_supervisors_step_after_the_closing(self) -> None:
        assert ACTIONS["reopen_case"].SUPERVISOR_ONLY
        org = organization()
        org.close_case(stamp(date(2024, 6, 30)))
        with pytest.raises(RuleViolation) as raised:
            org.reopen_case(stamp(date(2024, 6, 1), "why"))
        assert (raised.value.rule, raised.value.earlier_step) == ("date_out_of_order", "case_closed")
