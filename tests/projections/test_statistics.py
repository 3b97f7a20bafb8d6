"""Statistics: Doumen's party organizations and members (the seed's figures), ages on a given day."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import psycopg
import pytest

from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import PartyOrgType
from branchflow.domain.values import Education
from branchflow.projections import Scope, statistics
from branchflow.projections.as_of import rows_as_of
from branchflow.projections.statistics import development_funnel
from tests.domain.cases import organization, stamp, with_formal_branch

from .conftest import projected

DOUMEN = "440403"
SPECIAL = f"{DOUMEN}001099"  # the community of the one organization whose members' ages and schooling vary
TODAY = date(2025, 6, 30)
# (birth date, gender, education) of the special members; everyone else is a man born 1990-05-20, a graduate.
SPECIAL_MEMBERS = [
    (date(1964, 6, 30), "female", "junior_middle"),  # 61 today: over 60
    (date(1964, 2, 29), "male", "primary_or_less"),  # 61 today (60 on 2025-02-28, 61 from 2025-03-01)
    (date(1964, 7, 1), "female", "junior_middle"),  # 60 until tomorrow: 46 to 60
    (date(1965, 6, 30), "male", "junior_middle"),  # 60
    (date(1979, 6, 30), "female", "senior_middle"),  # 46 today
    (date(1979, 7, 1), "male", "bachelor"),  # 45: 35 to 45
    (date(1990, 6, 30), "female", "bachelor"),  # 35 today
    (date(1990, 7, 1), "male", "bachelor"),  # 34: under 35
    (date(2000, 1, 1), "male", "postgraduate"),  # 25
]


def members(org: Organization, n: int, *, transferred: bool = True, status: str = "formal") -> None:
    for _ in range(n):  # a person is recorded once: each member by another name
        org.add_member(f"Member {org.people_count + 1}", "male", date(1990, 5, 20), "bachelor", MemberStatus(status),
                       transferred, stamp())


def formal_branch(org: Organization, org_type: PartyOrgType) -> Organization:
    org.request_formal_branch(f"Branch of {org.name}", org_type, stamp())
    org.approve_formal_branch(org_type, stamp(reason="the work needs it", actor="supervisor-1"))
    return org


@pytest.fixture(scope="module")
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    yield from projected(database_url, doumen())


def doumen() -> list[Organization]:
    """10 committees, 9 general branches, 193 branches and 1,566 members, as the seed reports for Doumen,
    plus 2 temporary branches and 3 joint branches over 7 organizations; and one closed organization."""
    orgs: list[Organization] = []

    def new(street: int = 1) -> Organization:
        org = organization(region_code=f"{DOUMEN}{street:03d}{1 + len(orgs) % 9:03d}")
        orgs.append(org)
        return org

    for _ in range(10):
        members(org := new(), 20)
        formal_branch(org, PartyOrgType.COMMITTEE)
    for _ in range(9):
        members(org := new(), 12)
        formal_branch(org, PartyOrgType.GENERAL_BRANCH)
    special = organization(region_code=SPECIAL)
    orgs.append(special)
    for born, gender, education in SPECIAL_MEMBERS:
        special.add_member(f"Special {special.people_count + 1}", gender, born, education, MemberStatus.FORMAL, True,
                           stamp())
    formal_branch(special, PartyOrgType.BRANCH)
    for i in range(192):  # 1,229 members: 77 branches of 7, 115 of 6 (3 of them probationary in the first)
        members(org := new(street=2), 7 if i < 77 else 6)
        if i == 0:
            members(org, 3, status="probationary")
            org.transfer_out(next(iter(org.members)), stamp())
            org.transfer_out(list(org.members)[1], stamp())
            org.transfer_out(list(org.members)[2], stamp())
        formal_branch(org, PartyOrgType.BRANCH)
    for _ in range(2):
        members(org := new(), 3, transferred=False)
        org.establish_temporary_branch("Temporary branch", stamp())
    for group_size in (2, 2, 3):
        group = [new(street=3) for _ in range(group_size)]
        for org in group:
            members(org, 2)
        joint = JointBranchMembership(f"joint-{len(orgs)}", "Joint branch", PartyOrgType.BRANCH, TODAY,
                                      [str(o.id) for o in group])
        for org in group:
            org.join_joint_branch(joint, stamp())
    members(closed := new(), 3)
    closed.close_case(stamp())
    return orgs


class TestDoumen:
    def test_party_organizations_by_type_count_each_joint_branch_once(self, conn: psycopg.Connection[Any]) -> None:
        found = statistics(conn, DOUMEN, TODAY).party_organizations
        assert found.model_dump() == {"committee": 10, "general_branch": 9, "branch": 193, "temporary": 2,
                                      "joint": 3}

    def test_members_of_open_organizations_with_the_seeds_shares(self, conn: psycopg.Connection[Any]) -> None:
        found = statistics(conn, DOUMEN, TODAY).members
        # 200 + 108 + 9 + 1,229 + 6 + 14 = 1,566; the closed organization's 3 members are out
        assert (found.total, found.formal, found.probationary) == (1566, 1563, 3)
        assert found.by_age_band == {"over_60": 2, "46_to_60": 3, "35_to_45": 1559, "under_35": 2}
        assert (found.over_60, found.female, found.junior_middle_or_less) == (2, 4, 4)
        assert found.over_60_share == 2 / 1566 and found.female_share == 4 / 1566
        assert found.junior_middle_or_less_share == 4 / 1566
        assert found.by_education == {Education.primary_or_less: 1, Education.junior_middle: 3,
                                      Education.senior_middle: 1, Education.junior_college: 0,
                                      Education.bachelor: 1560, Education.postgraduate: 1}
        assert found.by_gender == {"male": 1562, "female": 4}

    def test_ages_are_whole_years_on_the_day_asked(self, conn: psycopg.Connection[Any]) -> None:
        def bands(today: date) -> dict[str, int]:
            found = statistics(conn, SPECIAL, today).members.by_age_band
            return {band: n for band, n in found.items() if n}

        assert bands(TODAY) == {"over_60": 2, "46_to_60": 3, "35_to_45": 2, "under_35": 2}
        # the day before: the member born 1964-06-30 is 60, the one born 1979-06-30 45, 1990-06-30 34
        assert bands(date(2025, 6, 29)) == {"over_60": 1, "46_to_60": 3, "35_to_45": 2, "under_35": 3}
        # born on 29 February 1964: 60 on 28 February 2025, 61 on 1 March
        assert bands(date(2025, 2, 28)).get("over_60", 0) == 0
        assert bands(date(2025, 3, 1))["over_60"] == 1

    def test_a_community_streets_and_district_agree(self, conn: psycopg.Connection[Any]) -> None:
        community = statistics(conn, SPECIAL, TODAY)  # read from the rows, not the summaries
        assert (community.members.total, community.members.female, community.party_organizations.branch) == (9, 4, 1)
        streets = [statistics(conn, f"{DOUMEN}{s:03d}", TODAY) for s in (1, 2, 3)]
        district = statistics(conn, DOUMEN, TODAY)
        assert sum(s.members.total for s in streets) == district.members.total
        assert sum(s.party_organizations.branch for s in streets) == district.party_organizations.branch
        empty = statistics(conn, "4405", TODAY)
        assert empty.members.total == 0 and empty.members.female_share is None


def test_the_development_funnel_by_stage_and_focus_group_today_and_as_of_a_date(database_url: str) -> None:
    """Issue 18: candidates and new members per stage and focus group, from the rows of today or of a past date
    (`as_of.rows_as_of`), as the statistics report them."""
    region = "440403009"  # a street no other test here uses
    org = with_formal_branch(organization(on=date(2023, 1, 2), region_code=f"{region}001"), on=date(2023, 1, 2))
    person = org.record_applicant("周敏", "female", date(1995, 5, 1), "bachelor", stamp(date(2023, 2, 1)),
                                  focus_group="union_leader")
    org.designate_activist(person, stamp(date(2023, 3, 1)))
    org.confirm_development_target(person, stamp(date(2024, 3, 1)))
    org.record_political_review(person, True, stamp(date(2024, 3, 2)))
    org.record_training(person, date(2024, 3, 3), date(2024, 3, 5), 24, stamp(date(2024, 3, 5)))
    org.admit_probationary(person, ["P1", "P2"], stamp(date(2024, 3, 6)))
    org.approve_probationary(person, stamp(date(2024, 3, 20), actor="supervisor-1"))
    org.convert_to_formal(person, stamp(date(2025, 3, 6)))
    org.record_applicant("吴刚", "male", date(1990, 1, 1), "bachelor", stamp(date(2024, 6, 1)))

    def funnel(db: psycopg.Connection[Any], day: date | None) -> dict[tuple[str, str], int]:
        if day is None:
            found = statistics(db, region, TODAY).development
        else:
            with rows_as_of(db, day) as past:
                found = statistics(db, region, day, past.cases, past.members).development
        assert found is not None
        return {(stage, group): n for group, stages in found.by_focus_group.items()
                for stage, n in stages.items() if n}

    with contextmanager(projected)(database_url, [org]) as db:
        assert funnel(db, date(2023, 12, 31)) == {("activist", "union_leader"): 1}
        assert funnel(db, date(2024, 12, 31)) == {("probationary", "union_leader"): 1, ("applicant", "untagged"): 1}
        assert funnel(db, None) == {("formal", "union_leader"): 1, ("applicant", "untagged"): 1}
        development = statistics(db, region, TODAY).development
        assert development is not None
        assert (development.by_stage["applicant"], development.new_members) == (1, 1)
        with db.cursor() as cur:  # a street's, district's, city's from the summaries: what the rows count
            for prefix in (region, region[:6], region[:4]):
                assert statistics(db, prefix, TODAY).development == development_funnel(cur, Scope(region=prefix))
