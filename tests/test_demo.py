"""The demo district: every stage of the formation path, realistic people, the same for the same seed."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

import pytest

from branchflow.api.intake.demo import STREETS, DemoPlan, load_demo, plan_demo
from branchflow.api.intake.targets import ApplicationCommands
from branchflow.domain.application import FormationApplication
from branchflow.domain.breaches import broken_rules
from branchflow.domain.obligations import obligations
from branchflow.domain.organization import Organization
from branchflow.domain.rules import Method, PartyOrgType, Stage, method, party_org_type, stage
from branchflow.domain.values import Education, age_on, credit_code_kind, is_junior_middle_or_less
from tests.test_ledger_import import OneByOne, app, events  # noqa: F401 (app is a fixture)

TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def plan() -> DemoPlan:
    return plan_demo(TODAY)


@pytest.fixture(scope="module")
def district(plan: DemoPlan) -> list[Organization]:
    """The default demo, loaded into an in-memory application."""
    application = FormationApplication()
    summary = load_demo(ApplicationCommands(application, "demo", TODAY), TODAY)
    assert summary.errors == []
    return [application.case(c.org_id) for c in plan.cases]


def dump(plan: DemoPlan) -> list[object]:
    return [(c.registration.model_dump(), [s.model_dump() for s in c.steps + c.later_steps]) for c in plan.cases] + [
        plan.joint_branches]


class TestPlan:
    def test_the_same_seed_and_day_give_the_same_district(self, plan: DemoPlan) -> None:
        assert dump(plan_demo(TODAY, seed=1)) == dump(plan)
        assert dump(plan_demo(TODAY, seed=2)) != dump(plan)

    def test_the_district_has_about_the_asked_size_and_a_few_thousand_commands(self, plan: DemoPlan) -> None:
        assert 395 <= len(plan.cases) <= 410
        assert 1500 <= plan.commands <= 3000  # through the workflows in well under a minute
        assert 40 <= len(plan_demo(TODAY, size=40).cases) <= 50

    def test_every_business_date_is_in_the_past_and_each_case_moves_forward_in_time(self, plan: DemoPlan) -> None:
        for case in plan.cases:
            days = [d for d in [case.registration.occurred_on, *(s.occurred_on for s in case.steps + case.later_steps)]
                    if d is not None]
            assert len(days) == 1 + len(case.steps) + len(case.later_steps)
            assert case.registration.founded_on <= days[0] and days[-1] <= TODAY
            assert days == sorted(days), case.registration.name
        for joint in plan.joint_branches:
            assert joint.occurred_on <= TODAY

    def test_organizations_look_like_doumen_district(self, plan: DemoPlan) -> None:
        regs = [c.registration for c in plan.cases]
        assert {r.region_code[:9] for r in regs} == {f"440403{i:03d}" for i in range(1, len(STREETS) + 1)}
        assert all(r.name.startswith("斗门区") for r in regs)
        assert len({r.name for r in regs}) == len(regs)
        codes = [r for r in regs if r.credit_code is not None]
        assert all(credit_code_kind(r.credit_code) == r.kind for r in codes if r.credit_code)
        assert {r.kind for r in codes} == {"economic", "social"}
        assert 0 < len(regs) - len(codes) < len(regs) * 0.2  # some unregistered organizations
        employees = [r.employees for r in regs]
        assert sum(e > 100 for e in employees) > 20 and sum(50 < e <= 100 for e in employees) > 20
        assert sum(r.above_scale for r in regs) > 20


@pytest.mark.parametrize(("today", "seed"), [(date(2026, 1, 1), 5), (date(2028, 2, 29), 11), (date(2030, 12, 31), 17)])
def test_every_planned_command_is_accepted_whatever_the_seed_and_day(today: date, seed: int) -> None:
    summary = load_demo(ApplicationCommands(FormationApplication(), "demo", today), today, size=150, seed=seed)
    assert summary.errors == [] and summary.registered >= 150


class TestLoadedDistrict:
    def test_no_demo_case_breaks_a_rule_verify_warns_of(self, district: list[Organization]) -> None:
        assert {str(o.id): broken_rules(o) for o in district if broken_rules(o)} == {}

    def test_every_stage_and_every_formation_method_is_represented(self, district: list[Organization]) -> None:
        stages = Counter(stage(o) for o in district)
        assert set(stages) == set(Stage)
        assert all(stages[s] >= 5 for s in Stage)
        methods = Counter(method(o) for o in district)
        assert all(methods[m] >= 10 for m in Method)
        types = Counter(party_org_type(o) for o in district)
        assert types[PartyOrgType.GENERAL_BRANCH] >= 2 and types[PartyOrgType.BRANCH] >= 50

    def test_cases_show_development_pending_approvals_and_organizations_with_members_but_no_branch(
        self, district: list[Organization]
    ) -> None:
        in_development = [c for o in district for c in o.candidates.values() if c.in_development]
        assert len({c.stage for c in in_development}) >= 2
        assert sum(o.formal_request is not None for o in district) >= 5
        assert sum(1 for o in district if stage(o) is Stage.DEVELOPING_MEMBERS and method(o) is None
                   and any(m.present for m in o.members.values())) >= 10
        admitted = [m for o in district for m in o.members.values() if m.probation_ends_on is not None]
        assert len(admitted) >= 5

    def test_most_party_organizations_of_their_own_elect_on_time_and_set_up_the_youth_league(
        self, district: list[Organization]
    ) -> None:
        """A demo district that looks kept: most elections held and filed on time, the Youth League set up beside
        most standalone branches; a few behind (the queue has something to show), none of it the rule."""
        own = [o for o in district if o.formal_branch is not None and o.closed_on is None]
        late = Counter(o.rule for org in own for o in obligations(org) if o.due_on is not None and o.due_on < TODAY)
        assert len(own) >= 60
        assert late["hold_election"] <= len(own) * 0.05
        assert late["file_election_result"] <= len(own) * 0.12
        assert late["form_youth_league"] <= len(own) * 0.25
        assert sum(o.youth_league_formed_on is not None for o in own) >= len(own) * 0.75
        assert sum(o.formal_branch.elected_on is not None and o.formal_branch.elected_on > o.formal_branch.approved_on
                   + timedelta(days=3 * 365) for o in own if o.formal_branch) >= 3  # re-elected as terms ended

    def test_member_development_is_kept_up_so_that_a_handful_is_overdue(self, district: list[Organization]) -> None:
        """The branches talk to applicants within the month, review activists each half year, give each one
        cultivation contacts and vote on conversions as probation ends; a few fall behind. The demo left 149 such
        items overdue on the queue (69 reviews, 42 talks, 27 conversion votes, 11 activists without contacts)."""
        development = {"talk_to_applicant", "review_activist", "assign_cultivation_contacts", "vote_on_conversion",
                       "approve_probationary"}
        items = [o for org in district for o in obligations(org) if o.rule in development]
        late = Counter(o.rule for o in items if o.due_on is not None and o.due_on < TODAY)
        assert len(items) >= 60  # people in development and on probation: the queue still has them coming due
        assert 1 <= sum(late.values()) <= 12, late
        assert all(n <= 5 for n in late.values()), late

    def test_members_have_the_ages_education_and_gender_reports_break_down(
        self, district: list[Organization]
    ) -> None:
        members = [m for o in district for m in o.members.values() if m.present]
        assert len(members) > 800

        def share(hits: Iterable[bool]) -> float:
            return sum(hits) / len(members)

        assert 0.15 <= share(age_on(m.birth_date, TODAY) > 60 for m in members) <= 0.30
        assert 0.30 <= share(is_junior_middle_or_less(Education(m.education)) for m in members) <= 0.55
        assert 0.15 <= share(m.gender == "female" for m in members) <= 0.30
        assert all(18 <= age_on(m.birth_date, TODAY) <= 90 for m in members)


@pytest.mark.slow
def test_loading_on_postgresql_is_quick_and_loading_again_changes_nothing(app: FormationApplication) -> None:  # noqa: F811
    started = time.perf_counter()
    first = load_demo(ApplicationCommands(app, "demo", TODAY), TODAY)
    elapsed = time.perf_counter() - started
    assert first.errors == [] and first.registered > 395 and elapsed < 60  # measured: about 1 s
    before = events(app)

    again = load_demo(ApplicationCommands(app, "demo", TODAY), TODAY)

    assert events(app) == before
    assert (again.registered, again.steps, again.errors) == (0, 0, [])
    assert (again.already_there, again.repeated) == (first.registered, first.steps)


@pytest.mark.slow
def test_the_plain_commands_build_the_same_district_as_the_batch_path(app: FormationApplication) -> None:  # noqa: F811
    seen: list[int] = []
    summary = load_demo(OneByOne(ApplicationCommands(app, "demo", TODAY)), TODAY, size=60, seed=3,
                        progress=lambda done, total: seen.append(done), every=100)
    memory = FormationApplication()
    load_demo(ApplicationCommands(memory, "demo", TODAY), TODAY, size=60, seed=3)

    assert summary.errors == [] and seen[-1] == plan_demo(TODAY, size=60, seed=3).commands
    for case in plan_demo(TODAY, size=60, seed=3).cases:
        ours, theirs = app.case(case.org_id), memory.case(case.org_id)
        assert (stage(ours), method(ours), ours.version) == (stage(theirs), method(theirs), theirs.version)
