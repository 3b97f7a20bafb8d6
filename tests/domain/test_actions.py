"""The steps as validated commands: parse errors name the field, and the forms offer exactly what is allowed."""

from __future__ import annotations

import copy
import inspect
import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from branchflow.domain.actions import ACTIONS, SUPERVISOR_ACTIONS, next_actions, parse_action
from branchflow.domain.errors import DomainError, RuleViolation
from branchflow.domain.organization import Organization
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import SEED_THRESHOLDS, PartyOrgType
from branchflow.workflows.case_state import refusal

from .cases import (
    activist,
    add_members,
    admitted,
    applicant,
    development_target,
    organization,
    probationary,
    stamp,
    with_formal_branch,
)

TODAY = date(2025, 6, 1)
ADULT = {"name": "Zhang Wei", "gender": "male", "birth_date": "1990-01-01", "education": "bachelor"}


def loc_of(data: dict[str, Any], today: date | None = None) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as raised:
        parse_action(data, today)
    return [tuple(e["loc"]) for e in raised.value.errors()]


class TestParsing:
    def test_a_valid_step_is_parsed_with_its_common_fields(self) -> None:
        step = parse_action({"action": "report_headcount", "employees": 80, "above_scale": True,
                             "reason": "annual report", "occurred_on": "2025-01-31", "command_id": "c-1"}, TODAY)
        assert (step.reason, step.occurred_on, step.command_id) == ("annual report", date(2025, 1, 31), "c-1")
        assert type(step) is ACTIONS["report_headcount"]

    def test_an_unknown_action_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="action"):
            parse_action({"action": "promote"})

    @pytest.mark.parametrize(
        ("data", "field"),
        [({"action": "add_member", **ADULT, "status": "formal"}, "relation_transferred"),
         ({"action": "report_headcount", "employees": "many", "above_scale": False}, "employees"),
         ({"action": "report_headcount", "employees": -1, "above_scale": False}, "employees"),
         ({"action": "report_headcount", "employees": 1, "above_scale": False, "colour": "red"}, "colour"),
         ({"action": "record_applicant", **ADULT, "gender": "x"}, "gender"),
         ({"action": "record_applicant", **ADULT, "education": "phd"}, "education"),
         ({"action": "record_applicant", **ADULT, "name": ""}, "name"),
         ({"action": "affiliate", "party_org_name": "   "}, "party_org_name"),
         ({"action": "admit_probationary", "person_id": "P4", "introducer_ids": ["P1"]}, "introducer_ids"),
         ({"action": "extend_probation", "person_id": "P4", "months": 13}, "months"),
         ({"action": "extend_probation", "person_id": "P4", "months": 5}, "months"),
         ({"action": "talk_to_applicant", "person_id": "P" * 21}, "person_id"),
         ({"action": "elect_branch_committee", "secretary": "S", "committee": list("abcdefghijkl")}, "committee"),
         ({"action": "request_formal_branch", "name": "B", "party_org_type": "cell"}, "party_org_type"),
         ({"action": "correct_facts", "corrects": 0, "changes": {"employees": 1}}, "corrects"),
         ({"action": "close_case", "command_id": ""}, "command_id"),
         ({"action": "close_case", "occurred_on": "1949-09-30"}, "occurred_on")],
    )
    def test_a_validation_error_names_the_field(self, data: dict[str, Any], field: str) -> None:
        assert [loc[-1] for loc in loc_of(data)] == [field]
        assert all(loc[0] == data["action"] for loc in loc_of(data))

    def test_a_business_date_after_today_is_refused(self) -> None:
        data = {"action": "close_case", "occurred_on": "2025-06-02"}
        assert loc_of(data, TODAY) == [("close_case", "occurred_on")]
        assert parse_action(data).occurred_on == date(2025, 6, 2)  # without today, no future check

    def test_a_birth_date_after_today_is_refused(self) -> None:
        assert loc_of({"action": "record_applicant", **ADULT, "birth_date": "2025-07-01"}, TODAY) == [
            ("record_applicant", "birth_date")]

    def test_the_supervisor_alone_approves_and_rejects(self) -> None:
        assert {"approve_probationary", "approve_formal_branch", "reject_formal_branch", "reopen_case",
                "file_election_result", "allow_admission_despite_departure"} == SUPERVISOR_ACTIONS

    def test_every_verb_of_the_aggregate_is_an_action(self) -> None:
        # Joining (and recounting, and sharing its election with) a joint branch spans several cases, escalating
        # is the workflows' own: these are application commands, not steps on one case.
        own = {n for n, f in vars(Organization).items() if inspect.isfunction(f) and not n.startswith("_")}
        queries = {"member", "candidate", "next_person_id", "create_id", "party_organization_since"}
        assert own - queries - {"join_joint_branch", "escalate", "remind", "recount_joint_branch",
                                "share_joint_branch_election"} == set(ACTIONS)


# --- next_actions offers exactly what is allowed -------------------------------------------------


