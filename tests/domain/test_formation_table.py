"""What one organization adds to the statistics table, and a case as it stood at the end of a past date."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from branchflow.domain.as_of import business_date, case_as_of, states_by_date
from branchflow.domain.errors import DomainError
from branchflow.domain.formation_table import NOTHING, formation_counts, should_have_party_organization
from branchflow.domain.obligations import obligations
from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.rules import SEED_THRESHOLDS
from branchflow.projections.rows import case_row, member_rows, values

from .cases import add_members, organization, stamp, with_formal_branch

DAY = date(2024, 3, 1)


def test_a_closed_organization_counts_in_no_column() -> None:
    org = organization(employees=150)
    add_members(org, 2)
    org.close_case(stamp())
    assert formation_counts(org) == NOTHING


@pytest.mark.parametrize(
    ("formal", "probationary", "employees", "part"),
    [(3, 0, 10, "should_have_none_3_plus"), (2, 0, 10, "should_have_none_1_2"),
     (2, 2, 10, "should_have_none_1_2"), (0, 0, 150, "should_have_none_no_members"), (0, 0, 60, None)],
)
def test_should_have_none_is_one_of_its_three_parts(formal: int, probationary: int, employees: int,
                                                      part: str | None) -> None:
    org = organization(employees=employees)
    add_members(org, formal, transferred=False)
    add_members(org, probationary, status="probationary")
    counts = formation_counts(org)
    parts = {"should_have_none_3_plus", "should_have_none_1_2", "should_have_none_no_members"}
    assert {name for name in parts if getattr(counts, name)} == ({part} if part else set())
    assert counts.should_have_none == int(part is not None) == int(should_have_party_organization(org))
    assert (counts.members, counts.members_not_transferred) == (formal + probationary, formal)


def test_the_parts_add_up_to_the_whole_for_any_mix_of_members() -> None:
    rng = random.Random(5)
    for _ in range(200):
        org = organization(employees=rng.choice([5, 60, 150]), registered=rng.random() < 0.5)
        for i in range(rng.randrange(0, 5)):
            org.add_member(f"Member {i}", "male", date(1980, 1, 1), "bachelor",
                           rng.choice([MemberStatus.FORMAL, MemberStatus.PROBATIONARY]), rng.random() < 0.5, stamp())
        c = formation_counts(org)
        assert c.should_have_none == c.should_have_none_3_plus + c.should_have_none_1_2 + c.should_have_none_no_members


def replayed(org: Organization, day: date) -> Organization | None:
    return case_as_of(org.collect_events(), day)


def test_a_case_as_of_a_day_keeps_what_happened_by_then() -> None:
    org = organization(on=date(2024, 1, 10), employees=10)
    add_members(org, 2, on=date(2024, 2, 1))
    org.report_headcount(80, False, stamp(date(2024, 6, 1)))
    org.assign_instructor("Li", stamp(date(2024, 9, 1)))
    events = org.collect_events()
    assert case_as_of(events, date(2024, 1, 9)) is None  # not registered yet
    january = case_as_of(events, date(2024, 1, 31))
    assert january is not None and (len(january.members), january.employees) == (0, 10)
    june = case_as_of(events, date(2024, 6, 1))
    assert june is not None and (len(june.members), june.employees, june.instructor) == (2, 80, None)
    assert june.version == 4  # its last kept event
    later = case_as_of(events, date(2025, 1, 1))
    assert later is not None and later.instructor == "Li" and later.version == org.version


def test_steps_recorded_before_the_registration_count_from_their_own_dates() -> None:
    """Organizers record the past (domain.md "Dates"): an organization founded in 2015 and entered today may
    have had its branch since 2016. As of a day of that history the case stands as it did then; it is not
    absent from every table until the day it was entered (review finding F1)."""
    org = with_formal_branch(organization(on=date(2024, 1, 10), founded_on=date(2015, 1, 1)), on=date(2016, 3, 1))
    events = org.collect_events()
    assert case_as_of(events, date(2016, 2, 29)) is None  # nothing happened yet
    then = case_as_of(events, date(2020, 12, 31))
    assert then is not None and (formation_counts(then).branch, len(then.members)) == (1, 3)
    assert [day for day, _ in states_by_date(events)] == [date(2016, 3, 1)]  # the registration kept from then


def test_a_later_correction_of_a_kept_event_counts_as_known_now() -> None:
    org = organization(on=date(2024, 1, 10), employees=10)
    org.report_headcount(80, False, stamp(date(2024, 6, 1)))
    org.correct_facts(1, {"employees": 12, "subtype": "foreign_invested"}, stamp(date(2025, 3, 1)))  # the registration
    org.correct_facts(2, {"employees": 90}, stamp(date(2025, 3, 2)))  # the headcount report
    events = org.collect_events()
    before_report = case_as_of(events, date(2024, 5, 31))
    assert before_report is not None and (before_report.employees, before_report.subtype) == (12, "foreign_invested")
    after_report = case_as_of(events, date(2024, 12, 31))
    assert after_report is not None and after_report.employees == 90


def test_the_youth_league_column_counts_the_step_that_meets_the_league_obligation_from_its_date() -> None:
    """domain.md's table: `youth_league` counts organizations with the Youth League set up, which is what
    `form_youth_league` records and what ends the 党建带团建 obligation; as of a date, from the step's date."""
    org = with_formal_branch(organization(on=date(2024, 1, 10)), on=date(2024, 3, 1))

    def league(case: Organization | None) -> tuple[int, bool]:
        assert case is not None
        return formation_counts(case).youth_league, any(o.rule == "form_youth_league" for o in obligations(case))

    assert league(org) == (0, True)
    org.form_youth_league(stamp(date(2024, 5, 1)))
    assert league(org) == (1, False)
    events = org.collect_events()
    assert league(case_as_of(events, date(2024, 4, 30))) == (0, True)
    assert league(case_as_of(events, date(2024, 5, 1))) == (1, False)
    org.dissolve_branch(stamp(date(2024, 9, 1)))  # the league stays set up: the organization still counts
    assert league(org) == (1, False)


