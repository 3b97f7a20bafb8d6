"""One case being planned, and the planner that draws cases and people: the dice of the demo, from a seed alone."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any
from uuid import uuid5

from branchflow.api.intake.demo.district import DEMO_NAMESPACE, DISTRICT, STREETS, street_committee_code
from branchflow.api.intake.demo.population import (
    BRAND,
    ECONOMIC,
    EDUCATION,
    FOREIGN_INVESTED,
    GIVEN,
    SOCIAL,
    SOCIAL_SUBTYPES,
    SURNAMES,
)
from branchflow.domain.actions import Step, parse_action
from branchflow.domain.calendar import add_months
from branchflow.domain.organization import organization_id
from branchflow.domain.people import FocusGroup
from branchflow.domain.registration import Registration
from branchflow.domain.values import CREDIT_CODE_CHARSET, make_credit_code

FOCUS_GROUPS = tuple(g.value for g in FocusGroup)


class CasePlan:
    """One case being planned: its timeline, its people, its steps."""

    def __init__(self, plan: Planner, profile: str, start: date, registration: dict[str, Any]) -> None:
        self.plan, self.profile, self.day, self.people = plan, profile, start, 0
        self.reg = Registration.model_validate({**registration, "occurred_on": start}, context={"today": plan.today})
        self.org_id = organization_id(self.reg.credit_code, self.reg.region_code, self.reg.name)
        self.steps: list[Step] = []
        self.later: list[Step] = []
        self.formal: list[str] = []  # ids of the transferred-in formal members
        self.present_formal: list[str] = []  # ids of every formal member, relation here or not (contacts)
        self.formal_names: list[str] = []

    def wait(self, low: int, high: int | None = None) -> None:
        self.day = min(self.plan.today, self.day + timedelta(days=self.plan.rng.randint(low, high or low)))

    def act(self, action: str, *, later: bool = False, **body: Any) -> None:
        command_id = str(uuid5(DEMO_NAMESPACE, f"{self.org_id}/{len(self.steps) + len(self.later)}"))
        step = parse_action({"action": action, "occurred_on": self.day, "command_id": command_id, **body},
                            self.plan.today)
        (self.later if later else self.steps).append(step)

    def add_members(self, n: int, *, transferred: float = 1.0, status: str = "formal") -> None:
        for _ in range(n):
            relation, person = self.plan.rng.random() < transferred, self.plan.person()
            self.act("add_member", **person, status=status, relation_transferred=relation)
            self.people += 1
            if status == "formal":
                self.present_formal.append(f"P{self.people}")
            if status == "formal" and relation:
                self.formal.append(f"P{self.people}")
                self.formal_names.append(person["name"])

    def develop(self, *, to_member: bool) -> None:
        """An applicant along the path: activist, development target, and (under a formal branch) admitted."""
        rng = self.plan.rng
        # The focus group by turns (not drawn: the demo's other draws stay as they were).
        self.act("record_applicant", **self.plan.person(young=True, on=self.day),
                 focus_group=FOCUS_GROUPS[self.people % len(FOCUS_GROUPS)])
        self.people += 1
        person, today = f"P{self.people}", self.plan.today
        if not to_member and rng.random() < 0.3:
            return
        self.wait(20, 40)
        self.act("designate_activist", person_id=person)
        if contacts := self.formal[:2] or self.present_formal[:2]:  # formal members present, relation here or not
            self.act("assign_cultivation_contacts", person_id=person, contact_ids=contacts)
        eligible = add_months(self.day, 12)  # a year of cultivation before becoming a development target
        if (not to_member and rng.random() < 0.4) or add_months(self.day, 7) > today:
            return
        self.wait(180)
        self.act("review_activist", person_id=person)
        if not to_member or add_months(eligible, 5) > today:
            return
        self.day = eligible
        self.act("confirm_development_target", person_id=person)
        self.day = min(today, self.day + timedelta(days=10))
        self.act("record_political_review", person_id=person, result="passed")
        started, self.day = self.day, min(today, self.day + timedelta(days=2))
        self.act("record_training", person_id=person, started_on=started, ended_on=self.day, class_hours=24)
        self.wait(40, 70)
        self.act("admit_probationary", person_id=person, introducer_ids=self.formal[:2])
        self.wait(20, 60)
        self.act("approve_probationary", person_id=person)
        if add_months(self.day, 13) <= self.plan.today:
            self.wait(390)
            self.act("convert_to_formal", person_id=person)

    def formal_branch(self, name: str, party_org_type: str | None = None, reason: str = "") -> None:
        self.wait(10, 60)
        self.act("request_formal_branch", name=name)
        self.wait(15, 30)
        self.act("approve_formal_branch", party_org_type=party_org_type,
                 reason=reason or "经审核，符合单独组建条件，同意成立")


class Planner:
    def __init__(self, today: date, seed: int) -> None:
        self.today, self.rng = today, random.Random(seed)
        self.names: set[str] = set()

    def person(self, *, young: bool = False, on: date | None = None) -> dict[str, Any]:
        """A member, or with `young` an applicant of 22 to 38 on the day `on`."""
        rng = self.rng
        gender = "female" if rng.random() < (0.35 if young else 0.22) else "male"
        age = rng.randint(22, 38) if young else rng.randint(61, 82) if rng.random() < 0.22 else rng.randint(24, 60)
        born = (on or self.today) - timedelta(days=age * 365 + rng.randint(30, 330))
        education = rng.choices(list(EDUCATION), weights=list(EDUCATION.values()))[0]
        if young and education in {"primary_or_less", "junior_middle"}:
            education = "senior_middle"
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN[gender], k=rng.choice((1, 2, 2))))
        return {"name": name, "gender": gender, "birth_date": born, "education": education}

    def case(self, profile: str, *, street: int | None = None, industry: str | None = None, social: bool | None = None,
             registered: bool = True, employees: tuple[int, int] | None = None, span_days: int = 400) -> CasePlan:
        rng = self.rng
        street = rng.randrange(len(STREETS)) if street is None else street
        street_name, communities = STREETS[street]
        community = rng.randrange(len(communities))
        social = rng.random() < 0.22 if social is None else social
        table = SOCIAL if social else ECONOMIC
        industry = industry or rng.choices(list(table), weights=[s for s, _ in table.values()])[0]
        trade = rng.choice(table[industry][1])
        name = ""
        while not name or name in self.names:
            brand = "".join(rng.sample(BRAND, 2))
            suffix = ("" if social else "有限公司") if registered else ("" if social else "店")
            name = f"{DISTRICT[1]}{street_name}{brand}{trade}{suffix}"
        self.names.add(name)
        code = None
        if registered:
            head = ("5" + rng.choice("123")) if social else ("9" + rng.choice("1112"))
            code = make_credit_code(head + DISTRICT[0] + "".join(rng.choices(CREDIT_CODE_CHARSET, k=9)))
        low, high = employees or rng.choices([(3, 30), (31, 50), (51, 100), (101, 300), (301, 1200)],
                                             weights=[45, 25, 15, 12, 3])[0]
        headcount = rng.randint(low, high)
        above = not social and rng.random() < (0.8 if headcount > 100 else 0.35 if headcount > 50 else 0.05)
        start = self.today - timedelta(days=rng.randint(span_days + 30, span_days + 700))
        founded = start - timedelta(days=rng.randint(0, 20 * 365))
        if rng.random() < 0.06 and span_days < 120:  # founded this year: the year-end deadline runs
            founded = start = self.today - timedelta(days=rng.randint(0, self.today.timetuple().tm_yday - 1))
        region = f"{DISTRICT[0]}{street + 1:03d}{community + 1:03d}"
        if social:
            subtype = SOCIAL_SUBTYPES[trade]
        elif not registered:
            subtype = "individual"  # an unregistered shop (店) is individually owned
        else:  # by the name, not the generator: the other draws stay as they were
            subtype = "foreign_invested" if industry in FOREIGN_INVESTED and sum(map(ord, name)) % 8 == 0 else (
                "other" if sum(map(ord, name)) % 29 == 0 else "private")
        return CasePlan(self, profile, start, {
            "name": name, "credit_code": code, "kind": "social" if social else "economic", "subtype": subtype,
            "registered": registered,
            "region_code": region, "industry": industry, "employees": headcount, "above_scale": above,
            "founded_on": founded, "superior_party_org": f"中共{DISTRICT[1]}{street_name}委员会",
            "responsible_committee": street_committee_code(street + 1),
        })
