"""What a demo branch does between the development steps its plan draws, as a kept district does it: the talk
with each applicant within the month, every activist reviewed each half year while an activist, the vote on
each probationary member as the year of probation ends. A few fall behind (a talk forgotten, a review missed),
so the work queue shows a handful overdue, not every person the plan left standing (it showed 149).

Drawn from the case's own generator, as `plan._kept_up`, so that the district's draws stay as they were.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from branchflow.api.intake.demo.case_plan import CasePlan
from branchflow.domain.calendar import add_months
from branchflow.domain.development import ACTIVIST_REVIEW_MONTHS, PROBATION_MONTHS

BEHIND = 0.04  # the share of talks, reviews and votes a branch lets slip


@dataclass
class _Person:
    """One person's development as the plan has it: the day of each step taken."""

    applied: date | None = None
    talked: date | None = None
    activist: date | None = None
    reviewed: date | None = None
    target: date | None = None
    admitted: date | None = None  # the branch's vote, or a probationary member's recorded admission
    converted: date | None = None


def cultivate(c: CasePlan) -> None:
    """Adds the case's talks, reviews and conversion votes on time, in date order among its steps."""
    rng, today = random.Random(f"cultivated/{c.org_id}"), c.plan.today
    people, formed = _people(c)
    due: list[tuple[date, str, dict[str, Any]]] = []
    for person_id, p in people.items():
        if p.applied is not None and p.talked is None:
            talk = p.applied + timedelta(days=rng.randint(3, 19))  # before the designation, 20 days at the soonest
            if talk <= today and (p.activist is not None or rng.random() >= BEHIND):
                due.append((talk, "talk_to_applicant", {"person_id": person_id}))
        if p.activist is not None:
            last, until = p.reviewed or p.activist, p.target or today
            while (review := last + timedelta(days=rng.randint(150, 178))) < until and review <= today:
                if add_months(last, ACTIVIST_REVIEW_MONTHS) <= today and rng.random() < BEHIND:
                    break  # this half year's review is overdue
                due.append((review, "review_activist", {"person_id": person_id}))
                last = review
        if p.admitted is not None and p.converted is None and formed is not None:
            vote = max(add_months(p.admitted, PROBATION_MONTHS), formed) + timedelta(days=rng.randint(1, 20))
            if vote <= today and rng.random() >= BEHIND:
                due.append((vote, "convert_to_formal", {"person_id": person_id}))
    for day, action, body in due:
        c.day = day
        c.act(action, **body)
    c.steps.sort(key=lambda s: s.occurred_on or today)  # in date order, each day's earlier steps first
    c.day = max([c.day, *(s.occurred_on for s in c.steps if s.occurred_on is not None)])


def _people(c: CasePlan) -> tuple[dict[str, _Person], date | None]:
    """Each person's steps from the case's steps (ids in the order the case records people), and the day its
    formal party organization first elected its committee or secretary, None: not yet (a probationary member
    converts by its vote; converted before that first election, a member would change the committee it elects)."""
    people: dict[str, _Person] = {}
    elected = None
    for step in c.steps:
        day, action = step.occurred_on, getattr(step, "action", "")
        assert day is not None
        if action in ("add_member", "record_applicant"):
            p = people[f"P{len(people) + 1}"] = _Person()
            if action == "record_applicant":
                p.applied = day
            elif getattr(step, "status", None) == "probationary":
                p.admitted = getattr(step, "admitted_on", None) or day
            continue
        if action == "elect_branch_committee":
            elected = elected or day
        if (who := people.get(getattr(step, "person_id", ""))) is None:
            continue
        if (field := _DATED_BY.get(action)) is not None:
            setattr(who, field, day)
    return people, elected


# The step of a person's development -> the `_Person` date it sets.
_DATED_BY = {"talk_to_applicant": "talked", "designate_activist": "activist", "review_activist": "reviewed",
             "confirm_development_target": "target", "admit_probationary": "admitted",
             "convert_to_formal": "converted"}
