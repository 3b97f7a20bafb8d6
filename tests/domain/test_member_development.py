"""Member development (发展党员): applicant → activist → development target → probationary → formal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from branchflow.domain import guards
from branchflow.domain.actions import ACTIONS, next_actions, parse_action
from branchflow.domain.as_of import case_as_of
from branchflow.domain.calendar import add_months
from branchflow.domain.case import case_view
from branchflow.domain.errors import RuleViolation, UnknownPerson
from branchflow.domain.funnel import development_funnel, encoded
from branchflow.domain.obligations import Obligation, development_obligations
from branchflow.domain.organization import Organization
from branchflow.domain.people import DevelopmentStage, FocusGroup, MemberStatus
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import SEED_THRESHOLDS, PartyOrgType, Stage, branch_members, stage

from .cases import (
    DAY,
    activist,
    add_members,
    admitted,
    applicant,
    development_target,
    formal_ids,
    memory_application,
    organization,
    probationary,
    ready_target,
    registration,
    stamp,
    with_formal_branch,
)


def formed_org() -> Organization:
    return with_formal_branch(organization(), on=date(2021, 1, 4))


def refused_rule(org: Organization, action: str, day: date) -> str | None:
    """The rule the step's guard names (what next_actions and the workflow's validator refuse with)."""
    v = guards.refusal(org, action, day)
    return v.rule if v is not None else None


def due(org: Organization, rule: str) -> list[date | None]:
    return [o.due_on for o in development_obligations(org) if o.rule == rule]


class TestApplicant:
    def test_an_applicant_is_18_or_older(self) -> None:
        org = organization()
        person = applicant(org, on=date(2024, 3, 1), birth_date=date(2006, 3, 1))  # 18 today
        assert org.candidates[person].stage is DevelopmentStage.APPLICANT

    def test_a_17_year_old_may_not_apply(self) -> None:
        org = organization()
        with pytest.raises(RuleViolation) as raised:
            applicant(org, on=date(2024, 2, 29), birth_date=date(2006, 3, 1))
        assert raised.value.rule == "applicant_under_18"

    def test_an_application_dated_before_the_birth_is_refused(self) -> None:
        with pytest.raises(RuleViolation, match="before the birth date"):
            applicant(organization(), on=date(2024, 3, 1), birth_date=date(2024, 6, 1))

    def test_the_branch_talks_to_an_applicant_within_one_month(self) -> None:
        org = organization()
        person = applicant(org, on=date(2024, 1, 31))
        assert development_obligations(org) == [Obligation("talk_to_applicant", date(2024, 2, 29), person)]
        org.talk_to_applicant(person, stamp(date(2024, 2, 10)))
        assert org.candidates[person].talked_on == date(2024, 2, 10)
        assert due(org, "talk_to_applicant") == []

    def test_the_talk_is_recorded_once(self) -> None:
        org = organization()
        person = applicant(org)
        org.talk_to_applicant(person, stamp())
        with pytest.raises(RuleViolation) as raised:
            org.talk_to_applicant(person, stamp())
        assert raised.value.rule == "no_applicant_to_talk_to"  # the step's guard: nobody waits for a talk
        applicant(org)
        with pytest.raises(RuleViolation) as raised:
            org.talk_to_applicant(person, stamp())
        assert raised.value.rule == "already_talked"

    def test_a_recorded_applicant_gets_the_next_person_id(self) -> None:
        org = organization()
        add_members(org, 2)
        assert applicant(org) == "P3"


class TestActivist:
    def test_an_activist_is_reviewed_every_half_year(self) -> None:
        org = organization()
        person = activist(org, date(2024, 3, 1))
        assert due(org, "review_activist") == [date(2024, 9, 1)]
        org.review_activist(person, stamp(date(2024, 8, 15)))
        assert due(org, "review_activist") == [date(2025, 2, 15)]

    def test_designating_an_activist_counts_as_the_talk(self) -> None:
        org = organization()
        person = activist(org)
        assert org.candidates[person].talked_on == DAY

    def test_a_temporary_branch_trains_activists(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        person = activist(org)
        assert org.candidates[person].stage is DevelopmentStage.ACTIVIST

    def test_one_year_as_activist_comes_before_becoming_a_development_target(self) -> None:
        org = organization()
        person = activist(org, date(2024, 3, 1))
        with pytest.raises(RuleViolation) as raised:
            org.confirm_development_target(person, stamp(date(2025, 2, 28)))
        assert raised.value.rule == "cultivation_year_not_over"
        org.confirm_development_target(person, stamp(date(2025, 3, 1)))
        assert org.candidates[person].stage is DevelopmentStage.DEVELOPMENT_TARGET


class TestAdmission:
    def test_admission_needs_two_formal_introducers(self) -> None:
        org = formed_org()
        person = ready_target(org)
        org.admit_probationary(person, formal_ids(org)[1:3], stamp())
        assert org.candidates[person].stage is DevelopmentStage.AWAITING_APPROVAL
        assert org.candidates[person].introducer_ids == formal_ids(org)[1:3]

    @pytest.mark.parametrize("introducers", [["P1"], ["P1", "P1"], ["P1", "P2", "P3"], []])
    def test_other_than_two_different_introducers_is_refused(self, introducers: list[str]) -> None:
        org = formed_org()
        person = ready_target(org)
        with pytest.raises(RuleViolation) as raised:
            org.admit_probationary(person, introducers, stamp())
        assert raised.value.rule == "two_introducers"

    @pytest.mark.parametrize("introducer", ["probationary", "left", "unknown"])
    def test_an_introducer_must_be_a_present_formal_member(self, introducer: str) -> None:
        org = formed_org()
        if introducer == "probationary":
            (other,) = add_members(org, 1, status="probationary")
        elif introducer == "left":
            other = formal_ids(org)[2]
            org.transfer_out(other, stamp())
        else:
            other = "P99"
        person = ready_target(org)
        with pytest.raises(RuleViolation) as raised:
            org.admit_probationary(person, [formal_ids(org)[0], other], stamp())
        assert raised.value.rule == "introducer_not_formal_member"

    def test_a_temporary_branch_does_not_admit_members(self) -> None:
        org = organization(registered=False)
        add_members(org, 3)
        org.establish_temporary_branch("Temporary branch", stamp())
        person = ready_target(org)
        with pytest.raises(RuleViolation) as raised:
            org.admit_probationary(person, formal_ids(org)[:2], stamp())
        assert raised.value.rule == "admission_needs_formal_branch"

    def test_a_joint_branch_admits_members(self) -> None:
        org = organization()
        add_members(org, 2)
        org.join_joint_branch(JointBranchMembership("J1", "Joint", PartyOrgType.BRANCH, DAY, []), stamp())
        person = admitted(org)
        assert org.candidates[person].stage is DevelopmentStage.AWAITING_APPROVAL

    def test_the_superior_committee_approves_within_3_months(self) -> None:
        org = formed_org()
        admitted(org, date(2024, 3, 1))
        assert due(org, "approve_probationary") == [date(2024, 6, 1)]

    def test_late_approval_needs_reason(self) -> None:
        # issue 13 finding 8: later than 3 months after the vote needs the supervisor's reason.
        org = formed_org()
        person = admitted(org, date(2024, 3, 1))
        with pytest.raises(RuleViolation) as raised:
            org.approve_probationary(person, stamp(date(2024, 7, 1), actor="supervisor-1"))
        assert (raised.value.rule, raised.value.earlier_step) == ("late_approval_needs_reason", "probationary_admitted")
        org.approve_probationary(person, stamp(date(2024, 7, 1), "special case: the committee met late",
                                               "supervisor-1"))
        assert org.members[person].status is MemberStatus.PROBATIONARY

    def test_approval_too_late(self) -> None:
        # issue 13 finding 8: an approval 7 months after the vote passed silently; over 6 months is refused.
        org = formed_org()
        person = admitted(org, date(2024, 3, 1))
        with pytest.raises(RuleViolation) as raised:
            org.approve_probationary(person, stamp(date(2024, 10, 1), "late", actor="supervisor-1"))
        assert raised.value.rule == "approval_too_late"
        assert (raised.value.earlier_step, raised.value.earlier_on) == ("probationary_admitted", date(2024, 3, 1))

    def test_an_approved_admission_makes_a_probationary_member_no_longer_in_development(self) -> None:
        org = formed_org()
        person = probationary(org)
        assert org.members[person].status is MemberStatus.PROBATIONARY and org.members[person].present
        assert not org.candidates[person].in_development
        with pytest.raises(UnknownPerson):
            org.candidate(person)


class TestProbation:
    def test_probation_lasts_one_year_from_the_branch_meeting(self) -> None:
        org = formed_org()
        person = admitted(org, date(2024, 3, 1))
        org.approve_probationary(person, stamp(date(2024, 5, 20), actor="supervisor-1"))
        assert org.members[person].probation_ends_on == date(2025, 3, 1)
        assert due(org, "vote_on_conversion") == [date(2025, 3, 1)]

    def test_conversion_comes_when_the_year_is_over(self) -> None:
        org = formed_org()
        person = probationary(org, date(2024, 3, 1))
        with pytest.raises(RuleViolation) as raised:
            org.convert_to_formal(person, stamp(date(2025, 2, 28)))
        assert raised.value.rule == "probation_not_over"
        org.convert_to_formal(person, stamp(date(2025, 3, 1)))
        assert org.members[person].status is MemberStatus.FORMAL
        assert branch_members(org) == 4  # an admitted member's relation is here

    def test_a_member_recorded_as_probationary_converts_when_the_branch_votes(self) -> None:
        org = formed_org()
        person = org.add_member("Wang Li", "male", date(1990, 1, 1), "bachelor", MemberStatus.PROBATIONARY, True,
                                stamp(date(2024, 1, 20)), admitted_on=date(2023, 6, 1))
        assert org.members[person].probation_ends_on == date(2024, 6, 1)
        assert due(org, "vote_on_conversion") == [date(2024, 6, 1)]
        org.convert_to_formal(person, stamp(date(2024, 6, 1)))
        assert org.members[person].status is MemberStatus.FORMAL

    def test_probation_not_over(self) -> None:
        # issue 13 finding 8: a probationary member entered with add_member converted the same day.
        org = formed_org()
        (person,) = add_members(org, 1, status="probationary", on=date(2024, 3, 1))
        assert due(org, "vote_on_conversion") == [date(2025, 3, 1)]  # they get their conversion obligation
        with pytest.raises(RuleViolation) as raised:
            org.convert_to_formal(person, stamp(date(2024, 3, 1)))
        assert raised.value.rule == "probation_not_over"

    def test_conversion_needs_formal_branch(self) -> None:
        # issue 13 finding 8: no party organization, or a dissolved one, holds no conversion vote.
        org = organization()
        (person,) = add_members(org, 1, status="probationary", on=date(2023, 1, 1))
        with pytest.raises(RuleViolation) as raised:
            org.convert_to_formal(person, stamp(date(2024, 3, 1)))
        assert raised.value.rule == "conversion_needs_formal_branch"
        org = formed_org()
        person = probationary(org, date(2023, 1, 1))
        org.dissolve_branch(stamp(date(2024, 2, 1)))  # after the branch approved in 2021
        with pytest.raises(RuleViolation) as raised:
            org.convert_to_formal(person, stamp(date(2024, 3, 1)))
        assert raised.value.rule == "conversion_needs_formal_branch"

    def test_only_a_probationary_member_converts(self) -> None:
        org = formed_org()
        with pytest.raises(RuleViolation) as raised:
            org.convert_to_formal(formal_ids(org)[0], stamp())
        assert raised.value.rule == "no_probationary_member"
        probationary(org, date(2023, 1, 1))
        with pytest.raises(RuleViolation) as raised:
            org.convert_to_formal(formal_ids(org)[0], stamp())
        assert raised.value.rule == "not_probationary"

    @pytest.mark.parametrize(("months", "ends_on"), [(6, date(2025, 9, 1)), (12, date(2026, 3, 1))])
    def test_probation_may_be_extended_once_by_6_to_12_months(self, months: int, ends_on: date) -> None:
        org = formed_org()
        person = probationary(org, date(2024, 3, 1))
        org.extend_probation(person, months, stamp(date(2025, 3, 1)))
        assert org.members[person].probation_ends_on == ends_on
        assert due(org, "vote_on_conversion") == [ends_on]
        with pytest.raises(RuleViolation) as raised:
            org.extend_probation(person, months, stamp(date(2025, 3, 1)))
        assert raised.value.rule == "extended_once"

    @pytest.mark.parametrize("months", [5, 13])
    def test_an_extension_shorter_than_6_or_longer_than_12_months_is_refused(self, months: int) -> None:
        org = formed_org()
        person = probationary(org, date(2023, 3, 1))
        with pytest.raises(RuleViolation) as raised:
            org.extend_probation(person, months, stamp())
        assert raised.value.rule == "extension_length"

    def test_probation_is_extended_at_its_end_not_on_its_first_day(self) -> None:
        # issue 13 finding 8: probation could be extended on its first day.
        org = formed_org()
        person = probationary(org, date(2024, 3, 1))
        with pytest.raises(RuleViolation) as raised:
            org.extend_probation(person, 6, stamp(date(2024, 3, 1)))
        assert raised.value.rule == "probation_not_over"
        org.extend_probation(person, 6, stamp(date(2025, 3, 1)))
        assert org.members[person].probation_ends_on == date(2025, 9, 1)

    def test_a_probation_entered_with_its_admission_date_can_be_extended(self) -> None:
        org = formed_org()
        (person,) = add_members(org, 1, status="probationary", on=date(2023, 1, 1))
        org.extend_probation(person, 6, stamp(date(2024, 1, 1)))
        assert org.members[person].probation_ends_on == date(2024, 7, 1)

    def test_probation_may_be_cancelled(self) -> None:
        org = formed_org()
        person = probationary(org)
        org.cancel_probation(person, stamp(reason="did not meet the conditions"))
        assert not org.members[person].present

    def test_only_a_probationary_members_probation_can_be_cancelled(self) -> None:
        org = formed_org()
        with pytest.raises(RuleViolation) as raised:
            org.cancel_probation(formal_ids(org)[0], stamp())
        assert raised.value.rule == "no_probationary_member"
        probationary(org, date(2023, 1, 1))
        with pytest.raises(RuleViolation) as raised:
            org.cancel_probation(formal_ids(org)[0], stamp())
        assert raised.value.rule == "not_probationary"


class TestTheWay:
    @pytest.mark.parametrize(
        ("verb", "at", "right", "nobody"),
        [("talk_to_applicant", activist, applicant, "no_applicant_to_talk_to"),
         ("review_activist", applicant, activist, "no_activist"),
         ("confirm_development_target", applicant, lambda org: activist(org, date(2023, 1, 1)), "no_activist"),
         ("admit_probationary", activist, ready_target, "no_development_target"),
         ("approve_probationary", development_target, admitted, "no_admission_to_approve")],
    )
    def test_steps_out_of_order_are_refused(
        self, verb: str, at: Callable[[Organization], str], right: Callable[[Organization], str], nobody: str
    ) -> None:
        org = formed_org()
        person = at(org)
        args: tuple[object, ...] = (person, formal_ids(org)[:2]) if verb == "admit_probationary" else (person,)
        with pytest.raises(RuleViolation) as raised:
            getattr(org, verb)(*args, stamp())
        assert raised.value.rule == nobody  # the step's guard: nobody at the stage the step is for
        right(org)
        with pytest.raises(RuleViolation) as raised:
            getattr(org, verb)(*args, stamp())
        assert raised.value.rule == "wrong_development_stage"

    def test_an_unknown_person_is_refused(self) -> None:
        org = formed_org()
        applicant(org)
        with pytest.raises(UnknownPerson):
            org.designate_activist("P42", stamp())

    def test_withdrawing_a_candidate_ends_their_development(self) -> None:
        org = organization()
        person = activist(org)
        org.withdraw_candidate(person, stamp(reason="left the company"))
        assert not org.candidates[person].in_development
        assert development_obligations(org) == []
        assert stage(org) is Stage.NO_MEMBERS
        applicant(org)
        with pytest.raises(UnknownPerson):
            org.withdraw_candidate(person, stamp())

    def test_the_whole_way_from_applicant_to_formal_member(self) -> None:
        org = formed_org()
        person = applicant(org, date(2022, 1, 10))
        org.talk_to_applicant(person, stamp(date(2022, 1, 20)))
        org.designate_activist(person, stamp(date(2022, 3, 1)))
        org.review_activist(person, stamp(date(2022, 9, 1)))
        org.confirm_development_target(person, stamp(date(2023, 3, 1)))
        org.record_political_review(person, True, stamp(date(2023, 4, 1)))
        org.record_training(person, date(2023, 4, 10), date(2023, 4, 12), 24, stamp(date(2023, 4, 12)))
        org.admit_probationary(person, formal_ids(org)[:2], stamp(date(2023, 6, 1)))
        org.approve_probationary(person, stamp(date(2023, 7, 1), actor="supervisor-1"))
        org.convert_to_formal(person, stamp(date(2024, 6, 1)))
        assert org.members[person].status is MemberStatus.FORMAL
        assert org.members[person].joined_on == date(2023, 6, 1)
        assert development_obligations(org) == []


class TestMembers:
    def test_a_party_member_is_18_or_older(self) -> None:
        # Added rule: members applied at 18 or older, so a member recorded younger is a mistake.
        org = organization()
        with pytest.raises(RuleViolation) as raised:
            org.add_member("Young", "male", date(2010, 1, 1), "junior_middle", MemberStatus.FORMAL, True, stamp())
        assert raised.value.rule == "member_under_18"


class TestCultivationContacts:
    def test_contacts_one_or_two(self) -> None:
        # 《细则》第十条: one or two formal members; three, none or the same one twice are refused.
        org = formed_org()
        person = activist(org)
        for wrong in (["P1", "P2", "P3"], ["P1", "P1"]):
            with pytest.raises(RuleViolation) as raised:
                org.assign_cultivation_contacts(person, wrong, stamp())
            assert raised.value.rule == "contacts_one_or_two"
        org.assign_cultivation_contacts(person, ["P2", "P1"], stamp())
        assert org.candidates[person].contact_ids == ["P1", "P2"]

    def test_contact_not_formal_member(self) -> None:
        org = formed_org()
        (probationer,) = add_members(org, 1, status="probationary")
        person = activist(org)
        for wrong in (probationer, person, "P99"):
            with pytest.raises(RuleViolation) as raised:
                org.assign_cultivation_contacts(person, [wrong], stamp())
            assert raised.value.rule == "contact_not_formal_member"

    def test_an_activist_without_contacts_has_an_obligation(self) -> None:
        org = formed_org()
        person = activist(org, date(2024, 3, 1))
        assert due(org, "assign_cultivation_contacts") == [date(2024, 4, 1)]
        assert "assign_cultivation_contacts" in next_actions(org, date(2024, 3, 1), SEED_THRESHOLDS)
        org.assign_cultivation_contacts(person, ["P1"], stamp(date(2024, 3, 10)))
        assert due(org, "assign_cultivation_contacts") == []
        assert "assign_cultivation_contacts" not in next_actions(org, date(2024, 3, 10), SEED_THRESHOLDS)
        org.transfer_out("P1", stamp(date(2024, 5, 2)))  # the only contact left: name another within a month
        assert due(org, "assign_cultivation_contacts") == [date(2024, 6, 2)]
        org.assign_cultivation_contacts(person, ["P2"], stamp(date(2024, 5, 3)))
        assert due(org, "assign_cultivation_contacts") == []

    def test_no_contacts_obligation_where_the_organization_has_no_formal_member(self) -> None:
        org = organization()
        activist(org)
        assert due(org, "assign_cultivation_contacts") == []
        assert refused_rule(org, "assign_cultivation_contacts", DAY) == "no_formal_member_for_contacts"

    def test_contacts_assigned(self) -> None:
        org = formed_org()
        person = activist(org)
        org.assign_cultivation_contacts(person, ["P1"], stamp())
        applicant(org)  # nobody else at the stage: the guard says every activist has them
        with pytest.raises(RuleViolation) as raised:
            org.assign_cultivation_contacts(person, ["P2"], stamp())
        assert raised.value.rule == "contacts_assigned"

    def test_changing_contacts_needs_reason(self) -> None:
        org = formed_org()
        person = activist(org)
        with pytest.raises(RuleViolation) as raised:
            org.change_cultivation_contacts(person, ["P2"], stamp(reason="moved"))
        assert raised.value.rule == "no_contacts_to_change"
        org.assign_cultivation_contacts(person, ["P1"], stamp())
        with pytest.raises(RuleViolation) as raised:
            org.change_cultivation_contacts(person, ["P2"], stamp())
        assert raised.value.rule == "changing_contacts_needs_reason"
        org.change_cultivation_contacts(person, ["P2", "P3"], stamp(reason="P1 works nights now"))
        assert org.candidates[person].contact_ids == ["P2", "P3"]

    def test_the_half_year_review_is_an_obligation_every_six_months(self) -> None:
        # 《细则》第十二条: the branch reviews each activist every half year; each review sets the next.
        org = formed_org()
        person = activist(org, date(2024, 3, 1))
        for on, next_due in ((date(2024, 8, 20), date(2025, 2, 20)), (date(2025, 2, 1), date(2025, 8, 1))):
            org.review_activist(person, stamp(on))
            assert due(org, "review_activist") == [next_due]
        assert case_view(org, date(2025, 2, 1), SEED_THRESHOLDS).candidates[0].next_review_on == date(2025, 8, 1)


class TestBeforeAdmission:
    def test_political_review_missing(self) -> None:
        org = formed_org()
        person = development_target(org)
        org.record_training(person, DAY, DAY, 24, stamp())
        assert refused_rule(org, "admit_probationary", DAY) == "political_review_missing"
        with pytest.raises(RuleViolation) as raised:
            org.admit_probationary(person, formal_ids(org)[:2], stamp())
        assert raised.value.rule == "political_review_missing"

    def test_political_review_failed(self) -> None:
        # 《细则》第十八条: one who failed the political review is not admitted.
        org = formed_org()
        person = development_target(org)
        org.record_political_review(person, False, stamp())
        org.record_training(person, DAY, DAY, 24, stamp())
        with pytest.raises(RuleViolation) as raised:
            org.admit_probationary(person, formal_ids(org)[:2], stamp())
        assert (raised.value.rule, raised.value.earlier_step) == ("political_review_failed",
                                                                  "political_review_recorded")

    def test_training_missing(self) -> None:
        org = formed_org()
        person = development_target(org)
        org.record_political_review(person, True, stamp())
        assert "admit_probationary" not in next_actions(org, DAY, SEED_THRESHOLDS)
        with pytest.raises(RuleViolation) as raised:
            org.admit_probationary(person, formal_ids(org)[:2], stamp())
        assert raised.value.rule == "training_missing"
        org.record_training(person, DAY, DAY, 24, stamp())
        assert "admit_probationary" in next_actions(org, DAY, SEED_THRESHOLDS)

    @pytest.mark.parametrize(("days", "hours", "ok"), [(3, 0, True), (1, 24, True), (2, 23, False)])
    def test_training_too_short(self, days: int, hours: int, ok: bool) -> None:
        # 《细则》第十九条: at least three days, or 24 class hours.
        org = formed_org()
        person = development_target(org)
        start = date(2024, 3, 5)

        def record() -> None:
            org.record_training(person, start, start + timedelta(days=days - 1), hours, stamp(date(2024, 3, 10)))

        if ok:
            record()
            assert org.candidates[person].trained_until == start + timedelta(days=days - 1)
        else:
            with pytest.raises(RuleViolation) as raised:
                record()
            assert raised.value.rule == "training_too_short"

    def test_training_dates(self) -> None:
        org = formed_org()
        person = development_target(org, date(2024, 3, 1))
        cases = [(date(2024, 3, 9), date(2024, 3, 5), "training_dates"),  # ends before it starts
                 (date(2024, 3, 5), date(2024, 3, 12), "training_not_over"),  # after the day it is recorded
                 (date(2024, 2, 20), date(2024, 2, 25), "date_out_of_order")]  # before the confirmation
        for started, ended, rule in cases:
            with pytest.raises(RuleViolation) as raised:
                org.record_training(person, started, ended, 24, stamp(date(2024, 3, 10)))
            assert raised.value.rule == rule

    def test_leaving_within_three_months(self) -> None:
        org = formed_org()
        person = ready_target(org, date(2024, 3, 1))
        org.record_departure(person, date(2024, 6, 1), stamp(date(2024, 3, 1)))  # three months after the vote
        assert refused_rule(org, "admit_probationary", DAY) == "leaving_within_three_months"
        with pytest.raises(RuleViolation) as raised:
            org.admit_probationary(person, formal_ids(org)[:2], stamp(date(2024, 3, 1)))
        assert raised.value.rule == "leaving_within_three_months"
        org.record_departure(person, date(2024, 6, 2), stamp(date(2024, 3, 1)))  # the move is a day later
        org.admit_probationary(person, formal_ids(org)[:2], stamp(date(2024, 3, 1)))  # over three months
        assert org.candidates[person].stage is DevelopmentStage.AWAITING_APPROVAL

    def test_departure_exception_needs_reason(self) -> None:
        org = formed_org()
        person = ready_target(org)
        org.record_departure(person, date(2024, 4, 1), stamp())
        with pytest.raises(RuleViolation) as raised:
            org.allow_admission_despite_departure(person, stamp(actor="supervisor-1"))
        assert raised.value.rule == "departure_exception_needs_reason"
        org.allow_admission_despite_departure(person, stamp(reason="转入单位已同意接续培养", actor="supervisor-1"))
        assert "allow_admission_despite_departure" not in next_actions(org, DAY, SEED_THRESHOLDS)
        org.admit_probationary(person, formal_ids(org)[:2], stamp())
        assert org.candidates[person].stage is DevelopmentStage.AWAITING_APPROVAL

    def test_supervisor_alone_allows_admission_despite_departure(self) -> None:
        assert ACTIONS["allow_admission_despite_departure"].SUPERVISOR_ONLY

    def test_departure_in_the_past(self) -> None:
        org = formed_org()
        person = development_target(org)
        with pytest.raises(RuleViolation) as raised:
            org.record_departure(person, DAY - timedelta(days=1), stamp())
        assert raised.value.rule == "departure_in_the_past"

    def test_the_case_shows_review_training_and_the_next_date_allowed(self) -> None:
        org = formed_org()
        person = development_target(org, date(2024, 3, 1))
        assert case_view(org, DAY, SEED_THRESHOLDS).candidates[0].next_step_on is None  # waits for both
        org.record_political_review(person, True, stamp(date(2024, 3, 5)))
        org.record_training(person, date(2024, 3, 6), date(2024, 3, 8), 24, stamp(date(2024, 3, 9)))
        [seen] = case_view(org, date(2024, 3, 9), SEED_THRESHOLDS).candidates
        assert (seen.political_review_on, seen.political_review_passed) == (date(2024, 3, 5), True)
        assert (seen.trained_from, seen.trained_until, seen.training_hours) == (date(2024, 3, 6), date(2024, 3, 8),
                                                                                24)
        assert seen.next_step_on == date(2024, 3, 8)  # the vote comes after the training's last day


class TestFocusGroups:
    def test_focus_group_tagged(self) -> None:
        org = organization()
        person = org.record_applicant("Zhou", "female", date(1990, 1, 1), "bachelor", stamp(),
                                      focus_group="union_leader")
        assert org.candidates[person].focus_group == "union_leader"
        org.tag_focus_group(person, "middle_manager", stamp())
        assert case_view(org, DAY, SEED_THRESHOLDS).candidates[0].focus_group is FocusGroup.MIDDLE_MANAGER

    def test_the_funnel_counts_by_stage_and_focus_group(self) -> None:
        org = formed_org()
        first = applicant(org)
        org.tag_focus_group(first, "technical_backbone", stamp())
        activist(org)
        start = add_months(DAY, -12)
        developed = org.record_applicant("Qian", "male", date(1990, 1, 1), "bachelor", stamp(start),
                                       focus_group="middle_manager")
        org.designate_activist(developed, stamp(start))
        org.confirm_development_target(developed, stamp(DAY))
        org.record_political_review(developed, True, stamp())
        org.record_training(developed, DAY, DAY, 24, stamp())
        org.admit_probationary(developed, formal_ids(org)[:2], stamp())
        org.approve_probationary(developed, stamp(actor="supervisor-1"))
        gone = applicant(org)
        org.withdraw_candidate(gone, stamp())
        assert development_funnel(org) == {("applicant", "technical_backbone"): 1, ("activist", "untagged"): 1,
                                           ("probationary", "middle_manager"): 1}
        org.convert_to_formal(developed, stamp(add_months(DAY, 12)))
        assert development_funnel(org)[("formal", "middle_manager")] == 1
        assert encoded(development_funnel(org)) == "activist:untagged:1,applicant:technical_backbone:1," \
                                                   "formal:middle_manager:1"

    def test_the_funnel_as_of_a_date_replays_the_steps_up_to_it(self) -> None:
        app = memory_application()
        org = app.register_organization(registration(), "o", date(2024, 1, 2))
        steps = [({"action": "record_applicant", "name": "Zhou", "gender": "female", "birth_date": "1990-01-01",
                   "education": "bachelor", "focus_group": "youth_league_leader"}, date(2024, 1, 5)),
                 ({"action": "designate_activist", "person_id": "P1"}, date(2024, 3, 1))]
        for data, on in steps:
            org = app.perform(org.id, parse_action(data, on), "o", on)
        events = list(app.events.get(org.id))
        february, march = case_as_of(events, date(2024, 2, 1)), case_as_of(events, date(2024, 3, 1))
        assert february is not None and march is not None
        assert development_funnel(february) == {("applicant", "youth_league_leader"): 1}
        assert development_funnel(march) == {("activist", "youth_league_leader"): 1}
