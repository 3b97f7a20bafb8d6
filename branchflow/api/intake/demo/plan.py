"""The demo's plan: cases at every stage of the formation path in their intended shares, general branches and
joint branches, each with its steps and business dates; the same for the same seed and day."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from branchflow.api.intake.demo.case_plan import CasePlan, Planner
from branchflow.api.intake.demo.cultivation import cultivate
from branchflow.api.intake.demo.district import DEMO_NAMESPACE, DISTRICT, STREETS
from branchflow.api.intake.demo.population import JOINT_INDUSTRIES
from branchflow.domain.actions import (
    FIVE_GOODS,
    TEN_HAVES,
    ApproveFormalBranch,
    ElectBranchCommittee,
    FormYouthLeague,
    Step,
)
from branchflow.domain.calendar import add_months
from branchflow.domain.development_steps import ConvertToFormal
from branchflow.domain.registration import Registration
from branchflow.domain.rules import PartyOrgType, term_years

# The intended outcome of each case, with its share of the district (joint groups and general branches aside).
PROFILES: dict[str, float] = {
    "no_members": 0.25, "developing": 0.14, "members_only": 0.05, "affiliated": 0.08, "dispatched": 0.08,
    "temporary": 0.07, "standalone": 0.19, "awaiting_approval": 0.02, "joint": 0.10, "closed": 0.02,
}
GENERAL_BRANCHES = 3  # two over 50 members (the default type), one smaller, approved as an exception


@dataclass
class PlannedCase:
    registration: Registration
    org_id: UUID
    profile: str
    steps: list[Step] = field(default_factory=list)  # before the joint branches are formed
    later_steps: list[Step] = field(default_factory=list)  # after


@dataclass(frozen=True)
class PlannedJointBranch:
    name: str
    org_ids: list[UUID]
    party_org_type: PartyOrgType
    reason: str
    occurred_on: date
    command_id: str


@dataclass
class DemoPlan:
    cases: list[PlannedCase]
    joint_branches: list[PlannedJointBranch]

    @property
    def commands(self) -> int:
        return len(self.cases) + len(self.joint_branches) + sum(len(c.steps) + len(c.later_steps) for c in self.cases)


def plan_demo(today: date, size: int = 400, seed: int = 1) -> DemoPlan:
    """A district of about `size` organizations at every stage, the same for the same seed and day."""
    p = Planner(today, seed)
    rng = p.rng
    cases: list[CasePlan] = []
    joints: list[PlannedJointBranch] = []
    counts = {profile: round(share * size) for profile, share in PROFILES.items()}
    joint_target = counts.pop("joint")
    for profile, n in counts.items():
        for _ in range(n):
            cases.append(plan_profile(p, profile))
    for i in range(GENERAL_BRANCHES):
        c = p.case("standalone", social=False, employees=(300, 900), span_days=200)
        c.add_members(rng.randint(52, 58) if i < 2 else rng.randint(22, 30))
        c.formal_branch(f"{c.reg.name}党总支", None if i < 2 else "general_branch",
                        "" if i < 2 else "党员分布在多个车间，设党总支下设支部")
        c.wait(20, 40)
        c.act("elect_branch_committee", secretary=c.formal_names[0], committee=c.formal_names[:5])
        _kept_up(c, PartyOrgType.GENERAL_BRANCH)
        cases.append(c)
    while joint_target > 0:
        street, industry = rng.randrange(len(STREETS)), rng.choice("CCFH")  # manufacturing twice as likely
        group = [p.case("joint", street=street, industry=industry, social=False, employees=(10, 80))
                 for _ in range(max(2, min(joint_target, rng.randint(2, 4))))]
        joint_target -= len(group)
        for c in group:
            c.add_members(1 if len(group) > 2 else 2)
            c.wait(10, 40)
        day = min(today, max(c.day for c in group) + timedelta(days=rng.randint(10, 60)))
        street_name = STREETS[street][0]
        name = f"{DISTRICT[1]}{street_name}{JOINT_INDUSTRIES[industry]}企业联合党支部{len(joints) + 1}"
        ids = [c.org_id for c in group]
        joints.append(PlannedJointBranch(name, ids, PartyOrgType.BRANCH, "同一街道、行业相近，各自党员不足3名",
                                         day, str(uuid5(DEMO_NAMESPACE, f"joint/{sorted(map(str, ids))}"))))
        for c in group:
            c.day = day
            if rng.random() < 0.4:
                c.wait(60, 200)
                c.act("rate_five_goods", later=True, **_checks(rng, FIVE_GOODS, 0.8))
        cases += group
    return DemoPlan([planned_case(c) for c in cases], joints)


def planned_case(c: CasePlan) -> PlannedCase:
    return PlannedCase(c.reg, c.org_id, c.profile, c.steps, c.later)


def plan_profile(p: Planner, profile: str) -> CasePlan:
    rng = p.rng
    if profile == "no_members":
        c = p.case(profile, registered=rng.random() > 0.08, span_days=60)
        if rng.random() < 0.1:
            c.wait(30, 200)
            c.act("report_headcount", employees=c.reg.employees + rng.randint(-5, 40), above_scale=c.reg.above_scale)
    elif profile == "developing":
        c = p.case(profile, span_days=300)
        if rng.random() < 0.25:
            c.add_members(1, transferred=0.3)
        for _ in range(rng.randint(1, 3)):
            c.wait(10, 60)
            c.develop(to_member=False)
    elif profile in ("members_only", "affiliated", "closed"):
        c = p.case(profile, span_days=200, employees=(3, 50) if profile != "members_only" else None)
        c.add_members(rng.randint(1, 2), transferred=0.6)
        c.wait(20, 90)
        if profile == "affiliated":
            street, communities = STREETS[int(c.reg.region_code[6:9]) - 1]
            c.act("affiliate", party_org_name=f"中共{street}{communities[int(c.reg.region_code[9:]) - 1]}委员会")
        elif profile == "closed":
            c.wait(60, 150)
            c.act("close_case", reason="企业注销" if c.reg.kind == "economic" else "社会组织注销登记")
    elif profile == "dispatched":
        c = p.case(profile, employees=(20, 200), span_days=200)
        c.wait(10, 60)
        c.act("assign_instructor", name=p.person()["name"])
        if rng.random() < 0.4:
            c.wait(30, 120)
            c.develop(to_member=False)
    elif profile == "temporary":
        registered = rng.random() < 0.4  # unregistered, or registered with relations not transferred in
        c = p.case(profile, registered=registered, span_days=300)
        c.add_members(rng.randint(3, 5), transferred=0.0 if registered else 0.5)
        c.wait(20, 60)
        c.act("establish_temporary_branch", name=f"{c.reg.name}临时党支部")
        if rng.random() < 0.4:
            c.wait(30, 90)
            c.develop(to_member=False)
        if rng.random() < 0.3:
            c.wait(30, 90)
            c.act("check_ten_haves", **_checks(rng, TEN_HAVES, 0.8))
    else:  # standalone, awaiting_approval
        develops = profile == "standalone" and rng.random() < 0.25
        c = p.case(profile, employees=(30, 600), span_days=1500 if develops else 300)
        c.add_members(rng.randint(3, 10))
        c.add_members(rng.choice((0, 0, 1, 2)), transferred=0.0)
        c.add_members(rng.choice((0, 0, 1)), status="probationary")
        if profile == "awaiting_approval":
            c.wait(10, 60)
            c.act("request_formal_branch", name=f"{c.reg.name}党支部")
            cultivate(c)
            return c
        c.formal_branch(f"{c.reg.name}党支部")
        _standardize(c)
        if develops:
            c.wait(30, 90)
            c.develop(to_member=True)
        cultivate(c)  # before the later elections, which count the members converted by then
        _kept_up(c, PartyOrgType.BRANCH)
        return c
    cultivate(c)
    return c


def _standardize(c: CasePlan) -> None:
    rng = c.plan.rng
    c.wait(15, 45)
    committee = rng.sample(c.formal_names, min(len(c.formal_names), rng.randint(3, 5)))
    c.act("elect_branch_committee", secretary=committee[0], committee=committee if len(c.formal) >= 7 else [])
    if rng.random() < 0.5:
        c.wait(20, 90)
        c.act("form_youth_league")
    if rng.random() < 0.4:
        c.wait(60, 200)
        c.act("rate_five_goods", **_checks(rng, FIVE_GOODS, 0.85))
    if rng.random() < 0.4:
        c.wait(20, 90)
        c.act("check_ten_haves", **_checks(rng, TEN_HAVES, 0.8))


def _kept_up(c: CasePlan, party_org_type: PartyOrgType) -> None:
    """What a party organization of its own does on time, most of the time: each election's result on file within
    weeks, a new election as each term ends, the Youth League set up within months. Drawn from the case's own
    generator, so the district's draws (every other case and step) stay as they were; a few fall behind (an
    election overdue, a league not set up), as in any district."""
    rng, today = random.Random(f"kept-up/{c.org_id}"), c.plan.today
    approved = next(s.occurred_on for s in c.steps if isinstance(s, ApproveFormalBranch))
    [first] = [s for s in c.steps if isinstance(s, ElectBranchCommittee)]
    assert approved is not None and first.occurred_on is not None
    due: list[tuple[date, str, dict[str, Any]]] = []
    if not any(isinstance(s, FormYouthLeague) for s in c.steps) and rng.random() < 0.75:
        due.append((approved + timedelta(days=rng.randint(30, 160)), "form_youth_league", {}))
    elected, secretary = first.occurred_on, first.secretary
    while (filed := elected + timedelta(days=rng.randint(7, 25))) <= today:
        if rng.random() < 0.95:
            due.append((filed, "file_election_result", {}))
        ends = add_months(elected, 12 * term_years(party_org_type))
        if ends > today or rng.random() < 0.08:  # the term runs on, or (rarely) its election is late
            break
        elected = max(filed, ends - timedelta(days=rng.randint(0, 45)))
        # Members converted since make a committee of 7 or more formal members elect a committee, not alone.
        formal = len(c.formal) + sum(isinstance(s, ConvertToFormal) and (s.occurred_on or today) <= elected
                                     for s in c.steps)
        due.append((elected, "elect_branch_committee",
                    {"secretary": secretary, "committee": c.formal_names[:5] if formal >= 7 else []}))
    for day, action, body in due:
        if day <= today:
            c.day = day
            c.act(action, **body)
    c.steps.sort(key=lambda s: s.occurred_on or today)  # in date order, each day's earlier steps first


def _checks(rng: random.Random, keys: Sequence[str], share: float) -> dict[str, bool]:
    return {k: rng.random() < share for k in keys}
