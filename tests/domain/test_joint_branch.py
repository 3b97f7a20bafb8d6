"""Joint branch (联合组建): neighbours in region and close in industry, each with fewer than 3 members."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from branchflow.domain.actions import parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.breaches import broken_rules
from branchflow.domain.errors import RuleViolation
from branchflow.domain.joint_branch import joint_branch_groupings
from branchflow.domain.obligations import obligations
from branchflow.domain.organization import Organization
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import PartyOrgType, Stage, Thresholds, formed, joint_branch_violation, stage

from .cases import DAY, STREET, add_members, memory_application, organization, register, stamp, with_formal_branch


def with_members(count: int, **facts: Any) -> Organization:
    org = organization(**facts)
    add_members(org, count)
    return org


def rule(orgs: list[Organization], t: Thresholds | None = None) -> str | None:
    v = joint_branch_violation(orgs, t) if t else joint_branch_violation(orgs)
    return v.rule if v else None


def joint(orgs: list[Organization]) -> JointBranchMembership:
    return JointBranchMembership("J1", "Joint branch", PartyOrgType.BRANCH, DAY, [str(o.id) for o in orgs])


class TestTheRule:
    def test_neighbours_in_one_street_and_industry_section_with_three_members_together_may_form_one(self) -> None:
        assert rule([with_members(2), with_members(1)]) is None

    def test_organizations_in_different_streets_may_not(self) -> None:
        other_street = STREET[:6] + "002001"
        assert rule([with_members(2), with_members(1, region_code=other_street)]) == "joint_not_neighbours"

    def test_different_communities_of_one_street_are_neighbours(self) -> None:
        assert rule([with_members(2), with_members(1, region_code=STREET + "007")]) is None

    def test_organizations_in_different_industry_sections_may_not(self) -> None:
        assert rule([with_members(2), with_members(1, industry="F")]) == "joint_not_close_in_industry"

    def test_each_must_have_fewer_than_three_transferred_in_formal_members(self) -> None:
        assert rule([with_members(3), with_members(1)]) == "standalone_required"

    def test_each_brings_at_least_one_member(self) -> None:
        # Choice: "fewer than 3" means one or two; an organization without members joins no branch.
        assert rule([with_members(2), with_members(1), with_members(0)]) == "joint_needs_members_of_each"

    def test_a_member_whose_relation_sits_elsewhere_is_a_member_to_bring(self) -> None:
        elsewhere = organization()
        add_members(elsewhere, 1, transferred=False)
        assert rule([with_members(2), with_members(1), elsewhere]) is None

    def test_together_they_need_three_or_more(self) -> None:
        assert rule([with_members(1), with_members(1)]) == "joint_needs_members"

    def test_members_whose_relation_sits_elsewhere_do_not_count_towards_a_joint_branch(self) -> None:
        elsewhere = organization()
        add_members(elsewhere, 2, transferred=False)
        assert rule([with_members(1), elsewhere]) == "joint_needs_members"

    def test_at_most_five_organizations(self) -> None:
        assert rule([with_members(1) for _ in range(5)]) is None
        assert rule([with_members(1) for _ in range(6)]) == "joint_too_many_organizations"

    def test_one_organization_is_not_a_joint_branch(self) -> None:
        assert rule([with_members(2)]) == "joint_needs_organizations"

    def test_the_same_organization_named_twice_counts_once(self) -> None:
        org = with_members(2)
        assert rule([org, org]) == "joint_needs_organizations"

    def test_an_organization_with_a_formal_party_organization_may_not_join(self) -> None:
        assert rule([with_formal_branch(organization()), with_members(1)]) == "already_formed"

    def test_the_limits_are_configuration(self) -> None:
        orgs = [with_members(1) for _ in range(3)]
        assert rule(orgs, Thresholds(joint_branch_max_organizations=2)) == "joint_too_many_organizations"
        assert rule(orgs, Thresholds(branch_members=4)) == "joint_needs_members"


class TestMembership:
    def test_a_member_of_a_joint_branch_is_formed_in_the_formal_stage(self) -> None:
        org = with_members(1)
        org.join_joint_branch(joint([org]), stamp())
        assert formed(org) and stage(org) is Stage.FORMAL_BRANCH
        assert org.joint_branch is not None and org.joint_branch.name == "Joint branch"

    def test_an_organization_already_in_a_joint_branch_cannot_join_another(self) -> None:
        org = with_members(1)
        org.join_joint_branch(joint([org]), stamp())
        with pytest.raises(RuleViolation) as raised:
            org.join_joint_branch(joint([org]), stamp())
        assert raised.value.rule == "already_formed"

    def test_joining_replaces_a_temporary_branch(self) -> None:
        org = organization(registered=False)
        add_members(org, 3, transferred=False)
        org.establish_temporary_branch("Temporary branch", stamp())
        org.join_joint_branch(joint([org]), stamp())
        assert org.temporary_branch is None

    def test_joining_replaces_an_affiliation(self) -> None:
        org = with_members(1)
        org.affiliate("Village branch", stamp())
        org.join_joint_branch(joint([org]), stamp())
        assert org.affiliation is None

    def test_leaving_the_joint_branch_falls_back(self) -> None:
        org = with_members(1)
        org.join_joint_branch(joint([org]), stamp())
        org.leave_joint_branch(stamp())
        assert org.joint_branch is None and stage(org) is Stage.DEVELOPING_MEMBERS
        with pytest.raises(RuleViolation) as raised:
            org.leave_joint_branch(stamp())
        assert raised.value.rule == "not_in_joint_branch"

    def test_a_branch_of_its_own_replaces_the_joint_branch(self) -> None:
        org = with_members(2)
        org.join_joint_branch(joint([org]), stamp())
        add_members(org, 1)
        org.request_formal_branch("Own branch", None, stamp())
        org.approve_formal_branch(None, stamp(actor="supervisor-1"))
        assert org.joint_branch is None and org.formal_branch is not None


class TestForming:
    def test_forming_a_joint_branch_records_one_event_per_organization(self) -> None:
        app = memory_application()
        ids = [register(app, 2), register(app, 1), register(app, 1, transferred=False)]
        orgs = app.form_joint_branch("Street joint branch", ids, PartyOrgType.BRANCH, stamp(), None)
        assert [o.id for o in orgs] == ids
        for org_id in ids:
            org = app.case(org_id)
            assert org.joint_branch is not None
            assert org.joint_branch.organization_ids == [str(i) for i in ids]
            assert app.history(org_id)[-1].type == "JointBranchJoined"

    def test_if_one_organization_fails_the_check_nothing_is_written_for_any(self) -> None:
        app = memory_application()
        ids = [register(app, 2), register(app, 1), register(app, 1, industry="F")]
        versions = [app.case(i).version for i in ids]
        with pytest.raises(RuleViolation):
            app.form_joint_branch("Street joint branch", ids, PartyOrgType.BRANCH, stamp(), None)
        assert [app.case(i).version for i in ids] == versions

    def test_a_retried_formation_with_the_same_command_id_writes_once(self) -> None:
        app = memory_application()
        ids = [register(app, 2), register(app, 1)]
        first = app.form_joint_branch("Joint", ids, PartyOrgType.BRANCH, stamp(), "form-1")
        again = app.form_joint_branch("Joint", ids, PartyOrgType.BRANCH, stamp(), "form-1")
        assert [o.version for o in again] == [o.version for o in first]
        assert [len(app.history(i)) for i in ids] == [4, 3]


class TestSuggestions:
    def test_suggested_groups_are_neighbours_that_may_form_a_joint_branch(self) -> None:
        street_c = [with_members(n) for n in (2, 1, 1, 1, 2)]
        other_industry = [with_members(1, industry="F"), with_members(2, industry="F")]
        other_street = [with_members(2, region_code=STREET[:6] + "002001")]
        not_eligible = [with_members(3), with_members(0), with_formal_branch(organization())]
        groups = joint_branch_groupings(street_c + other_industry + other_street + not_eligible)
        assert groups and all(joint_branch_violation(g) is None for g in groups)
        grouped = [o.id for g in groups for o in g]
        assert len(grouped) == len(set(grouped))  # nobody in two groups
        assert not {o.id for o in other_street + not_eligible} & set(grouped)
        assert {o.id for o in other_industry} <= set(grouped)


class TestNobodyLeftOut:
    """issue 13 finding 5: grouping suggestions left organizations out."""

    @pytest.mark.parametrize(("members", "count", "sizes"), [(1, 7, [4, 3]), (2, 3, [3]), (1, 3, [3]), (2, 2, [2])])
    def test_groupings_leave_out_nobody_who_fits_a_group(self, members: int, count: int, sizes: list[int]) -> None:
        orgs = []
        for _ in range(count):
            org = organization()
            add_members(org, members)
            orgs.append(org)
        groups = joint_branch_groupings(orgs)
        assert sorted((len(g) for g in groups), reverse=True) == sizes
        assert all(joint_branch_violation(g) is None for g in groups)

    def test_joint_type_by_members(self) -> None:
        # A 3-member joint branch typed committee needed no reason.
        app = memory_application()
        ids = [register(app, 1, name=f"Neighbour {i}") for i in range(3)]
        with pytest.raises(RuleViolation) as raised:
            app.form_joint_branch("Joint", ids, PartyOrgType.COMMITTEE, stamp(), None)
        assert raised.value.rule == "type_exception_needs_reason"
        assert all(app.case(i).joint_branch is None for i in ids)
        app.form_joint_branch("Joint", ids, PartyOrgType.COMMITTEE, stamp(reason="the park's committee"), None)
        assert {app.case(i).joint_branch.type for i in ids} == {PartyOrgType.COMMITTEE}  # type: ignore[union-attr]


def named(app: FormationApplication, *names: str, **facts: Any) -> UUID:
    """An organization whose formal members (relation here) have the names given."""
    org_id = register(app, **facts)
    for name in names:
        app.perform(org_id, parse_action({
            "action": "add_member", "name": name, "gender": "female", "birth_date": "1985-01-01",
            "education": "bachelor", "status": "formal", "relation_transferred": True}), "organizer-1", DAY)
    return org_id


def elect(app: FormationApplication, org_id: UUID, secretary: str, committee: list[str] | None = None,
          told: list[UUID] | None = None) -> Organization:
    step = parse_action({"action": "elect_branch_committee", "secretary": secretary, "committee": committee or []})
    return app.perform(org_id, step, "organizer-1", DAY, told)


class TestElecting:
    """Issue 13 finding 5 / issue 17: a joint branch is one party organization of several cases."""

    def test_its_officers_may_be_members_of_any_of_its_organizations_and_every_case_shows_the_election(
            self) -> None:
        app = memory_application()
        x, y = named(app, "赵一", "赵二", name="X 公司"), named(app, "钱三", name="Y 公司")
        app.form_joint_branch("Joint", [x, y], PartyOrgType.BRANCH, stamp(), None)
        told: list[UUID] = []
        elect(app, x, "钱三", told=told)  # 钱三 is y's member: refused as not x's own before
        assert told == [y]  # y's workflow is told, as for a recount
        assert app.history(y)[-1].type == "JointBranchElectionShared"
        for org_id in (x, y):
            org = app.case(org_id)
            assert org.joint_branch is not None and org.joint_branch.secretary == "钱三"
            assert org.joint_branch.term_ends_on == app.case(x).joint_branch.term_ends_on is not None  # type: ignore[union-attr]
            assert {"hold_election", "file_election_result"} <= {o.rule for o in obligations(org)}
            assert broken_rules(org) == []  # x's secretary from y breaks no rule on x
        app.perform(y, parse_action({"action": "file_election_result"}), "supervisor-1", DAY)
        for org_id in (x, y):  # filed once for the joint branch: no case waits for it any more
            assert "file_election_result" not in {o.rule for o in obligations(app.case(org_id))}
        with pytest.raises(RuleViolation) as raised:
            elect(app, y, "孙四")
        assert raised.value.rule == "officer_not_formal_member"

    def test_one_whose_formal_members_all_left_holds_no_election_until_rebuilt(self) -> None:
        """As a standalone branch (test_coming_due): its officers are formal members present, so with none left
        in any of its organizations it owes no election (nor its reminders) and one is refused not_formed; a
        formal member again in one of them and the term is owed again (review: only the standalone was tested)."""
        app = memory_application()
        x, y = named(app, "赵一", "赵二", name="X 公司"), named(app, "钱三", name="Y 公司")
        app.form_joint_branch("Joint", [x, y], PartyOrgType.BRANCH, stamp(), None)
        elect(app, x, "钱三")
        term_ends = app.case(x).joint_branch.term_ends_on  # type: ignore[union-attr]
        for org_id in (x, y):
            for member in list(app.case(org_id).members):
                app.perform(org_id, parse_action({"action": "transfer_out", "member_id": member}), "o", DAY)
        for org_id in (x, y):
            org = app.case(org_id)
            assert not formed(org) and "hold_election" not in {o.rule for o in obligations(org)}
        with pytest.raises(RuleViolation) as raised:
            elect(app, y, "钱三")
        assert raised.value.rule == "not_formed"
        named_again = parse_action({
            "action": "add_member", "name": "孙四", "gender": "male", "birth_date": "1980-01-01",
            "education": "bachelor", "status": "formal", "relation_transferred": True})
        app.perform(y, named_again, "organizer-1", DAY)
        for org_id in (x, y):
            assert [o.due_on for o in obligations(app.case(org_id)) if o.rule == "hold_election"] == [term_ends]

    def test_its_committee_size_counts_the_formal_members_of_all_its_organizations(self) -> None:
        app = memory_application()
        ids = [named(app, f"甲{i}", f"乙{i}", name=f"Neighbour {i}") for i in range(3)]
        ids.append(named(app, "丙", name="Neighbour 3"))
        app.form_joint_branch("Joint", ids, PartyOrgType.BRANCH, stamp(reason="seven members"), None)
        with pytest.raises(RuleViolation) as raised:  # 7 formal members together: a committee of 3 to 7
            elect(app, ids[3], "丙")
        assert raised.value.rule == "committee_size"
        elect(app, ids[3], "丙", ["丙", "甲0", "乙2"])
        assert app.case(ids[0]).joint_branch.committee == ["丙", "甲0", "乙2"]  # type: ignore[union-attr]