def people(org: Organization) -> list[str]:
    return sorted({*org.members, *org.candidates, "P99"})


def bodies(name: str, org: Organization) -> list[dict[str, Any]]:
    """Every input worth trying for an action on this case (persons, introducer pairs, options)."""
    persons = [{"person_id": p} for p in people(org)]
    officers = [m.name for m in org.members.values() if m.present and m.status == "formal"]
    members = [{"member_id": m} for m in people(org)]
    ten = dict.fromkeys(("plaque", "office_facilities", "activity_room", "e_education_equipment", "working_rules",
                         "archives", "party_flag", "leader_portraits", "notice_board", "official_seal"), True)
    five = dict.fromkeys(("leadership_team", "member_team", "working_mechanism", "development_results",
                          "mass_reputation"), True)
    choices: dict[str, list[dict[str, Any]]] = {
        "report_headcount": [{"employees": 10, "above_scale": False}],
        "add_member": [{**ADULT, "status": "formal", "relation_transferred": True}],
        "record_applicant": [ADULT],
        "admit_probationary": [{"person_id": p, "introducer_ids": list(pair)}
                               for p in people(org) for pair in itertools.combinations(people(org), 2)],
        "extend_probation": [{"person_id": p, "months": 6} for p in people(org)],
        "assign_instructor": [{"name": "Instructor Li"}],
        "change_responsible_committee": [{"responsible_committee": "ZH-LAW", "reason": "律师行业党委统一管理"}],
        "affiliate": [{"party_org_name": "Village branch"}],
        "establish_temporary_branch": [{"name": "Temporary branch"}],
        "request_formal_branch": [{"name": "Branch"}],
        "approve_formal_branch": [{"reason": "the supervisor's reason"}],
        "reopen_case": [{"reason": "closed by mistake"}],
        "elect_branch_committee": [{"secretary": n} for n in officers[:1]]
        + [{"secretary": officers[0], "committee": officers[:3]}] if officers else [{"secretary": "Chen"}],
        "rate_five_goods": [five], "check_ten_haves": [ten],
        "correct_facts": [{"corrects": 1, "changes": {"employees": 5}}],
        "correct_member": [{"member_id": p, "corrects": v, "changes": {"name": "Li"}}
                           for v, r in (org.fact_records or {}).items() if (p := r.subject)] or
                          [{**m, "corrects": 1, "changes": {"name": "Li"}} for m in members],
        "correct_candidate": [{"person_id": p, "corrects": v, "changes": {"name": "Li"}}
                              for v, r in (org.fact_records or {}).items() if (p := r.subject)] or
                             [{**pe, "corrects": 1, "changes": {"name": "Li"}} for pe in persons],
        "transfer_in": members, "transfer_out": members,
        "request_transfer_in": [{**m, "from_organization": "Village branch"} for m in members],
        "transfer_abandoned": [{**m, "reason": "the member moved away"} for m in members],
        "assign_cultivation_contacts": [{"person_id": p, "contact_ids": [c]} for p in people(org)
                                        for c in people(org)],
        "change_cultivation_contacts": [{"person_id": p, "contact_ids": [c], "reason": "the contact moved"}
                                        for p in people(org) for c in people(org)],
        "record_political_review": [{"person_id": p, "result": "passed"} for p in people(org)],
        "record_training": [{"person_id": p, "started_on": TODAY, "ended_on": TODAY, "class_hours": 24}
                            for p in people(org)],
        "record_departure": [{"person_id": p, "leaves_on": TODAY} for p in people(org)],
        "allow_admission_despite_departure": [{"person_id": p, "reason": "a transfer ordered"} for p in people(org)],
        "tag_focus_group": [{"person_id": p, "focus_group": "other"} for p in people(org)],
    }
    return choices.get(name, persons if ACTIONS[name].model_fields.get("person_id") else [{}])


def allowed(name: str, org: Organization) -> bool:
    for body in bodies(name, org):
        trial = copy.deepcopy(org)
        try:
            step = parse_action({"action": name, **body}, TODAY)
            step.apply(trial, stamp(TODAY, step.reason), SEED_THRESHOLDS)
        except DomainError:
            continue
        return True
    return False


def rich() -> Organization:
    """A formal branch with people at every stage, probations young and old, an instructor."""
    org = with_formal_branch(organization(employees=120), on=date(2023, 1, 1))
    add_members(org, 1, transferred=False)
    add_members(org, 1, status="probationary")
    applicant(org, date(2025, 5, 1))
    activist(org, date(2024, 1, 1))
    activist(org, date(2025, 1, 1))
    development_target(org, date(2025, 2, 1))
    admitted(org, date(2025, 3, 1))
    probationary(org, date(2024, 3, 1))
    probationary(org, date(2025, 5, 1))
    org.assign_instructor("Instructor Li", stamp())
    return org


def talked_to() -> Organization:
    org = organization()
    org.talk_to_applicant(applicant(org), stamp())
    return org


