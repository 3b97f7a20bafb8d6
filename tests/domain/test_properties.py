"""Random sequences of steps keep the definitions of domain.md true, and the events give back the aggregate."""

from __future__ import annotations

import pickle
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from branchflow.domain.actions import ACTIONS, next_actions, parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.breaches import broken_rules
from branchflow.domain.calendar import add_months
from branchflow.domain.case import case_view
from branchflow.domain.errors import RuleViolation, UnknownPerson
from branchflow.domain.obligations import coverage_obligations, is_blank_spot, obligations
from branchflow.domain.organization import Organization
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import (
    PartyOrgType,
    Stage,
    branch_members,
    development_under_way,
    formed,
    method,
    organization_covered,
    present_members,
    stage,
    work_covered,
)
from branchflow.domain.values import age_on

from .cases import memory_application, registration, stamp, state

START = date(2020, 1, 6)
FORMATION_STEPS = frozenset({"affiliate", "establish_temporary_branch", "request_formal_branch",
                             "approve_formal_branch", "reject_formal_branch"})


def dated_steps(org: Organization) -> list[tuple[str, date]]:
    """Every business date the case keeps, with what happened on it (closing apart)."""
    found: list[tuple[str, date | None]] = [("registered", org.registered_on), ("temporary", org.temporary_branch_on),
                                            ("affiliated", org.affiliated_on), ("instructor", org.instructor_on)]
    found += [(f"{c.id} applied", c.applied_on) for c in org.candidates.values()]
    found += [(f"{c.id} left", c.left_on) for c in org.candidates.values()]
    found += [(f"{m.id} joined", m.joined_on) for m in org.members.values()]
    found += [(f"{m.id} left", m.left_on) for m in org.members.values()]
    if org.formal_branch is not None:
        found.append(("approved", org.formal_branch.approved_on))
    if org.joint_branch is not None:
        found.append(("joint", org.joint_branch.joined_on))
    return [(what, on) for what, on in found if on is not None]
FIVE_GOODS = ("leadership_team", "member_team", "working_mechanism", "development_results", "mass_reputation")
TEN_HAVES = ("plaque", "office_facilities", "activity_room", "e_education_equipment", "working_rules", "archives",
             "party_flag", "leader_portraits", "notice_board", "official_seal")
ADD = {"action": "add_member", "name": "Wang Fang", "gender": "female", "birth_date": "1980-01-01",
       "education": "bachelor", "status": "formal", "relation_transferred": True}
APPLY = {"action": "record_applicant", "name": "Li Lei", "gender": "male", "birth_date": "1995-01-01",
         "education": "bachelor"}
names = st.sampled_from(["Wang Fang", "Li Lei", "Zhang Wei", "Chen Jing"])
party_org_types = st.sampled_from([None, *PartyOrgType])
people_fields = st.fixed_dictionaries({
    "name": names, "gender": st.sampled_from(["male", "female"]),
    "birth_date": st.dates(date(1950, 1, 1), date(2004, 1, 1)).map(date.isoformat),
    "education": st.sampled_from(["junior_middle", "senior_middle", "bachelor"]),
})


