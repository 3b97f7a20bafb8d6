"""Cases stored under the old rules (their events written past today's guards, as old code wrote them): they
are read back as stored, never rewritten, and the case names each rule it breaks with what corrects it."""

from __future__ import annotations

from datetime import date

from branchflow.domain.breaches import broken_rules
from branchflow.domain.case import case_view
from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.rules import SEED_THRESHOLDS, PartyOrgType

from .cases import ADULT, DAY, add_members, memory_application, organization, stamp, with_formal_branch


def rules_broken(org: Organization) -> list[str]:
    return [b.rule for b in broken_rules(org)]


def test_a_case_that_keeps_todays_rules_breaks_none() -> None:
    org = with_formal_branch(organization(), members=7)
    org.elect_branch_committee("Member 1", None, ["Member 1", "Member 2", "Member 3"], stamp())
    assert broken_rules(org) == []
    assert case_view(org, DAY, SEED_THRESHOLDS).broken_rules == []


def test_a_step_stored_before_the_founding_is_named_with_the_correction_of_the_founding_date() -> None:
    org = organization(on=date(2014, 6, 1))  # registered before its founding (2015-01-15), as old code let it
    org._member_added("P1", "Wang", "male", ADULT, "bachelor", "formal", True, None, stamp(date(2014, 7, 1)))
    found = broken_rules(org)
    assert [b.rule for b in found] == ["date_out_of_order"]
    assert "2014-06-01" in found[0].detail and "founded on 2015-01-15" in found[0].detail
    assert "correct_facts" in found[0].fix


def test_an_applicant_under_18_and_a_development_target_within_the_year_are_named() -> None:
    org = organization()
    org._applicant_recorded("P1", "Li", "female", date(2008, 1, 1), "senior_middle", stamp(date(2024, 1, 1)))
    org._activist_designated("P1", stamp(date(2024, 1, 2)))
    org._development_target_confirmed("P1", stamp(date(2024, 2, 1)))
    found = {b.rule: b for b in broken_rules(org)}
    assert set(found) == {"applicant_under_18", "cultivation_year_not_over"}
    assert "correct_candidate" in found["applicant_under_18"].fix
    assert "2025-01-02" in found["cultivation_year_not_over"].detail  # when the year is over


def test_an_admission_approved_seven_months_after_the_vote_is_named() -> None:
    """Finding 8: such an approval passed silently; the stored one is named, the next one is refused."""
    org = with_formal_branch(organization(), members=3)
    org._applicant_recorded("P4", "Li", "female", ADULT, "bachelor", stamp(date(2022, 1, 1)))
    org._activist_designated("P4", stamp(date(2022, 2, 1)))
    org._development_target_confirmed("P4", stamp(date(2023, 3, 1)))
    org._probationary_admitted("P4", ["P1", "P2"], stamp(date(2024, 3, 1)))
    org._probationary_approved("P4", stamp(date(2024, 10, 2)))
    found = broken_rules(org)
    assert [b.rule for b in found] == ["approval_too_late"]
    assert "2024-03-01" in found[0].detail and "cancel_probation" in found[0].fix


def test_a_member_entered_at_17_and_the_same_person_twice_are_named() -> None:
    org = organization()
    org._member_added("P1", "Zhang", "male", date(2010, 1, 1), "bachelor", "formal", True, None, stamp())
    org._member_added("P2", "Chen", "female", ADULT, "bachelor", "formal", True, None, stamp())
    org._member_added("P3", "Chen", "female", ADULT, "bachelor", "probationary", True, DAY, stamp())
    found = {b.rule: b for b in broken_rules(org)}
    assert set(found) == {"member_under_18", "person_recorded_twice"}
    assert "P1" in found["member_under_18"].fix and "correct_member" in found["member_under_18"].fix
    assert "P3 and P2" in found["person_recorded_twice"].detail


def test_a_committee_of_a_size_its_type_may_not_have_and_a_secretary_from_outside_are_named() -> None:
    org = organization()
    add_members(org, 60)
    org.request_formal_branch("Committee", PartyOrgType.COMMITTEE, stamp())
    org._formal_branch_approved("committee", stamp(reason="old approval"))
    org._branch_committee_elected("Outsider", None, ["Member 1", "Member 2", "Member 3"], stamp())
    found = {b.rule: b for b in broken_rules(org)}
    assert set(found) == {"committee_size", "officer_not_formal_member"}
    assert "5 to 11" in found["committee_size"].detail and "elect_branch_committee" in found["committee_size"].fix


def test_a_stored_case_is_read_back_unchanged_and_its_view_names_the_rules_after_every_step() -> None:
    app = memory_application()
    org = organization()
    org._member_added("P1", "Zhang", "male", date(2010, 1, 1), "bachelor", "formal", True, None, stamp())
    app.save(org)
    stored: Organization = app.repository.get(org.id)
    assert stored.members["P1"].birth_date == date(2010, 1, 1)  # not rewritten
    add_members(stored, 1)  # a step on it is taken ...
    view = case_view(stored, DAY, SEED_THRESHOLDS)
    assert [b.rule for b in view.broken_rules] == ["member_under_18"]  # ... and its answer says what to fix
    stored.correct_member("P1", 2, {"birth_date": date(1990, 1, 1)}, stamp())
    assert rules_broken(stored) == []
    assert stored.members["P1"].status is MemberStatus.FORMAL
