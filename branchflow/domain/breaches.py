"""The rules of today that a stored case breaks (issue 13: "a stored case that breaks a new rule").

Cases recorded before the rules of domain.md's "Dates", "Party organizations that lose their members" and
"People are recorded once" may hold what the steps now refuse: a step dated before the founding, an activist
made a development target within the year, a member entered at 17, a committee of a size its type may not
have, the same person recorded twice. Their events are never rewritten: `branchflow verify` lists each case
with the rule, and every answer about the case (its view, a refused step) names the rule and what corrects it.

Each check asks the rule's own function (the guard the step uses) of what the case holds now.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from pydantic import BaseModel

from branchflow.domain import development
from branchflow.domain.dates import Dated, not_before, registered_after_founding
from branchflow.domain.errors import RuleViolation
from branchflow.domain.organization import Organization
from branchflow.domain.people import Candidate, MemberStatus
from branchflow.domain.values import EARLIEST_BUSINESS_DATE


class BrokenRule(BaseModel):
    """A rule the stored case breaks: its name, what breaks it, and the step that corrects it."""

    rule: str
    detail: str
    fix: str


def broken_rules(org: Organization) -> list[BrokenRule]:
    return [*_dates(org), *_development(org), *_members(org), *_people_twice(org), *_officers(org)]


def _broken(violation: RuleViolation | None, fix: str) -> Iterator[BrokenRule]:
    if violation is not None:
        yield BrokenRule(rule=violation.rule, detail=violation.message, fix=fix)


def _dates(org: Organization) -> Iterator[BrokenRule]:
    founded = Dated("the founding", org.founded_on)
    yield from _broken(registered_after_founding(org.registered_on, org.founded_on),
                       "correct the founding date (correct_facts of the registration)")
    first = org.first_step
    if first is not None and first.on < EARLIEST_BUSINESS_DATE:  # `occurred_on: 0` once read as 1970 or earlier
        yield BrokenRule(rule="date_out_of_order", detail=f"{first.step} on {first.on.isoformat()} is before "
                         f"{EARLIEST_BUSINESS_DATE.isoformat()}", fix="correct the step's record")
    elif first is not None and first.step != "registered":
        yield from _broken(not_before(first.step, first.on, founded),
                           "correct the founding date (correct_facts of the registration)")


def _development(org: Organization) -> Iterator[BrokenRule]:
    for c in org.candidates.values():
        if not c.in_development:
            yield from _approval(org, c)
            continue
        fix = f"correct {c.id}'s details (correct_candidate), or withdraw {c.id} (withdraw_candidate)"
        yield from _broken(development.can_apply(c.birth_date, c.applied_on), fix)
        yield from _broken(_path_out_of_order(c), f"withdraw {c.id} and record the steps again on their dates")
        if c.target_on is not None and (eligible := development.target_eligible_on(c)) is not None \
                and c.target_on < eligible:
            yield BrokenRule(rule="cultivation_year_not_over", detail=(
                f"{c.id} became a development target on {c.target_on.isoformat()}, within the year of "
                f"cultivation (eligible from {eligible.isoformat()})"),
                fix=f"withdraw {c.id} and confirm the development target again once the year is over")


def _approval(org: Organization, c: Candidate) -> Iterator[BrokenRule]:
    """An admission approved here (the person left development as a member): within 6 months of the vote, and
    not before it. Whether a reason was given after 3 months the case does not keep: that is not asked."""
    if c.voted_on is None or c.left_on is None or c.id not in org.members:
        return
    refusal = development.can_approve(c, c.left_on, "a reason, if any, is not kept")
    yield from _broken(refusal, f"the approval of {c.id} stands as recorded: have the superior committee review "
                       f"it, and cancel the probation (cancel_probation) if the admission does not stand")


def _path_out_of_order(c: Candidate) -> RuleViolation | None:
    path = [Dated("applicant_recorded", c.applied_on), *(Dated(step, on) for step, on in (
        ("applicant_talked_to", c.talked_on), ("activist_designated", c.activist_on),
        ("development_target_confirmed", c.target_on), ("probationary_admitted", c.voted_on)) if on is not None)]
    return next((v for earlier, later in pairwise(path)
                 if (v := not_before(later.step, later.on, earlier)) is not None), None)


def _members(org: Organization) -> Iterator[BrokenRule]:
    for m in org.members.values():
        if m.present:
            yield from _broken(development.can_be_member(m.birth_date, m.admitted_on or m.joined_on),
                               f"correct {m.id}'s birth date (correct_member), or transfer {m.id} out")


def _people_twice(org: Organization) -> Iterator[BrokenRule]:
    """A person is entered once per organization: the same ID number, or (where either has none) the same
    name, gender and birth date, as guards.not_recorded_twice judges a new one."""
    by_number: dict[str, str] = {}
    by_person: dict[tuple[str, str, str], list[tuple[str, str | None]]] = {}
    here = [(m.id, m.name, m.gender, m.birth_date, m.id_number) for m in org.members.values() if m.present]
    here += [(c.id, c.name, c.gender, c.birth_date, c.id_number) for c in org.candidates.values() if c.in_development]
    for person_id, name, gender, born, number in here:
        key = (name, gender, born.isoformat())
        first = by_number.get(number) if number else None
        first = first or next((p for p, n in by_person.get(key, []) if not (number and n)), None)
        if number:
            by_number.setdefault(number, person_id)
        by_person.setdefault(key, []).append((person_id, number))
        if first is not None:
            yield BrokenRule(rule="person_recorded_twice", detail=f"{person_id} and {first} are one person "
                             f"({name}, {gender}, born {born.isoformat()})",
                             fix=f"take {person_id} out (transfer_out or withdraw_candidate), or correct the "
                             "details of the one entered wrongly (correct_member, correct_candidate)")


def _officers(org: Organization) -> Iterator[BrokenRule]:
    """The elected committee's size fits its type; the secretary was a formal member of the organization."""
    elected = org.formal_branch or org.joint_branch
    if elected is None or elected.elected_on is None:
        return
    low, high = development.COMMITTEE_SIZES[elected.type.value]
    if elected.committee and not low <= len(elected.committee) <= high:
        yield BrokenRule(rule="committee_size", detail=f"the {elected.type.value}'s committee has "
                         f"{len(elected.committee)} members; a {elected.type.value} elects {low} to {high}",
                         fix="elect again (elect_branch_committee)")
    formal = {m.name for m in org.members.values() if m.status is MemberStatus.FORMAL}
    # A joint branch's secretary may be a member of any of its organizations: this case alone cannot tell.
    if elected is org.formal_branch and elected.secretary is not None and elected.secretary not in formal:
        yield BrokenRule(rule="officer_not_formal_member", detail=f"the secretary {elected.secretary} is not a "
                         "formal member of the organization", fix="elect again (elect_branch_committee)")