def body(name: str, org: Organization) -> st.SearchStrategy[dict[str, Any]]:
    """Plausible inputs for an action: mostly about the case's own people, sometimes about nobody."""
    person = st.sampled_from(sorted({*org.members, *org.candidates, "P99"}))
    member = st.fixed_dictionaries({"member_id": person})
    match name:
        case "report_headcount":
            return st.fixed_dictionaries({"employees": st.integers(0, 300), "above_scale": st.booleans()})
        case "add_member":
            return people_fields.flatmap(lambda p: st.fixed_dictionaries({
                "status": st.sampled_from(["formal", "formal", "formal", "probationary"]),
                "relation_transferred": st.sampled_from([True, True, False])}).map(lambda rest: p | rest))
        case "record_applicant":
            return people_fields
        case "admit_probationary":
            targets = [c.id for c in org.candidates.values() if c.stage is DevelopmentStage.DEVELOPMENT_TARGET]
            formal = [m.id for m in org.members.values() if m.status is MemberStatus.FORMAL]
            return st.fixed_dictionaries({
                "person_id": st.sampled_from(targets) if targets else person,
                "introducer_ids": st.lists(st.sampled_from(formal) if formal else person, min_size=2, max_size=2)})
        case "assign_instructor":
            return st.fixed_dictionaries({"name": names})
        case "affiliate":
            return st.just({"party_org_name": "Community party committee"})
        case "change_responsible_committee":
            return st.fixed_dictionaries({"responsible_committee": st.sampled_from(["ZH-LAW", "DM-JA"]),
                                          "reason": st.sampled_from(["", "律师行业党委统一管理"])})
        case "establish_temporary_branch":
            return st.just({"name": "Temporary branch"})
        case "request_formal_branch":
            return st.fixed_dictionaries({"name": st.just("Branch"), "party_org_type": party_org_types})
        case "approve_formal_branch":
            return st.fixed_dictionaries({"party_org_type": party_org_types, "reason": st.sampled_from(["", "why"])})
        case "elect_branch_committee":
            return st.fixed_dictionaries({"secretary": names, "committee": st.lists(names, max_size=7)})
        case "rate_five_goods":
            return st.fixed_dictionaries(dict.fromkeys(FIVE_GOODS, st.booleans()))
        case "check_ten_haves":
            return st.fixed_dictionaries(dict.fromkeys(TEN_HAVES, st.booleans()))
        case "correct_facts":
            return st.fixed_dictionaries({"corrects": st.integers(1, org.version + 1), "changes": st.one_of(
                st.fixed_dictionaries({"employees": st.integers(0, 300)}),
                st.fixed_dictionaries({"industry": st.sampled_from("CF")}))})
        case "correct_member":
            return member.map(lambda m: m | {"corrects": org.version, "changes": {"name": "Zhao Min"}})
        case "correct_candidate":
            return st.fixed_dictionaries({"person_id": person, "corrects": st.integers(1, org.version),
                                          "changes": st.sampled_from([{"education": "bachelor"},
                                                                      {"birth_date": "2010-01-01"},
                                                                      {"name": "Wang Fang"}])})
        case "transfer_in" | "transfer_out":
            return member
        case "request_transfer_in":
            return member.map(lambda m: m | {"from_organization": "Village branch"})
        case "transfer_abandoned":
            return member.map(lambda m: m | {"reason": "the member moved away"})
        case "assign_cultivation_contacts" | "change_cultivation_contacts":
            formal = sorted(m.id for m in org.members.values() if m.present and m.status is MemberStatus.FORMAL)
            return _for_stage(name, org, person).map(lambda b: b | {"reason": "the contact moved"}).flatmap(
                lambda b: st.lists(st.sampled_from(formal) if formal else person, min_size=1, max_size=2,
                                   unique=True).map(lambda ids: b | {"contact_ids": ids}))
        case "record_political_review":
            return _for_stage(name, org, person).map(lambda b: b | {"result": "passed"})
        case "record_training":
            day = START.isoformat()  # the case's earliest steps are on START: a day of 24 hours then is valid
            return _for_stage(name, org, person).map(
                lambda b: b | {"started_on": day, "ended_on": day, "class_hours": 24})
        case "record_departure":
            return _for_stage(name, org, person).map(lambda b: b | {"leaves_on": "2030-01-01"})
        case "allow_admission_despite_departure":
            return _for_stage(name, org, person).map(lambda b: b | {"reason": "transfer ordered"})
        case "tag_focus_group":
            return _for_stage(name, org, person).map(lambda b: b | {"focus_group": "middle_manager"})
    if name == "extend_probation":
        return body("cancel_probation", org).map(lambda b: b | {"months": 6})
    if "person_id" in ACTIONS[name].model_fields:
        return _for_stage(name, org, person)
    return st.just({})