def backdated_history(rng: random.Random, serial: int) -> Organization:
    """A case whose steps come on random dates, some before steps recorded earlier, with later corrections."""
    first = date(2021, 1, 1) + timedelta(days=rng.randrange(0, 300))
    org = organization(on=first, employees=rng.choice([5, 60, 150]), name=f"Backdated {serial}",
                       founded_on=date(2020, 1, 1))
    verbs: list[Callable[[date], object]] = [
        lambda d: org.add_member(f"Member {org.people_count}", "male", date(1980, 1, 1), "bachelor",
                                 rng.choice([MemberStatus.FORMAL, MemberStatus.PROBATIONARY]), rng.random() < 0.6,
                                 stamp(d)),
        lambda d: org.transfer_in(rng.choice([m.id for m in org.members.values()] or ["P0"]), stamp(d)),
        lambda d: org.report_headcount(rng.choice([10, 80, 200]), False, stamp(d)),
        lambda d: org.assign_instructor("Li", stamp(d)), lambda d: org.withdraw_instructor(stamp(d)),
        lambda d: org.affiliate("Village", stamp(d)), lambda d: org.establish_temporary_branch("Temp", stamp(d)),
        lambda d: org.correct_facts(rng.choice([1, org.version]), {"employees": rng.choice([3, 120])},
                                    stamp(max(d, first), reason="counted again")),
    ]
    for _ in range(rng.randrange(0, 10)):
        try:
            rng.choice(verbs)(first + timedelta(days=rng.randrange(-20, 700)))
        except (DomainError, KeyError):
            continue
    return org


def test_the_states_by_date_are_the_replays_of_every_day() -> None:
    """`states_by_date` (one pass over the dates a case changes on) gives the state `case_as_of` replays for
    every day, also with steps recorded out of date order and corrections of earlier events."""
    rng = random.Random(15)
    for serial in range(80):
        org = backdated_history(rng, serial)
        events = org.collect_events()
        states = [(day, counted(state)) for day, state in states_by_date(events)]
        assert states and states[0][0] == min(business_date(e) for e in events)  # steps before the registration too
        for day in sorted({s[0] for s in states} | {states[0][0] + timedelta(days=rng.randrange(-5, 800))
                                                    for _ in range(4)}):
            then = [c for d, c in states if d <= day]
            reference = case_as_of(copy.deepcopy(events), day)  # events of its own: no state shared
            assert (then[-1] if then else None) == (counted(reference) if reference else None), (serial, day)


def counted(org: Organization) -> tuple[object, ...]:
    """What the read models take from a state: every column of its rows, and its version."""
    return (values(case_row(org, SEED_THRESHOLDS)), sorted(map(values, member_rows(org))))
