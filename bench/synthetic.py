"""A synthetic city of "two new" organizations built straight through the Organization aggregate's verbs
(no commands, no Temporal): what bench/projections.py fills its event store with.

10 districts x 15 streets x 20 communities under city 4404; about 5 events per case. The mix (roughly):
40 % no members (some with an instructor), 17 % developing members (some affiliated, some applicants),
8 % temporary branches, 22 % formal branches, 6 % in joint branches, 5 % closed; a few deadlines escalated.
Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import uuid4

from branchflow.domain.obligations import obligations
from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import PartyOrgType
from branchflow.domain.stamp import Stamp
from branchflow.domain.values import SUBTYPES, Education, make_credit_code

CITY = "4404"
DISTRICTS, STREETS, COMMUNITIES = 10, 15, 20
INDUSTRIES = "CCCCCFFFGGGHHIIJKLLMNOPQRS"
EDUCATIONS = [e.value for e in Education]
ACTOR = "organizer"


def region(rng: random.Random) -> str:
    return (f"{CITY}{rng.randrange(1, DISTRICTS + 1):02d}{rng.randrange(1, STREETS + 1):03d}"
            f"{rng.randrange(1, COMMUNITIES + 1):03d}")


class CityBuilder:
    def __init__(self, seed: int = 1, today: date = date(2025, 6, 30)) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.serial = 0

    def stamp(self, days_ago: int = 0) -> Stamp:
        return Stamp(ACTOR, self.today - timedelta(days=days_ago), "")

    def organization(self, *, region_code: str | None = None, industry: str | None = None) -> Organization:
        rng = self.rng
        self.serial += 1
        kind = "economic" if rng.random() < 0.8 else "social"
        registered = rng.random() < 0.92
        code = region_code or region(rng)
        credit = make_credit_code(("91" if kind == "economic" else "51") + code[:6] + f"{self.serial:09d}")
        employees = rng.choice([rng.randrange(3, 31)] * 12 + [rng.randrange(31, 101)] * 5
                               + [rng.randrange(101, 501)] * 2 + [rng.randrange(501, 3000)])
        founded = date(rng.randrange(1995, 2025), rng.randrange(1, 13), rng.randrange(1, 29))
        # Drawn in the order they always were, so that the same seed gives the same city.
        industry = industry or rng.choice(INDUSTRIES)
        above_scale = (employees > 100 and rng.random() < 0.7) or rng.random() < 0.03
        owner_is_member = rng.random() < 0.1
        stamp = self.stamp(rng.randrange(200, 400))
        return Organization(
            name=f"{'企业' if kind == 'economic' else '社会组织'}{self.serial:06d}",
            credit_code=credit if registered else None, kind=kind,
            subtype=SUBTYPES[kind][self.serial % len(SUBTYPES[kind])],  # by serial: the draws stay as they were
            registered=registered, region_code=code, industry=industry, employees=employees, above_scale=above_scale,
            # no step comes before the founding (domain.md "Dates"): founded at the latest on registration
            founded_on=min(founded, stamp.occurred_on), superior_party_org=None, owner_is_member=owner_is_member,
            responsible_committee=None, stamp=stamp,
        )

    def add_members(self, org: Organization, n: int, *, transferred: bool = True,
                    status: MemberStatus = MemberStatus.FORMAL) -> None:
        rng = self.rng
        for _ in range(n):
            born = date(rng.randrange(1950, 2000), rng.randrange(1, 13), rng.randrange(1, 29))
            org.add_member(f"党员{rng.randrange(10**6)}", rng.choice(["male", "male", "female"]), born,
                           rng.choice(EDUCATIONS), status, transferred, self.stamp(rng.randrange(100, 200)))

    def case(self) -> list[Organization]:
        """One case (or a joint branch's few), with its steps taken."""
        rng, roll = self.rng, self.rng.random()
        if roll < 0.06:
            return self.joint_branch()
        org = self.organization()
        if roll < 0.40:  # no members; an instructor for some of the larger ones
            if org.employees > 50 and rng.random() < 0.4:
                org.assign_instructor(f"指导员{rng.randrange(500)}", self.stamp(50))
        elif roll < 0.57:  # developing members
            self.add_members(org, rng.randrange(1, 3), transferred=rng.random() < 0.7)
            if rng.random() < 0.5:
                org.affiliate(f"{org.region_code[:9]}社区党委", self.stamp(40))
            elif rng.random() < 0.5:
                org.record_applicant("申请人", "female", date(1995, 5, 5), "bachelor", self.stamp(30))
        elif roll < 0.65:  # temporary branch: members whose relations are elsewhere
            self.add_members(org, 3, transferred=False)
            org.establish_temporary_branch(f"{org.name}临时党支部", self.stamp(30))
        elif roll < 0.87:  # formal branch
            self.add_members(org, rng.randrange(3, 12))
            if rng.random() < 0.3:
                self.add_members(org, rng.randrange(1, 3), status=MemberStatus.PROBATIONARY)
            org.request_formal_branch(f"{org.name}党支部", None, self.stamp(20))
            org.approve_formal_branch(None, self.stamp(10))
        elif roll < 0.92:  # closed
            if rng.random() < 0.5:
                self.add_members(org, 1)
            org.close_case(self.stamp(5))
        else:  # members, not yet organized, and perhaps overdue
            self.add_members(org, rng.randrange(1, 3))
        if org.closed_on is None and rng.random() < 0.05:
            self.escalate(org)
        return [org]

    def joint_branch(self) -> list[Organization]:
        first = self.organization()
        group = [first] + [self.organization(region_code=first.region_code[:9] + f"{self.rng.randrange(1, 21):03d}",
                                             industry=first.industry) for _ in range(self.rng.randrange(1, 3))]
        for org in group:
            self.add_members(org, self.rng.randrange(1, 3))
        joint = JointBranchMembership(str(uuid4()), f"{first.name}等联合党支部", PartyOrgType.BRANCH,
                                      self.today - timedelta(days=15), [str(o.id) for o in group])
        for org in group:
            org.join_joint_branch(joint, self.stamp(15))
        return group

    def escalate(self, org: Organization) -> None:
        due = [o for o in obligations(org) if o.due_on is not None and o.due_on < self.today]
        if due:
            org.escalate(due[0].rule, due[0].subject, due[0].due_on or self.today, Stamp("system", self.today))

    def batches(self, cases: int, per_batch: int = 200) -> Iterator[list[Organization]]:
        """About `cases` organizations, `per_batch` at a time (one `save` each)."""
        batch: list[Organization] = []
        made = 0
        while made < cases:
            orgs = self.case()
            batch.extend(orgs)
            made += len(orgs)
            if len(batch) >= per_batch:
                yield batch
                batch = []
        if batch:
            yield batch
