"""The benchmark's city: `branchflow demo`'s district, drawn again and again and spread over a city's districts.

`plan_demo` draws one district (斗门区, six streets) in the demo's proportions: a quarter of the cases without
members, a fifth with a formal branch, about 2.3 members per case, and so on. A city of N cases is up to 20
such plans of N/20 cases each, two per district (streets 1–6 and 7–12 of district 01…10 of city 4404), each
from its own seed. The import reads it as a work ledger (an organization row per case and a member row per
`add_member` step); the other steps of each plan are what the step benchmark takes, in the plan's order.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from branchflow.api.intake.demo import DemoPlan, PlannedCase, plan_demo
from branchflow.api.intake.ledger_format import COLUMNS
from branchflow.domain.actions import AddMember, Step
from branchflow.domain.organization import organization_id
from branchflow.domain.registration import Registration

CITY = "4404"
MAX_PLANS = 20  # two per district
MIN_PLAN = 500  # cases per plan below which the city is one plan


@dataclass
class CityCase:
    org_id: UUID
    region_code: str
    steps: list[Step]  # the plan's steps other than add_member, in order (later steps after them)


@dataclass
class City:
    cases: list[CityCase]
    members: int

    def district(self) -> str:
        """The region of the first plan's district (the busiest: it has the most rows)."""
        return self.cases[0].region_code[:6]

    def street(self) -> str:
        return self.cases[0].region_code[:9]


def plans(cases: int) -> list[tuple[int, int]]:
    """(seed, size) of the plans that make a city of about `cases` cases."""
    count = max(1, min(MAX_PLANS, cases // MIN_PLAN))
    return [(seed + 1, cases // count + (seed < cases % count)) for seed in range(count)]


def _moved(plan: int, region_code: str) -> str:
    """440403SSSCCC of a demo plan → 4404DDsssCCC of the city: plan k in district k//2+1, streets shifted by 6."""
    street = int(region_code[6:9]) + 6 * (plan % 2)
    return f"{CITY}{plan // 2 + 1:02d}{street:03d}{region_code[9:]}"


def write_ledger(path: Path, cases: int, today: date) -> City:
    """Writes the city's ledger as CSV (English headers) and returns its cases with their remaining steps."""
    city = City([], 0)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)  # the canonical fields, as English headers
        for plan, (seed, size) in enumerate(plans(cases)):
            for case in _plan(today, size, seed).cases:
                city.cases.append(_write_case(writer, plan, case))
                city.members += sum(isinstance(s, AddMember) for s in case.steps)
    return city


def _plan(today: date, size: int, seed: int) -> DemoPlan:
    """`plan_demo`, with another seed where it fails: it can draw a negative headcount for `report_headcount`
    (employees 3 or 4 less up to 5), which a large plan sometimes does."""
    for attempt in range(10):
        try:
            return plan_demo(today, size, seed + 1000 * attempt)
        except ValidationError:
            continue
    raise RuntimeError(f"plan_demo failed for ten seeds from {seed}")


def _write_case(writer: Any, plan: int, case: PlannedCase) -> CityCase:
    reg: Registration = case.registration
    region = _moved(plan, reg.region_code)
    writer.writerow(["organization", reg.name, reg.credit_code or "", reg.kind, reg.subtype, _yes(reg.registered),
                     region,
                     reg.industry, reg.employees, _yes(reg.above_scale), reg.founded_on.isoformat(),
                     reg.superior_party_org or "", _yes(reg.owner_is_member)] + [""] * 6)
    for step in case.steps:
        if isinstance(step, AddMember):
            writer.writerow(["member", reg.name, reg.credit_code or "", "", "", "", region, "", "", "", "", "", "",
                             step.name, step.gender, step.birth_date.isoformat(), step.education.value,
                             step.status.value, _yes(step.relation_transferred)])
    rest = [s for s in case.steps if not isinstance(s, AddMember)] + list(case.later_steps)
    return CityCase(organization_id(reg.credit_code, region, reg.name), region, rest)


def _yes(value: bool) -> str:
    return "yes" if value else "no"
