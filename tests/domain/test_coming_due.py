"""domain.md "What comes due": relation transfers, terms and elections, the Youth League (党建带团建) and the union
where configured."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from branchflow.domain.actions import next_actions, parse_action
from branchflow.domain.errors import RuleViolation
from branchflow.domain.obligations import Obligation, obligations
from branchflow.domain.records import PartyOrganization
from branchflow.domain.rules import SEED_THRESHOLDS, PartyOrgType, Thresholds

from .cases import add_members, organization, stamp, with_formal_branch

APRIL = date(2025, 4, 10)


def due(org: object, rule: str, t: Thresholds = SEED_THRESHOLDS) -> list[Obligation]:
    return [o for o in obligations(org, t) if o.rule == rule]  # type: ignore[arg-type]


class TestRelationTransfers:
    def test_a_requested_transfer_is_due_three_months_later_and_reminded_on_that_day(self) -> None:
        org = organization()
        member, = add_members(org, 1, transferred=False)
        org.request_transfer_in(member, "中共某村委员会", stamp(APRIL))
        [o] = due(org, "complete_transfer")
        assert (o.subject, o.due_on, o.reminders) == (member, date(2025, 7, 10), (date(2025, 7, 10),))
        assert org.members[member].transfer_from == "中共某村委员会"

    def test_the_months_are_configurable(self) -> None:
        org = organization()
        member, = add_members(org, 1, transferred=False)
        org.request_transfer_in(member, "Village branch", stamp(APRIL))
        assert [o.due_on for o in due(org, "complete_transfer", Thresholds(transfer_due_months=2))] == [
            date(2025, 6, 10)]

    def test_transferring_in_or_abandoning_ends_it(self) -> None:
        org = organization()
        first, second = add_members(org, 2, transferred=False)
        org.request_transfer_in(first, "Village branch", stamp(APRIL))
        org.request_transfer_in(second, "Another branch", stamp(APRIL))
        org.transfer_in(first, stamp(date(2025, 5, 1)))
        parse_action({"action": "transfer_abandoned", "member_id": second, "reason": "调往外地"}).apply(
            org, stamp(date(2025, 5, 2), "调往外地"), SEED_THRESHOLDS)
        assert due(org, "complete_transfer") == []
        assert org.members[first].relation_transferred and not org.members[second].relation_transferred
        assert org.members[second].transfer_from is None

    def test_one_transfer_at_a_time_and_only_of_a_relation_elsewhere(self) -> None:
        org = organization()
        here, away = add_members(org, 1)[0], add_members(org, 1, transferred=False)[0]
        with pytest.raises(RuleViolation) as raised:
            org.request_transfer_in(here, "Village branch", stamp(APRIL))
        assert raised.value.rule == "already_transferred"
        other, = add_members(org, 1, transferred=False)
        org.request_transfer_in(away, "Village branch", stamp(APRIL))
        with pytest.raises(RuleViolation) as raised:
            org.request_transfer_in(away, "Village branch", stamp(APRIL))
        assert raised.value.rule == "transfer_pending"
        org.request_transfer_in(other, "Village branch", stamp(APRIL))
        with pytest.raises(RuleViolation) as raised:
            org.request_transfer_in(other, "Village branch", stamp(APRIL))
        assert raised.value.rule == "no_member_to_transfer_in"  # nobody left whose transfer could be asked for

    def test_giving_up_needs_a_reason_and_a_transfer_under_way(self) -> None:
        with pytest.raises(ValidationError, match="reason"):
            parse_action({"action": "transfer_abandoned", "member_id": "P1", "reason": "  "})
        org = organization()
        add_members(org, 1, transferred=False)
        with pytest.raises(RuleViolation) as raised:
            org.transfer_abandoned("P1", stamp(APRIL, "why"))
        assert raised.value.rule == "no_transfer_pending"


class TestTermsAndElections:
    def test_an_elected_branch_holds_its_next_election_in_three_years_reminded_six_and_one_month_before(
        self,
    ) -> None:
        org = with_formal_branch(organization(), on=date(2024, 1, 10))
        org.elect_branch_committee("Member 1", None, [], stamp(date(2024, 2, 1)))
        [o] = due(org, "hold_election")
        assert o.due_on == date(2027, 2, 1)
        assert o.reminders == (date(2026, 8, 1), date(2027, 1, 1))

    def test_a_grassroots_committee_serves_five_years(self) -> None:
        org = organization()
        org.formal_branch = PartyOrganization("Committee", PartyOrgType.COMMITTEE, date(2024, 1, 10))
        add_members(org, 5)
        names = [m.name for m in org.members.values()]
        org.elect_branch_committee(names[0], None, names, stamp(date(2024, 2, 1)))
        assert [o.due_on for o in due(org, "hold_election")] == [date(2029, 2, 1)]

    def test_the_result_is_filed_by_the_superior_committee_within_a_month(self) -> None:
        org = with_formal_branch(organization(), on=date(2024, 1, 10))
        assert due(org, "file_election_result") == []
        org.elect_branch_committee("Member 1", None, [], stamp(date(2024, 2, 1)))
        assert [o.due_on for o in due(org, "file_election_result")] == [date(2024, 3, 1)]
        assert parse_action({"action": "file_election_result"}).SUPERVISOR_ONLY
        org.file_election_result(stamp(date(2024, 2, 20), actor="supervisor-1"))
        assert due(org, "file_election_result") == []
        with pytest.raises(RuleViolation) as raised:
            org.file_election_result(stamp(date(2024, 2, 21)))
        assert raised.value.rule == "no_election_to_file"

    def test_a_branch_that_lost_every_formal_member_holds_no_election_until_rebuilt(self) -> None:
        """Its officers are formal members present, so it has nobody to elect: the election is neither offered
        nor owed (the term's obligation and its reminders) while it is to be rebuilt or dissolved; rebuilt, the
        term is owed again (review: the page offered 选举支部委员会 to an empty branch and refused it)."""
        org = with_formal_branch(organization(), on=date(2024, 1, 10))
        org.elect_branch_committee("Member 1", None, [], stamp(date(2024, 2, 1)))
        for member in list(org.members):
            org.transfer_out(member, stamp(date(2024, 4, 1)))
        assert due(org, "hold_election") == []
        assert "elect_branch_committee" not in next_actions(org, date(2024, 4, 1), SEED_THRESHOLDS)
        with pytest.raises(RuleViolation) as raised:
            org.elect_branch_committee("Member 1", None, [], stamp(date(2024, 4, 2)))
        assert raised.value.rule == "not_formed"
        add_members(org, 3, on=date(2024, 5, 1))
        assert [o.due_on for o in due(org, "hold_election")] == [date(2027, 2, 1)]

    def test_a_new_election_starts_a_new_term(self) -> None:
        org = with_formal_branch(organization(), on=date(2024, 1, 10))
        org.elect_branch_committee("Member 1", None, [], stamp(date(2024, 2, 1)))
        org.file_election_result(stamp(date(2024, 2, 20)))
        org.elect_branch_committee("Member 2", None, [], stamp(date(2027, 1, 20)))
        assert [o.due_on for o in due(org, "hold_election")] == [date(2030, 1, 20)]
        assert [o.due_on for o in due(org, "file_election_result")] == [date(2027, 2, 20)]


class TestTheYouthLeague:
    def test_a_standalone_party_organization_sets_up_the_youth_league_alongside(self) -> None:
        org = organization()
        add_members(org, 3)
        assert due(org, "form_youth_league") == []
        with_formal_branch(org, members=0, on=date(2024, 3, 1))
        assert [o.due_on for o in due(org, "form_youth_league")] == [date(2024, 9, 1)]
        assert [o.due_on for o in due(org, "form_youth_league", Thresholds(youth_league_within_months=3))] == [
            date(2024, 6, 1)]
        org.form_youth_league(stamp(date(2024, 5, 1)))
        assert due(org, "form_youth_league") == []

    def test_a_party_organization_that_lost_every_formal_member_owes_no_youth_league(self) -> None:
        """The obligation is discharged by `form_youth_league`, which needs a formed party organization: one
        whose members all left must be rebuilt first (its own obligation), so the league is not owed meanwhile,
        nor the union (review finding F5: the queue showed the league due with no step to take)."""
        org = with_formal_branch(organization(), on=date(2024, 3, 1))
        for member in list(org.members):
            org.transfer_out(member, stamp(date(2024, 4, 1)))
        assert [o.rule for o in obligations(org, UNION) if o.rule.startswith("form_")] == []
        assert [o.rule for o in obligations(org)] == ["rebuild_or_dissolve_branch"]
        assert "form_youth_league" not in next_actions(org, date(2024, 4, 1), SEED_THRESHOLDS)


UNION = Thresholds(union_within_months=4)  # a jurisdiction that asks for the union alongside


class TestTheUnionWhereConfigured:
    def test_where_configured_a_standalone_party_organization_sets_up_the_union_alongside_the_league(self) -> None:
        org = organization()
        add_members(org, 3)
        assert due(org, "form_union", UNION) == []
        with_formal_branch(org, members=0, on=date(2024, 3, 1))
        assert [o.due_on for o in due(org, "form_union", UNION)] == [date(2024, 7, 1)]
        assert [o.rule for o in obligations(org, UNION) if o.rule.startswith("form_")] == [
            "form_youth_league", "form_union"]
        parse_action({"action": "form_union"}).apply(org, stamp(date(2024, 5, 1)), UNION)
        assert org.union_formed_on == date(2024, 5, 1)
        assert due(org, "form_union", UNION) == [] and len(due(org, "form_youth_league", UNION)) == 1

    def test_not_configured_there_is_no_union_obligation_and_no_step(self) -> None:
        org = with_formal_branch(organization(), on=date(2024, 3, 1))
        assert due(org, "form_union") == []
        with pytest.raises(RuleViolation) as raised:
            parse_action({"action": "form_union"}).apply(org, stamp(date(2024, 5, 1)), SEED_THRESHOLDS)
        assert raised.value.rule == "union_not_configured"

    def test_the_union_needs_a_formal_party_organization_and_is_set_up_once(self) -> None:
        org = organization()
        add_members(org, 3)
        with pytest.raises(RuleViolation) as raised:
            org.form_union(stamp(date(2024, 5, 1)), UNION)
        assert raised.value.rule == "not_formed"
        with_formal_branch(org, members=0, on=date(2024, 3, 1))
        org.form_union(stamp(date(2024, 5, 1)), UNION)
        with pytest.raises(RuleViolation) as raised:
            org.form_union(stamp(date(2024, 5, 2)), UNION)
        assert raised.value.rule == "union_formed"

    def test_the_months_must_be_zero_or_more(self) -> None:
        with pytest.raises(ValueError, match="union_within_months"):
            Thresholds(union_within_months=-1)
