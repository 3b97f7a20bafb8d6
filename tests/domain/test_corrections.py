"""Corrections: a mistake is corrected by a new event naming the corrected version; nothing is overwritten."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from branchflow.domain.actions import next_actions, parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.errors import AlreadyRegistered, CommandIdReused, ConcurrentChange, RuleViolation, UnknownPerson
from branchflow.domain.obligations import coverage_obligations, is_blank_spot
from branchflow.domain.organization import Organization
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import SEED_THRESHOLDS, PartyOrgType

from .cases import (
    DAY,
    add_members,
    applicant,
    credit_code,
    memory_application,
    organization,
    register,
    registration,
    stamp,
)


def replayed(events: Sequence[Any]) -> Organization:
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert isinstance(copy, Organization)
    return copy


class TestFacts:
    def test_a_correction_is_a_new_event_naming_the_corrected_version(self) -> None:
        org = organization(employees=10)
        org.correct_facts(1, {"employees": 120}, stamp(reason="typo in the registration"))
        event = org.pending_events[-1]
        assert type(event).__name__ == "FactsCorrected"
        assert (event.corrects, event.changes, event.originator_version) == (1, {"employees": 120}, 2)  # type: ignore[attr-defined]
        assert org.employees == 120

    def test_the_corrected_event_stays_in_the_history(self) -> None:
        app = memory_application()
        org_id = register(app, employees=10)
        app.perform(org_id, parse_action({"action": "correct_facts", "corrects": 1, "changes": {"employees": 12},
                                          "reason": "counted the owner twice"}), "organizer-1", date(2024, 3, 2))
        history = app.history(org_id)
        assert [h.type for h in history] == ["Registered", "FactsCorrected"]
        assert history[0].data["employees"] == 10
        assert history[1].data == {"corrects": 1, "changes": {"employees": 12}}
        assert history[1].reason == "counted the owner twice"
        assert app.case(org_id, version=1).employees == 10 and app.case(org_id).employees == 12

    @pytest.mark.parametrize("version", [0, 2, 99])
    def test_a_correction_must_name_an_event_of_the_case(self, version: int) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().correct_facts(version, {"employees": 5}, stamp())
        assert raised.value.rule == "unknown_event"

    def test_a_correction_may_name_an_event_not_yet_saved(self) -> None:
        org = organization()
        org.report_headcount(40, False, stamp())
        org.correct_facts(2, {"employees": 44}, stamp())
        assert org.employees == 44

    def test_only_facts_may_be_corrected(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().correct_facts(1, {"members": {}}, stamp())
        assert raised.value.rule == "not_correctable"

    def test_an_empty_correction_is_refused(self) -> None:
        with pytest.raises(RuleViolation) as raised:
            organization().correct_facts(1, {}, stamp())
        assert raised.value.rule == "nothing_to_correct"

    def test_a_corrected_headcount_changes_the_obligations(self) -> None:
        org = organization(employees=10)
        org.correct_facts(1, {"employees": 60}, stamp())
        assert is_blank_spot(org)

    def test_registered_and_credit_code_stay_consistent(self) -> None:
        org = organization()
        with pytest.raises(RuleViolation) as raised:
            org.correct_facts(1, {"registered": False}, stamp())
        assert raised.value.rule == "credit_code_mismatch"
        org.correct_facts(1, {"registered": False, "credit_code": None}, stamp())
        assert (org.registered, org.credit_code) == (False, None)

    def test_a_credit_code_must_fit_the_kind(self) -> None:
        org = organization(kind="economic")
        with pytest.raises(RuleViolation, match="issued to a social organization"):
            org.correct_facts(1, {"credit_code": credit_code("social")}, stamp())

    def test_a_subtype_must_fit_the_kind(self) -> None:
        org = organization(kind="economic")
        org.correct_facts(1, {"subtype": "foreign_invested"}, stamp())
        assert org.subtype == "foreign_invested"
        for changes in ({"subtype": "foundation"}, {"kind": "social", "registered": False, "credit_code": None}):
            with pytest.raises(RuleViolation) as raised:
                org.correct_facts(1, changes, stamp())
            assert raised.value.rule == "subtype_mismatch"
        org.correct_facts(1, {"kind": "social", "subtype": "foundation", "registered": False, "credit_code": None},
                          stamp())
        assert (org.kind, org.subtype) == ("social", "foundation")

    def test_a_closed_case_takes_no_corrections(self) -> None:
        # Choice: "a closed case takes no further steps" holds for corrections too (the forms offer none).
        org = organization()
        org.close_case(stamp())
        with pytest.raises(RuleViolation) as raised:
            org.correct_facts(1, {"employees": 5}, stamp())
        assert raised.value.rule == "case_closed"

    def test_replaying_a_correction_gives_the_corrected_state(self) -> None:
        org = organization()
        org.correct_facts(1, {"name": "Acme Ltd.", "industry": "F"}, stamp())
        copy = replayed(org.collect_events())
        assert (copy.name, copy.industry) == ("Acme Ltd.", "F")


class TestValuesAreCheckedAsOnRegistration:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [({"employees": -1}, "employees: Input should be greater than or equal to 0"),
         ({"region_code": "4404"}, "region_code: region code must have 12 digits"),
         ({"industry": "Z"}, "industry: industry must be a GB/T 4754 section letter"),
         ({"founded_on": "2030-01-01"}, "founded_on: date 2030-01-01 is in the future"),
         ({"credit_code": "91440403000000001X"}, "credit_code: unified social credit code has a wrong check"),
         ({"name": " "}, "name: String should have at least 1 character"),
         ({"subtype": "partnership"}, "subtype: Input should be 'private'"),
         ({"owner": "x"}, "owner is not a field that can be corrected")],
    )
    def test_a_wrong_value_is_refused_naming_the_field(self, changes: dict[str, Any], message: str) -> None:
        with pytest.raises(ValidationError) as raised:
            parse_action({"action": "correct_facts", "corrects": 1, "changes": changes}, date(2024, 6, 1))
        (error,) = raised.value.errors()
        assert error["loc"][-1] == "changes" and message in error["msg"]

    def test_values_are_normalized(self) -> None:
        step = parse_action({"action": "correct_facts", "corrects": 1,
                             "changes": {"industry": " f ", "region_code": "440403001002", "name": " Acme "}})
        assert step.changes == {"industry": "F", "region_code": "440403001002", "name": "Acme"}  # type: ignore[attr-defined]


class TestMembers:
    def test_a_members_details_are_corrected_by_a_new_event(self) -> None:
        org = organization()
        (member,) = add_members(org, 1)
        org.correct_member(member, 2, {"name": "Wang Fang", "education": "postgraduate"}, stamp())
        assert (org.members[member].name, org.members[member].education) == ("Wang Fang", "postgraduate")
        assert type(org.pending_events[-1]).__name__ == "MemberCorrected"

    def test_a_members_status_is_not_a_correction(self) -> None:
        org = organization()
        (member,) = add_members(org, 1)
        with pytest.raises(RuleViolation) as raised:
            org.correct_member(member, 2, {"status": "formal"}, stamp())
        assert raised.value.rule == "not_correctable"

    def test_only_a_present_member_is_corrected(self) -> None:
        org = organization()
        member, _ = add_members(org, 2)
        org.transfer_out(member, stamp())
        with pytest.raises(UnknownPerson):
            org.correct_member(member, 2, {"name": "Wang Fang"}, stamp())

    def test_a_correction_cannot_make_a_member_younger_than_18(self) -> None:
        org = organization()
        (member,) = add_members(org, 1)
        with pytest.raises(RuleViolation) as raised:
            org.correct_member(member, 2, {"birth_date": date(2010, 1, 1)}, stamp())
        assert raised.value.rule == "member_under_18"

    def test_a_correction_cannot_make_two_records_of_one_member(self) -> None:
        org = organization()
        first, second = add_members(org, 2)
        twin = {f: getattr(org.members[first], f) for f in ("name", "gender", "birth_date")}
        with pytest.raises(RuleViolation) as raised:
            org.correct_member(second, 3, twin, stamp())
        assert raised.value.rule == "person_recorded_twice"
        org.correct_member(first, 2, {**twin, "education": "postgraduate"}, stamp())  # itself: no duplicate

    def test_member_values_are_checked(self) -> None:
        with pytest.raises(ValidationError, match="gender"):
            parse_action({"action": "correct_member", "member_id": "P1", "corrects": 2,
                          "changes": {"gender": "other"}})
        step = parse_action({"action": "correct_member", "member_id": "P1", "corrects": 2,
                             "changes": {"education": "bachelor"}})
        assert step.changes == {"education": "bachelor"}  # type: ignore[attr-defined]


class TestCorrectionsCorrectWhatTheyName:
    """issue 13 finding 3: a correction of an old event overwrote later facts."""

    def test_correcting_the_registration_after_a_later_headcount_keeps_the_current_headcount(self) -> None:
        org = organization(employees=10)
        org.report_headcount(200, True, stamp(date(2024, 6, 1)))
        org.correct_facts(1, {"employees": 12}, stamp(date(2024, 7, 1)))
        assert org.employees == 200 and org.above_scale
        assert "party_organization_required" in {o.rule for o in coverage_obligations(org)}
        assert org.fact_records is not None and org.fact_records["1"].values["employees"] == 12

    def test_a_headcount_reported_with_a_date_before_the_registration_is_the_current_headcount(self) -> None:
        # Found in review: a case entered today and a headcount of last month reported after it was recorded
        # and accepted but changed nothing (the registration, dated later, stayed "the latest").
        org = organization(employees=20)
        org.report_headcount(150, True, stamp(date(2024, 2, 1)))
        assert (org.employees, org.above_scale) == (150, True)
        assert "party_organization_required" in {o.rule for o in coverage_obligations(org)}
        assert replayed(org.collect_events()).employees == 150

    def test_correcting_the_latest_headcount_report_changes_the_current_headcount(self) -> None:
        org = organization(employees=10)
        org.report_headcount(200, True, stamp(date(2024, 6, 1)))
        org.correct_facts(2, {"employees": 150}, stamp(date(2024, 7, 1)))
        assert org.employees == 150
        replay = replayed(org.collect_events())
        assert replay.employees == 150 and replay.fact_records == org.fact_records

    def test_a_headcount_report_corrects_only_its_own_facts(self) -> None:
        org = organization()
        org.report_headcount(20, False, stamp())
        with pytest.raises(RuleViolation) as raised:
            org.correct_facts(2, {"name": "Acme"}, stamp())
        assert raised.value.rule == "not_correctable"

    def test_not_a_fact_event(self) -> None:
        # correct_facts could name any event, a member's addition included.
        org = organization()
        (member,) = add_members(org, 1)
        with pytest.raises(RuleViolation) as raised:
            org.correct_facts(2, {"employees": 5}, stamp())
        assert raised.value.rule == "not_a_fact_event"
        org.transfer_out(member, stamp())
        add_members(org, 1)
        with pytest.raises(RuleViolation) as raised:
            org.correct_member("P2", 2, {"name": "Li"}, stamp())  # P1's addition, not P2's
        assert raised.value.rule == "not_a_fact_event"

    def test_joint_not_neighbours_after_a_corrected_region(self) -> None:
        org = organization()
        add_members(org, 1)
        org.join_joint_branch(JointBranchMembership("J1", "Joint", PartyOrgType.BRANCH, DAY, []), stamp())
        with pytest.raises(RuleViolation) as raised:
            org.correct_facts(1, {"region_code": "440403002001"}, stamp())
        assert raised.value.rule == "joint_not_neighbours"
        with pytest.raises(RuleViolation) as raised:
            org.correct_facts(1, {"industry": "F"}, stamp())
        assert raised.value.rule == "joint_not_close_in_industry"
        org.correct_facts(1, {"region_code": "440403001002"}, stamp())  # another community of the same street

    def test_a_founding_corrected_after_the_first_step_is_date_out_of_order(self) -> None:
        org = organization(on=date(2024, 3, 1))
        with pytest.raises(RuleViolation) as raised:
            org.correct_facts(1, {"founded_on": date(2024, 4, 1)}, stamp())
        assert (raised.value.rule, raised.value.earlier_step) == ("date_out_of_order", "registered")


class TestCreditCodes:
    """issue 13 finding 9: a correction gave a case another case's credit code, or a fresh one a new
    registration then reused. Uniqueness is checked where registration checks it: in the application."""

    def test_credit_code_taken_by_another_case(self) -> None:
        app = memory_application()
        first, second = register(app), register(app)
        taken = app.case(first).credit_code
        with pytest.raises(RuleViolation) as raised:
            app.perform(second, parse_action({"action": "correct_facts", "corrects": 1,
                                              "changes": {"credit_code": taken}}), "organizer-1", DAY)
        assert raised.value.rule == "credit_code_taken"
        assert app.case(second).version == 1

    def test_credit_code_taken_by_a_correction_is_refused_to_a_new_registration(self) -> None:
        app = memory_application()
        org_id = register(app)
        fresh = credit_code()
        app.perform(org_id, parse_action({"action": "correct_facts", "corrects": 1,
                                          "changes": {"credit_code": fresh}}), "organizer-1", DAY)
        with pytest.raises(RuleViolation) as raised:
            app.register_organization(registration(credit_code=fresh), "organizer-1", DAY)
        assert raised.value.rule == "credit_code_taken"

    def test_a_code_corrected_away_is_free_to_register_and_then_held_by_its_new_case(self) -> None:
        """issue 13 finding 9 (reviewer): case ids derive from the code, so the code's real owner got
        already_registered naming the case the code was corrected away from."""
        app = memory_application()
        wrong = register(app)
        code = app.case(wrong).credit_code
        assert code is not None
        correct(app, wrong, credit_code())
        owner = registration(credit_code=code, command_id="owner-1")
        new = app.register_organization(owner, "organizer-1", DAY)
        assert new.id != wrong and new.credit_code == code and app.case(wrong).credit_code != code
        assert app.register_organization(owner, "organizer-1", DAY).id == new.id  # a retry: the same case
        with pytest.raises(CommandIdReused):  # the id with another request of the code
            app.register_organization(registration(credit_code=code, command_id="owner-1", employees=11),
                                      "organizer-1", DAY)
        with pytest.raises(AlreadyRegistered) as raised:  # the code is held again: by the new case
            app.register_organization(registration(credit_code=code), "organizer-1", DAY)
        assert raised.value.organization_id == new.id
        with pytest.raises(RuleViolation) as refused:  # nor may the first case take it back
            correct(app, wrong, code)
        assert refused.value.rule == "credit_code_taken"

    def test_a_code_corrected_away_twice_registers_a_third_case(self) -> None:
        app = memory_application()
        first = register(app)
        code = app.case(first).credit_code
        correct(app, first, credit_code())
        second = app.register_organization(registration(credit_code=code), "organizer-1", DAY).id
        correct(app, second, credit_code())
        third = app.register_organization(registration(credit_code=code), "organizer-1", DAY).id
        assert len({first, second, third}) == 3 and app.case(third).credit_code == code

    def test_a_code_claimed_by_a_correction_and_corrected_away_again_is_free(self) -> None:
        app = memory_application()
        org_id = register(app)
        fresh = credit_code()
        correct(app, org_id, fresh)
        correct(app, org_id, credit_code())
        assert app.register_organization(registration(credit_code=fresh), "organizer-1", DAY).credit_code == fresh

    def test_a_code_no_case_holds_is_free_to_a_correction(self) -> None:
        app = memory_application()
        first, other = register(app), register(app)
        code = app.case(first).credit_code
        assert code is not None
        correct(app, first, credit_code())
        correct(app, other, code)
        assert app.case(other).credit_code == code
        with pytest.raises(RuleViolation) as raised:  # held by the case corrected onto it
            app.register_organization(registration(credit_code=code), "organizer-1", DAY)
        assert raised.value.rule == "credit_code_taken"

    def test_a_registration_for_another_id_than_its_workflows_writes_nothing(self) -> None:
        """The workflow client chose the workflow by `registration_id`; the code changed hands since."""
        app = memory_application()
        first = register(app)
        code = app.case(first).credit_code
        assert code is not None
        correct(app, first, credit_code())
        with pytest.raises(ConcurrentChange):
            app.register_organization(registration(credit_code=code), "organizer-1", DAY, at=first)
        assert app.registration_id(registration(credit_code=code)) != first
        assert app.holder(code) is None  # nothing written: the code is still free


def correct(app: FormationApplication, org_id: UUID, code: str | None) -> None:
    app.perform(org_id, parse_action({"action": "correct_facts", "corrects": 1, "changes": {"credit_code": code}}),
                "organizer-1", DAY)


class TestCandidates:
    """A person in development's details are corrected like a member's (domain.md "Corrections"): only in the
    event that recorded the person, re-checking the age at application and that the person is recorded once."""

    def test_a_candidates_details_are_corrected_in_the_application_that_recorded_them(self) -> None:
        org = organization()
        person = applicant(org)
        org.correct_candidate(person, 2, {"name": "Wang Fang", "education": "postgraduate"}, stamp())
        assert (org.candidates[person].name, org.candidates[person].education) == ("Wang Fang", "postgraduate")
        event = org.pending_events[-1]
        assert type(event).__name__ == "CandidateCorrected"
        assert (event.corrects, event.person_id) == (2, person)  # type: ignore[attr-defined]
        assert replayed(org.collect_events()).candidates[person].name == "Wang Fang"

    def test_only_the_candidates_own_record_is_corrected(self) -> None:
        org = organization()
        first, second = applicant(org), applicant(org)
        for wrong in (1, 3):  # the registration; the other person's application
            with pytest.raises(RuleViolation) as raised:
                org.correct_candidate(first, wrong, {"name": "Wang Fang"}, stamp())
            assert raised.value.rule == "not_a_fact_event" and "correct_candidate" in raised.value.message
        assert org.candidates[second].name != "Wang Fang"

    def test_a_correction_cannot_make_the_applicant_younger_than_18_at_the_application(self) -> None:
        org = organization()
        person = applicant(org, on=date(2024, 3, 1))
        with pytest.raises(RuleViolation) as raised:
            org.correct_candidate(person, 2, {"birth_date": date(2006, 6, 1)}, stamp())
        assert raised.value.rule == "applicant_under_18"
        org.correct_candidate(person, 2, {"birth_date": date(2006, 3, 1)}, stamp())  # 18 on the day applied
        assert org.candidates[person].birth_date == date(2006, 3, 1)

    def test_a_correction_cannot_make_two_records_of_one_person(self) -> None:
        org = organization()
        (member,) = add_members(org, 1)
        person = applicant(org)
        same = {"name": org.members[member].name, "gender": org.members[member].gender,
                "birth_date": org.members[member].birth_date}
        with pytest.raises(RuleViolation) as raised:
            org.correct_candidate(person, 3, same, stamp())
        assert raised.value.rule == "person_recorded_twice"
        org.correct_candidate(person, 3, {"name": org.candidates[person].name, "education": "bachelor"}, stamp())

    def test_a_candidates_stage_is_not_a_correction_and_one_who_left_is_not_corrected(self) -> None:
        org = organization()
        person = applicant(org)
        with pytest.raises(RuleViolation) as raised:
            org.correct_candidate(person, 2, {"stage": "activist"}, stamp())
        assert raised.value.rule == "not_correctable"
        other = applicant(org)
        org.withdraw_candidate(person, stamp())
        with pytest.raises(UnknownPerson):
            org.correct_candidate(person, 2, {"name": "Wang Fang"}, stamp())
        assert "correct_candidate" in next_actions(org, DAY, SEED_THRESHOLDS)
        org.withdraw_candidate(other, stamp())
        assert "correct_candidate" not in next_actions(org, DAY, SEED_THRESHOLDS)  # nobody left to correct
