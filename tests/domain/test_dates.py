"""Every step has a business date, and a case's dates stay in order (domain.md "Dates"; issue 13 finding 1)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from branchflow.domain.actions import parse_action
from branchflow.domain.dates import Dated, latest
from branchflow.domain.errors import RuleViolation
from branchflow.domain.people import MemberStatus

from .cases import add_members, facts, memory_application, organization, registration, stamp, with_formal_branch

TODAY = date(2026, 12, 1)
BORN_2006 = date(2006, 1, 1)


def refused(change: object) -> RuleViolation:
    assert callable(change)
    with pytest.raises(RuleViolation) as raised:
        change()
    return raised.value


class TestTheCarefulOrganizersBackdating:
    """Finding 1, step by step: each backdated step is refused naming the step it would come before."""

    def test_date_out_of_order_activist_before_application(self) -> None:
        org = with_formal_branch(organization(on=date(2020, 2, 1)), on=date(2020, 3, 1))
        person = org.record_applicant("Li Na", "female", BORN_2006, "bachelor", stamp(TODAY))
        v = refused(lambda: org.designate_activist(person, stamp(date(2022, 1, 1))))
        assert (v.rule, v.earlier_step, v.earlier_on) == ("date_out_of_order", "applicant_recorded", TODAY)

    def test_the_whole_way_in_date_order_is_accepted_and_each_interval_is_measured_between_business_dates(
        self
    ) -> None:
        org = with_formal_branch(organization(on=date(2020, 2, 1)), on=date(2020, 3, 1))
        person = org.record_applicant("Li Na", "female", BORN_2006, "bachelor", stamp(date(2024, 1, 2)))
        org.designate_activist(person, stamp(date(2024, 2, 1)))
        v = refused(lambda: org.confirm_development_target(person, stamp(date(2025, 1, 31))))
        assert (v.rule, v.earlier_step, v.earlier_on) == ("cultivation_year_not_over", "activist_designated",
                                                          date(2024, 2, 1))
        org.confirm_development_target(person, stamp(date(2025, 2, 1)))
        v = refused(lambda: org.record_political_review(person, True, stamp(date(2025, 1, 31))))
        assert (v.rule, v.earlier_step) == ("date_out_of_order", "development_target_confirmed")
        org.record_political_review(person, True, stamp(date(2025, 2, 10)))
        org.record_training(person, date(2025, 2, 20), date(2025, 2, 22), 18, stamp(date(2025, 2, 22)))
        v = refused(lambda: org.admit_probationary(person, ["P1", "P2"], stamp(date(2025, 2, 21))))
        assert (v.rule, v.earlier_step) == ("date_out_of_order", "training_recorded")  # after the training
        org.admit_probationary(person, ["P1", "P2"], stamp(date(2025, 3, 1)))
        v = refused(lambda: org.approve_probationary(person, stamp(date(2025, 2, 28))))
        assert (v.rule, v.earlier_step) == ("date_out_of_order", "probationary_admitted")
        org.approve_probationary(person, stamp(date(2025, 4, 1)))
        v = refused(lambda: org.convert_to_formal(person, stamp(date(2026, 2, 28))))
        assert (v.rule, v.earlier_step, v.earlier_on) == ("probation_not_over", "probationary_admitted",
                                                          date(2025, 3, 1))
        org.convert_to_formal(person, stamp(date(2026, 3, 1)))
        assert org.members[person].status is MemberStatus.FORMAL

    def test_applicant_under_18_on_the_business_date(self) -> None:
        org = organization(on=date(2020, 2, 1))
        v = refused(lambda: org.record_applicant("Li Na", "female", BORN_2006, "bachelor", stamp(date(2023, 6, 1))))
        assert v.rule == "applicant_under_18"

    def test_the_talk_and_the_review_come_after_the_steps_they_follow(self) -> None:
        org = organization(on=date(2020, 2, 1))
        person = org.record_applicant("Li Na", "female", date(1990, 1, 1), "bachelor", stamp(date(2024, 5, 1)))
        assert refused(lambda: org.talk_to_applicant(person, stamp(date(2024, 4, 30)))).earlier_step == \
            "applicant_recorded"
        org.designate_activist(person, stamp(date(2024, 6, 1)))
        assert refused(lambda: org.review_activist(person, stamp(date(2024, 5, 31)))).earlier_step == \
            "activist_designated"


class TestBeforeFounding:
    def test_date_out_of_order_before_founding(self) -> None:
        org = organization(founded_on=date(2021, 6, 1), on=date(2022, 1, 1))
        v = refused(lambda: org.report_headcount(20, False, stamp(date(2021, 5, 31))))
        assert (v.rule, v.earlier_step, v.earlier_on) == ("date_out_of_order", "founded", date(2021, 6, 1))
        v = refused(lambda: add_members(org, 1, on=date(2021, 1, 1)))
        assert v.earlier_step == "founded"

    def test_a_registration_before_the_founding_is_refused_naming_the_founding_and_stores_nothing(self) -> None:
        # issue 13 finding 9: occurred_on before founded_on was accepted. Refused as a step's date is (a rule of
        # the case's dates, 409 naming the earlier date), not as a malformed body.
        app = memory_application()
        early = registration(founded_on=date(2024, 5, 1), occurred_on=date(2024, 4, 30))
        v = refused(lambda: app.register_organization(early, "organizer-1", TODAY))
        assert (v.rule, v.earlier_step, v.earlier_on) == ("date_out_of_order", "founded", date(2024, 5, 1))
        on_the_day = registration(founded_on=date(2024, 5, 1), occurred_on=date(2024, 5, 1))
        assert app.register_organization(on_the_day, "organizer-1", TODAY).registered_on == date(2024, 5, 1)


class TestClosing:
    def test_date_out_of_order_closing_before_the_last_step(self) -> None:
        # Finding 1: a case could close on a date before it was registered.
        org = organization(on=date(2024, 3, 1))
        v = refused(lambda: org.close_case(stamp(date(2024, 2, 1))))
        assert (v.rule, v.earlier_step, v.earlier_on) == ("date_out_of_order", "registered", date(2024, 3, 1))
        org.report_headcount(20, False, stamp(date(2024, 6, 1)))
        assert refused(lambda: org.close_case(stamp(date(2024, 5, 1)))).earlier_step == "headcount_reported"
        org.close_case(stamp(date(2024, 6, 1)))


class TestBranchSteps:
    def test_approval_after_the_request_and_election_after_the_approval(self) -> None:
        org = organization(on=date(2024, 3, 1))
        add_members(org, 3)
        org.request_formal_branch("Branch", None, stamp(date(2024, 4, 1)))
        v = refused(lambda: org.approve_formal_branch(None, stamp(date(2024, 3, 31), actor="supervisor-1")))
        assert (v.rule, v.earlier_step) == ("date_out_of_order", "formal_branch_requested")
        org.approve_formal_branch(None, stamp(date(2024, 4, 20), actor="supervisor-1"))
        v = refused(lambda: org.elect_branch_committee("Member 1", None, [], stamp(date(2024, 4, 19))))
        assert v.earlier_step == "formal_branch_approved"

    def test_a_member_is_transferred_after_joining(self) -> None:
        org = organization(on=date(2024, 3, 1))
        (member,) = add_members(org, 1, transferred=False, on=date(2024, 5, 1))
        assert refused(lambda: org.transfer_in(member, stamp(date(2024, 4, 1)))).earlier_step == "member_added"


class TestNotADate:
    @pytest.mark.parametrize("value", [0, 1700000000, "0", "1700000000", True, 20240101])
    def test_a_number_is_not_a_business_date(self, value: object) -> None:
        with pytest.raises(ValidationError) as raised:
            parse_action({"action": "close_case", "occurred_on": value}, TODAY)
        assert [e["loc"][-1] for e in raised.value.errors()] == ["occurred_on"]

    def test_nor_a_founding_date(self) -> None:
        with pytest.raises(ValidationError):
            registration(founded_on=0)
        assert facts()["founded_on"] < TODAY


def test_a_closing_may_come_before_the_workflows_reminders_and_escalations_which_are_no_steps() -> None:
    org = organization()
    org.remind("hold_election", "", date(2024, 9, 1), stamp(date(2024, 6, 1)))  # recorded on its own day
    org.escalate("develop_members", "", date(2024, 5, 1), stamp(date(2024, 5, 2)))
    org.close_case(stamp(date(2024, 4, 1)))  # the organization was deregistered in April, recorded later
    assert org.closed_on == date(2024, 4, 1)


class TestLatest:
    def test_the_latest_step_is_the_last_given_of_equals_and_none_without_any(self) -> None:
        first, second, later = Dated("a", date(2024, 3, 1)), Dated("b", date(2024, 3, 1)), Dated("c", date(2024, 5, 1))
        assert latest(first, second) is second and latest(second, first) is first
        assert latest(later, None, first) is later and latest(None, first) is first
        assert latest() is None and latest(None, None) is None