def _for_stage(name: str, org: Organization, person: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Half the time someone at the stage the step is for, else anyone (or nobody)."""
    stage = getattr(ACTIONS[name], "STAGE", None)
    if stage is None and name in ("record_departure", "tag_focus_group"):
        fitting = sorted(c.id for c in org.candidates.values() if c.in_development)
    elif stage:
        fitting = sorted(c.id for c in org.candidates.values() if c.in_development and c.stage is stage)
    else:
        fitting = sorted(m.id for m in org.members.values() if m.present and m.status is MemberStatus.PROBATIONARY)
    return st.fixed_dictionaries({"person_id": st.one_of(st.sampled_from(fitting), person) if fitting else person})


class CaseMachine(RuleBasedStateMachine):
    """One case, saved after every accepted step in an in-memory store and read back."""

    app: FormationApplication
    org: Organization

    @initialize(
        employees=st.integers(0, 200), registered=st.booleans(), branch_members=st.sampled_from(["2", "3", "4"]),
        affiliate_max=st.sampled_from(["1", "2"]), further_along=st.booleans(),
    )
    def register(self, employees: int, registered: bool, branch_members: str, affiliate_max: str,
                 further_along: bool) -> None:
        self.app = memory_application(BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS=branch_members,
                                      BRANCHFLOW_THRESHOLD_AFFILIATE_MAX_MEMBERS=affiliate_max)
        self.today = START
        self.replica: Organization | None = None
        self.org = self.app.register_organization(
            registration(employees=employees, registered=registered, founded_on=date(2019, 5, 1)), "o", START)
        if further_along:  # half the walks start further along: a formal branch, people in development
            self.script(*(ADD | {"name": f"Wang {i}"} for i in range(4)), {"action": "request_formal_branch",
                        "name": "Branch"}, {"action": "approve_formal_branch", "reason": "why"},
                        *(APPLY | {"name": f"Li {i}"} for i in range(3)))
            self.script(*({"action": "designate_activist", "person_id": p} for p in ("P5", "P6", "P7")))
            self.today += timedelta(days=366)
            self.script({"action": "confirm_development_target", "person_id": "P5"},
                        {"action": "confirm_development_target", "person_id": "P6"},
                        {"action": "record_political_review", "person_id": "P5", "result": "passed"},
                        {"action": "record_training", "person_id": "P5", "started_on": self.today.isoformat(),
                         "ended_on": self.today.isoformat(), "class_hours": 24},
                        {"action": "admit_probationary", "person_id": "P5", "introducer_ids": ["P1", "P2"]})

    def script(self, *steps: dict[str, Any]) -> None:
        for data in steps:
            self.org = self.app.perform(self.org.id, parse_action(data, self.today), "o", self.today)

    @rule(data=st.data(), days=st.sampled_from([0, 0, 0, 1, 20, 40, 100, 200, 370]),
          what=st.sampled_from(["offered"] * 12 + ["any", "any", "joint", "deadline"]))
    def some_time_later_a_step(self, data: st.DataObject, days: int, what: str) -> None:
        """Mostly a step the forms offer (to get far along the path), sometimes any step at all."""
        self.today += timedelta(days=days)
        if what == "joint":
            self.join_a_joint_branch()
        elif what == "deadline":
            self.a_deadline_passes(data)
        else:
            self.take_a_step(data, offered_only=what == "offered")

    def take_a_step(self, data: st.DataObject, offered_only: bool) -> None:
        offered = next_actions(self.org, self.today, self.app.thresholds)
        # Closing ends the walk along the path: leave it to the steps not chosen from the offer.
        choices = [a for a in offered if a != "close_case"] if offered_only else sorted(ACTIONS)
        name = data.draw(st.sampled_from(choices or sorted(ACTIONS)), label="action")
        # A third of the steps are recorded later than they happened: any business date back to before the
        # founding (organizers record the past); the rules of domain.md "Dates" must keep the case in order.
        on = data.draw(st.one_of(st.none(), st.none(), st.dates(date(2018, 1, 1), self.today)), label="occurred_on")
        given = {"action": name, **data.draw(body(name, self.org), label="body"), "occurred_on": on}
        step = parse_action(given, self.today)
        accepted = self.attempt(lambda: step.apply(self.org, stamp(on or self.today, "why"), self.app.thresholds))
        # What the forms offer for today is what can be done today; an earlier date may be refused.
        assert not accepted or on not in (None, self.today) or name in offered, f"{name} was taken but not offered"
        event(f"{name} {'accepted' if accepted else 'refused'}{' (backdated)' if on else ''}")

    def join_a_joint_branch(self) -> None:
        joint = JointBranchMembership("J1", "Joint branch", PartyOrgType.BRANCH, self.today, [str(self.org.id)])
        self.attempt(lambda: self.org.join_joint_branch(joint, stamp(self.today), self.app.thresholds))

    def a_deadline_passes(self, data: st.DataObject) -> None:
        dated = [(o, o.due_on) for o in obligations(self.org, self.app.thresholds) if o.due_on is not None]
        if dated:
            o, due = data.draw(st.sampled_from(dated), label="deadline")
            self.attempt(lambda: self.org.escalate(o.rule, o.subject, due, stamp(self.today, actor="system")))

    def attempt(self, change: Any) -> bool:
        """Applies a change; a refused one must leave the aggregate exactly as it was."""
        before, version = pickle.dumps(state(self.org)), self.org.version
        try:
            change()
        except (RuleViolation, UnknownPerson):
            assert self.org.pending_events == [] and self.org.version == version
            assert pickle.dumps(state(self.org)) == before
            return False
        self.app.save(self.org)
        return True

    @invariant()
    def the_stored_events_give_back_the_live_aggregate(self) -> None:
        # Read incrementally (new events onto the replica) so that the check stays linear in the steps.
        new = list(self.app.events.get(self.org.id, gt=self.replica.version if self.replica else None))
        for e in new:
            self.replica = e.mutate(self.replica)  # type: ignore[attr-defined]
        assert self.replica is not None and state(self.replica) == state(self.org)
        assert self.replica.version == self.org.version

    @invariant()
    def the_stage_is_the_one_the_definitions_give(self) -> None:
        org, s = self.org, stage(self.org)
        event(f"stage {s.value}")
        present = [m for m in org.members.values() if m.present]
        if org.closed_on is not None:
            assert s is Stage.CLOSED
        elif formed(org):
            assert s is Stage.FORMAL_BRANCH
        elif org.temporary_branch is not None:
            assert s is Stage.TEMPORARY_BRANCH
        elif present or development_under_way(org) or org.affiliation is not None:
            assert s is Stage.DEVELOPING_MEMBERS
        else:
            assert s is Stage.NO_MEMBERS and not work_covered(org)
        assert not (org.formal_branch is not None and org.joint_branch is not None)

    @invariant()
    def formed_implies_organization_covered_implies_work_covered(self) -> None:
        org = self.org
        assert not formed(org) or organization_covered(org)
        assert not organization_covered(org) or work_covered(org)
        assert (method(org) is None) == (not work_covered(org))
        assert not is_blank_spot(org, self.app.thresholds) or not organization_covered(org)

    @invariant()
    def a_closed_case_has_no_obligations_and_is_not_covered(self) -> None:
        if self.org.closed_on is not None:
            assert obligations(self.org, self.app.thresholds) == [] and not work_covered(self.org)
            assert next_actions(self.org, self.today, self.app.thresholds) == ["reopen_case"]

    @invariant()
    def members_are_counted_once(self) -> None:
        org = self.org
        ids = [*org.members, *org.candidates]
        assert set(ids) <= {f"P{i}" for i in range(1, org.people_count + 1)}
        assert len(set(ids)) == org.people_count  # every recorded person once (admitted ones keep their id)
        view = case_view(org, self.today, self.app.thresholds)
        assert len({m.id for m in view.members}) == len(view.members) == view.formal_members + view.probationary_members
        assert branch_members(org) <= view.formal_members
        if org.closed_on is None and (view.formal_members or view.probationary_members):
            assert organization_covered(org) or "members_need_party_organization" in {
                o.rule for o in coverage_obligations(org, self.app.thresholds)}

    @invariant()
    def the_cases_dates_stay_in_order(self) -> None:
        org = self.org
        dates = dated_steps(org)
        assert all(on >= org.founded_on for _, on in dates), (org.founded_on, dates)
        if org.closed_on is not None:
            assert all(on <= org.closed_on for _, on in dates), (org.closed_on, dates)
        for c in org.candidates.values():
            path = [c.applied_on, c.talked_on, c.activist_on, c.target_on, c.voted_on]
            kept = [d for d in path if d is not None]
            assert kept == sorted(kept), (c.id, path)
            assert c.last_reviewed_on is None or (c.activist_on is not None and c.last_reviewed_on >= c.activist_on)
            if c.target_on is not None and c.activist_on is not None:
                assert c.target_on >= add_months(c.activist_on, 12)
            assert age_on(c.birth_date, c.applied_on) >= 18
        for m in org.members.values():
            assert m.left_on is None or m.left_on >= m.joined_on
            assert age_on(m.birth_date, m.admitted_on or m.joined_on) >= 18
            if m.status is MemberStatus.PROBATIONARY and m.admitted_on is not None:
                assert m.probation_ends_on is not None and m.probation_ends_on >= add_months(m.admitted_on, 12)

    @invariant()
    def a_case_built_by_allowed_steps_breaks_no_rule_verify_looks_for(self) -> None:
        assert broken_rules(self.org) == []  # the stored-case checks agree with the steps' guards

    @invariant()
    def no_case_with_members_is_offered_no_formation_step(self) -> None:
        org = self.org
        if org.closed_on is None and present_members(org) and not organization_covered(org):
            offered = set(next_actions(org, self.today, self.app.thresholds))
            assert offered & FORMATION_STEPS, f"stuck: {sorted(offered)}"

    @invariant()
    def nobody_is_both_in_development_and_a_present_member(self) -> None:
        developing = {c.id for c in self.org.candidates.values() if c.in_development}
        present = {m.id for m in self.org.members.values() if m.present}
        assert not developing & present
        for m in self.org.members.values():
            assert m.status in (MemberStatus.FORMAL, MemberStatus.PROBATIONARY)


CaseMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestRandomSteps = CaseMachine.TestCase