def temporary_with_target() -> Organization:
    org = organization(registered=False)
    add_members(org, 3)
    org.establish_temporary_branch("Temporary branch", stamp())
    development_target(org, date(2025, 1, 1))
    return org


def joint_with_one_formal_member() -> Organization:
    org = organization()
    add_members(org, 1)
    add_members(org, 1, status="probationary")
    org.join_joint_branch(JointBranchMembership("J1", "Joint", PartyOrgType.BRANCH, date(2024, 1, 1), []), stamp())
    development_target(org, date(2025, 1, 1))
    return org


def request_after_members_left() -> Organization:
    org = organization()
    first, *_ = add_members(org, 3)
    org.request_formal_branch("Branch", None, stamp())
    org.transfer_out(first, stamp())
    return org


def affiliated() -> Organization:
    org = organization()
    add_members(org, 2, transferred=False)
    org.affiliate("Village branch", stamp())
    return org


def unregistered_with_three() -> Organization:
    org = organization(registered=False)
    add_members(org, 3)
    return org


def closed() -> Organization:
    org = rich()
    org.close_case(stamp(TODAY))
    return org


def youth_league_formed() -> Organization:
    org = with_formal_branch(organization(), members=8)
    org.form_youth_league(stamp())
    return org


def transfer_under_way() -> Organization:
    org = organization()
    first, _ = add_members(org, 2, transferred=False)
    org.request_transfer_in(first, "Village branch", stamp())
    return org


def elected() -> Organization:
    org = with_formal_branch(organization(), on=date(2023, 1, 1))
    org.elect_branch_committee("Member 1", None, [], stamp(date(2023, 2, 1)))
    return org


SCENARIOS: dict[str, Callable[[], Organization]] = {
    "new": organization, "rich": rich, "talked_to": talked_to, "temporary": temporary_with_target,
    "joint": joint_with_one_formal_member, "request_after_members_left": request_after_members_left,
    "affiliated": affiliated, "unregistered_with_three": unregistered_with_three, "closed": closed,
    "youth_league_formed": youth_league_formed, "transfer_under_way": transfer_under_way,
    "elected": elected,
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_next_actions_offers_exactly_what_is_allowed(scenario: str) -> None:
    org = SCENARIOS[scenario]()
    offered = set(next_actions(org, TODAY, SEED_THRESHOLDS))
    can = {name for name in ACTIONS if allowed(name, org)}
    assert offered == can, f"offered but refused: {offered - can}; allowed but not offered: {can - offered}"


def test_a_closed_case_is_offered_only_reopening_and_every_other_step_names_the_closed_case() -> None:
    org = closed()
    assert next_actions(org, TODAY, SEED_THRESHOLDS) == ["reopen_case"]
    for name in set(ACTIONS) - {"reopen_case"}:
        for body in bodies(name, org):
            with pytest.raises(RuleViolation) as raised:
                parse_action({"action": name, **body}).apply(org, stamp(TODAY), SEED_THRESHOLDS)
            assert raised.value.rule == "case_closed", name


def test_a_new_case_is_offered_the_first_steps() -> None:
    assert next_actions(organization(), TODAY, SEED_THRESHOLDS) == [
        "report_headcount", "add_member", "record_applicant", "assign_instructor", "correct_facts",
        "change_responsible_committee", "close_case"]


# --- one guard per step: the refusal next_actions gives is the rule the aggregate raises --------------


def refused_with(name: str, org: Organization) -> set[str]:
    """The rules the aggregate answers for every input worth trying (an unknown person answers no rule)."""
    rules = set()
    for body in bodies(name, org) or [{"person_id": "P99", "introducer_ids": ["P98", "P99"]}]:
        trial = copy.deepcopy(org)
        with pytest.raises(DomainError) as raised:
            step = parse_action({"action": name, **body}, TODAY)
            step.apply(trial, stamp(TODAY, step.reason), SEED_THRESHOLDS)
        rules.add(getattr(raised.value, "rule", type(raised.value).__name__))
    return rules


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_step_refused_names_the_rule_the_domain_names(name: str) -> None:
    """For every step, in every scenario where it is not offered: the workflow's refusal (its case state) and
    the aggregate's answer to every input are the step's one guard's rule, never `step_not_available`."""
    refused_somewhere = False
    for scenario, build in sorted(SCENARIOS.items()):
        org = build()
        guard = ACTIONS[name].refusal(org, TODAY, SEED_THRESHOLDS)
        if name in next_actions(org, TODAY, SEED_THRESHOLDS):
            assert guard is None, scenario
            continue
        refused_somewhere = True
        assert guard is not None, scenario
        given = refusal(org, name, TODAY, SEED_THRESHOLDS)
        assert (given.rule, given.message) == (guard.rule, guard.message), scenario
        assert refused_with(name, org) == {guard.rule}, scenario
    assert refused_somewhere or name in {"report_headcount", "add_member", "record_applicant", "correct_facts",
                                         "close_case"}, "a scenario where the step is refused"
