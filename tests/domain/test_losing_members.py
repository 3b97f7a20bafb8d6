"""Party organizations that lose their members (domain.md), and obligations that arise after the founding year."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from branchflow.domain.actions import parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.obligations import coverage_obligations, is_blank_spot
from branchflow.domain.organization import Organization
from branchflow.domain.rules import Method, PartyOrgType, formed, method, organization_covered, work_covered

from .cases import add_members, memory_application, organization, register, stamp, with_formal_branch

LEFT = date(2024, 5, 10)


def rules(org: Organization) -> dict[str, date | None]:
    return {o.rule: o.due_on for o in coverage_obligations(org)}


def leaving(org: Organization, count: int, on: date = LEFT) -> Organization:
    formal = [m.id for m in org.members.values() if m.present and m.status == "formal"]
    for member in formal[:count]:
        org.transfer_out(member, stamp(on))
    return org


class TestRebuildOrDissolve:
    def test_a_standalone_branch_with_no_formal_member_left_is_neither_formed_nor_covered(self) -> None:
        org = leaving(with_formal_branch(organization()), 3)
        assert not formed(org) and not organization_covered(org) and not work_covered(org)
        assert method(org) is None

    def test_it_must_be_rebuilt_or_dissolved_within_three_months(self) -> None:
        org = leaving(with_formal_branch(organization()), 3)
        assert rules(org) == {"rebuild_or_dissolve_branch": date(2024, 8, 10)}
        assert is_blank_spot(org)

    def test_probationary_members_alone_do_not_keep_it_formed(self) -> None:
        org = with_formal_branch(organization())
        add_members(org, 2, status="probationary")
        leaving(org, 3)
        assert not formed(org)
        assert "rebuild_or_dissolve_branch" in rules(org)

    def test_dissolving_it_ends_the_obligation(self) -> None:
        org = leaving(with_formal_branch(organization()), 3)
        org.dissolve_branch(stamp(date(2024, 6, 1)))
        assert "rebuild_or_dissolve_branch" not in rules(org)

    def test_new_formal_members_rebuild_it(self) -> None:
        org = leaving(with_formal_branch(organization()), 3)
        add_members(org, 3, on=date(2024, 6, 1))
        assert formed(org) and method(org) is Method.STANDALONE and rules(org) == {}


class TestAdjust:
    def test_one_or_two_formal_members_left_stay_formed_but_must_adjust_within_six_months(self) -> None:
        org = leaving(with_formal_branch(organization()), 2)
        assert formed(org) and not is_blank_spot(org)
        assert rules(org) == {"adjust_party_organization": date(2024, 11, 10)}

    def test_a_third_formal_member_ends_the_adjustment(self) -> None:
        org = leaving(with_formal_branch(organization()), 1)
        add_members(org, 1, on=date(2024, 6, 1))
        assert rules(org) == {}


class TestObligationsThatAriseLater:
    def test_an_obligation_arising_after_the_founding_year_is_due_at_the_end_of_its_year(self) -> None:
        # issue 13 finding 2: founded 2024, the third transferred-in formal member arrives on 2026-05-01.
        org = organization(founded_on=date(2024, 3, 1), on=date(2024, 3, 1))
        add_members(org, 2, on=date(2025, 1, 10))
        add_members(org, 1, on=date(2026, 5, 1))
        assert rules(org)["standalone_branch_required"] == date(2026, 12, 31)

    def test_never_sooner_than_three_months_after_it_arose(self) -> None:
        org = organization(founded_on=date(2024, 3, 1), on=date(2024, 3, 1))
        add_members(org, 3, on=date(2026, 11, 20))
        assert rules(org)["standalone_branch_required"] == date(2027, 2, 20)

    def test_headcount_passing_100_later_arises_on_its_business_date(self) -> None:
        org = organization(founded_on=date(2024, 3, 1), on=date(2024, 3, 1))
        org.report_headcount(150, True, stamp(date(2027, 10, 15)))
        assert rules(org)["party_organization_required"] == date(2028, 1, 15)

    def test_the_founding_years_deadline_still_binds_the_founding_year(self) -> None:
        org = organization(founded_on=date(2024, 3, 1), on=date(2024, 3, 1))
        add_members(org, 3, on=date(2024, 9, 1))
        assert rules(org)["standalone_branch_required"] == date(2024, 12, 31)

    def test_an_obligation_that_stops_and_arises_again_arises_on_its_new_date(self) -> None:
        org = organization(founded_on=date(2024, 3, 1), on=date(2024, 3, 1), employees=150)
        org.report_headcount(90, False, stamp(date(2025, 1, 1)))
        org.report_headcount(130, True, stamp(date(2026, 11, 1)))
        assert rules(org)["party_organization_required"] == date(2027, 2, 1)

    def test_nothing_is_overdue_on_the_day_it_arises(self) -> None:
        org = organization(founded_on=date(2024, 3, 1), on=date(2024, 3, 1))
        add_members(org, 3, on=date(2025, 12, 31))
        assert all(due is None or due > date(2025, 12, 31) for due in rules(org).values())


class TestJointBranchesThatLoseTheirMembers:
    """issue 13 finding 4: joint branches whose members left, or one of whose organizations closed, stayed formed."""

    def joint(self, app: FormationApplication, members: tuple[int, int] = (1, 2)) -> list[UUID]:
        ids = [register(app, n, name=f"Neighbour {i}") for i, n in enumerate(members)]
        app.form_joint_branch("Joint branch", ids, PartyOrgType.BRANCH, stamp(), None)
        return ids

    def test_a_joint_branch_whose_members_all_transferred_out_is_not_formed_for_any(self) -> None:
        app = memory_application()
        first, second = self.joint(app)
        for org_id in (first, second):
            for member in list(app.case(org_id).members):
                app.perform(org_id, parse_action({"action": "transfer_out", "member_id": member}), "o", LEFT)
        for org_id in (first, second):
            org = app.case(org_id)
            assert not formed(org) and not organization_covered(org) and method(org) is None
            assert rules(org)["rebuild_or_dissolve_branch"] == date(2024, 8, 10) and is_blank_spot(org)

    def test_after_one_of_two_organizations_closed_the_other_must_adjust(self) -> None:
        app = memory_application()
        first, second = self.joint(app)
        app.perform(second, parse_action({"action": "close_case"}), "o", LEFT)
        org = app.case(first)
        assert org.joint_branch is not None and org.joint_branch.organization_ids == [str(first)]
        assert formed(org) and rules(org) == {"adjust_party_organization": date(2024, 11, 10)}

    def test_a_member_leaving_a_joint_branch_of_four_recounts_the_others(self) -> None:
        app = memory_application()
        first, second = self.joint(app, (2, 2))
        (member, _) = app.case(first).members
        app.perform(first, parse_action({"action": "transfer_out", "member_id": member}), "o", LEFT)
        assert app.case(second).joint_branch.formal_members == 3  # type: ignore[union-attr]
        assert rules(app.case(second)) == {}
