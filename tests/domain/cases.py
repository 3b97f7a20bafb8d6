"""Builders of cases for the domain's tests: organizations, members and people in development, by date."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any
from uuid import UUID

from branchflow.domain.actions import parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.calendar import add_months
from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.registration import Registration
from branchflow.domain.rules import SEED_THRESHOLDS, PartyOrgType, Thresholds
from branchflow.domain.stamp import Stamp
from branchflow.domain.values import make_credit_code

DAY = date(2024, 3, 1)  # the business date steps happen on unless a test says otherwise
FOUNDED = date(2015, 1, 15)  # before the business dates tests give their steps
STREET = "440403001"  # a street (9 digits) in Zhuhai, Doumen district
ADULT = date(1990, 5, 20)

_serial = itertools.count(1)


def stamp(on: date = DAY, reason: str = "", actor: str = "organizer-1") -> Stamp:
    return Stamp(actor, on, reason)


def credit_code(kind: str = "economic", region_code: str = STREET + "001") -> str:
    """A valid, unique code: 91 (market regulation, enterprise) or 51 (civil affairs) + region + serial."""
    return make_credit_code(("91" if kind == "economic" else "51") + region_code[:6] + f"{next(_serial):09d}")


def facts(**overrides: Any) -> dict[str, Any]:
    """Registration facts of a registered private enterprise founded this year, 10 employees."""
    kind = overrides.get("kind", "economic")
    region_code = overrides.get("region_code", STREET + "001")
    registered = overrides.get("registered", True)
    base: dict[str, Any] = {
        "name": f"Organization {next(_serial)}",
        "credit_code": credit_code(kind, region_code) if registered else None,
        "kind": kind, "subtype": "private" if kind == "economic" else "social_association",
        "registered": registered, "region_code": region_code, "industry": "C", "employees": 10,
        "above_scale": False, "founded_on": FOUNDED, "superior_party_org": "Doumen two-new working committee",
        "owner_is_member": False, "responsible_committee": None,
    }
    return base | overrides


def organization(on: date = DAY, **overrides: Any) -> Organization:
    return Organization(stamp=stamp(on), **facts(**overrides))


def add_members(
    org: Organization, count: int, *, status: str = "formal", transferred: bool = True, on: date = DAY
) -> list[str]:
    return [
        org.add_member(f"Member {org.people_count + 1}", "female" if i % 2 else "male", ADULT, "bachelor",
                       MemberStatus(status), transferred, stamp(on))
        for i in range(count)
    ]


def with_formal_branch(
    org: Organization, *, members: int = 3, on: date = DAY, t: Thresholds = SEED_THRESHOLDS
) -> Organization:
    """Adds `members` transferred-in formal members and has a formal branch requested and approved."""
    add_members(org, members, on=on)
    org.request_formal_branch(f"Branch of {org.name}", None, stamp(on), t)
    reason = "" if members <= 50 else "approved as the work needs"  # keep the default-type rule out of the way
    org.approve_formal_branch(PartyOrgType.BRANCH, stamp(on, reason, "supervisor-1"), t)
    return org


def applicant(org: Organization, on: date = DAY, birth_date: date = ADULT) -> str:
    return org.record_applicant(f"Applicant {org.people_count + 1}", "female", birth_date, "junior_college", stamp(on))


def activist(org: Organization, on: date = DAY) -> str:
    person = applicant(org, on)
    org.designate_activist(person, stamp(on))
    return person


def development_target(org: Organization, on: date = DAY) -> str:
    """An activist of a year before `on`, confirmed as development target on `on`."""
    person = activist(org, add_months(on, -12))
    org.confirm_development_target(person, stamp(on))
    return person


def ready_target(org: Organization, on: date = DAY) -> str:
    """A development target of `on` with the political review passed and the training (a day of 24 class hours)
    recorded that day: ready for the branch's vote."""
    person = development_target(org, on)
    org.record_political_review(person, True, stamp(on))
    org.record_training(person, on, on, 24, stamp(on))
    return person


def formal_ids(org: Organization) -> list[str]:
    return [m.id for m in org.members.values() if m.present and m.status is MemberStatus.FORMAL]


def admitted(org: Organization, on: date = DAY) -> str:
    """A development target voted in on `on` (awaiting the superior committee's approval)."""
    person = ready_target(org, on)
    org.admit_probationary(person, formal_ids(org)[:2], stamp(on))
    return person


def probationary(org: Organization, on: date = DAY) -> str:
    """A probationary member voted in and approved on `on`."""
    person = admitted(org, on)
    org.approve_probationary(person, stamp(on, actor="supervisor-1"))
    return person


def state(org: Organization) -> dict[str, Any]:
    """The aggregate's state for comparisons (without the events not yet saved)."""
    return {k: v for k, v in vars(org).items() if k != "_pending_events"}


def memory_application(**env: str) -> FormationApplication:
    """The application on in-memory persistence (events still go through the JSON transcoder)."""
    return FormationApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"} | env)


def registration(**overrides: Any) -> Registration:
    return Registration.model_validate(facts(**overrides))


def register(app: FormationApplication, members: int = 0, *, transferred: bool = True, **overrides: Any) -> UUID:
    """Registers an organization and adds members through the application; returns its id."""
    org = app.register_organization(registration(**overrides), "organizer-1", DAY)
    for i in range(members):
        app.perform(org.id, parse_action({
            "action": "add_member", "name": f"Member {i + 1}", "gender": "female", "birth_date": "1985-01-01",
            "education": "bachelor", "status": "formal", "relation_transferred": transferred,
        }), "organizer-1", DAY)
    return org.id
