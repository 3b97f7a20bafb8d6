"""Corrections correct what they name, and nothing after it (domain.md "Corrections"): Organization verbs.

A correction names the event it corrects (by version) and gives the right values. The case keeps what each
fact-recording event recorded (`Organization.fact_records`, corrections applied), and a fact's current value
is the one of the latest such event that set it: correcting the registration's headcount after a later
headcount report changes the registration in the history, not the current headcount. Only fact-recording
events can be corrected, each kind by its own step: the registration and headcount reports by
`correct_facts`, a member's (or an admitted person's) recorded details by `correct_member`, a person's in
development by `correct_candidate`. A correction that would make the case break a rule is refused with the rule.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import event

from branchflow.domain import development, guards
from branchflow.domain.dates import DATE_OUT_OF_ORDER
from branchflow.domain.errors import RuleViolation
from branchflow.domain.id_numbers import birth_date_problem
from branchflow.domain.records import FactRecord
from branchflow.domain.registration import credit_code_problem, subtype_problem
from branchflow.domain.rules import require
from branchflow.domain.stamp import Stamp

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization
    from branchflow.domain.people import Candidate, Member

# Facts a correction may change, and the members' fields likewise.
CORRECTABLE_FACTS = frozenset(
    {"name", "credit_code", "kind", "subtype", "registered", "region_code", "industry", "employees", "above_scale",
     "founded_on", "superior_party_org", "owner_is_member"}
)
HEADCOUNT_FACTS = frozenset({"employees", "above_scale"})
CORRECTABLE_MEMBER_FIELDS = frozenset({"name", "gender", "birth_date", "education", "id_number"})
# "closing" is kept only so that a reopening can name the closing it corrects; correct_facts refuses it.
_RECORDING = {"Registered": "registration", "HeadcountReported": "headcount", "MemberAdded": "member",
              "ApplicantRecorded": "candidate", "CaseClosed": "closing"}


def keep_record(org: Organization, event_name: str, version: int, on: date, person_id: str) -> None:
    """Called for every event applied: keeps what a fact-recording event recorded, and the current facts."""
    if org.fact_records is None:  # a case read from a snapshot older than these records
        return
    if (kind := _RECORDING.get(event_name)) is not None:
        facts = CORRECTABLE_FACTS if kind == "registration" else HEADCOUNT_FACTS if kind == "headcount" else ()
        org.fact_records[str(version)] = FactRecord(kind, on, {f: getattr(org, f) for f in facts}, person_id)
    if event_name in {"HeadcountReported", "FactsCorrected"}:
        for name, value in current_facts(org.fact_records).items():
            setattr(org, name, value)


def current_facts(records: dict[str, FactRecord]) -> dict[str, Any]:
    """Each fact's value as the latest event that set it recorded it (by business date, then recording order).

    The registration is the baseline whatever its date: a case entered today may get a headcount of last month
    reported after it, and that report is newer knowledge than the registration's (it was silently ignored)."""
    current: dict[str, Any] = {}
    for _, record in sorted(records.items(),
                            key=lambda item: (item[1].kind != "registration", item[1].on, int(item[0]))):
        current.update(record.values)
    return current


def _check(org: Organization, corrects: int, changes: dict[str, Any], kinds: set[str], subject: str = ""
           ) -> frozenset[str]:
    """The fields the named event's kind may correct; refuses a correction naming anything else."""
    if not 1 <= corrects <= org.version:
        raise RuleViolation("unknown_event", f"this case has no event with version {corrects}")
    if not changes:
        raise RuleViolation("nothing_to_correct", "a correction gives at least one corrected value")
    record = org.fact_records.get(str(corrects)) if org.fact_records is not None else None
    if org.fact_records is not None and (record is None or record.kind not in kinds or record.subject != subject):
        what = "this person's details" if subject else "the organization's facts"
        raise RuleViolation("not_a_fact_event", f"event {corrects} did not record {what}: only the event that "
                            "recorded them is corrected here (the registration and headcount reports with "
                            "correct_facts, a member's details with correct_member, a person's in development "
                            "with correct_candidate)")
    if record is not None and record.kind == "headcount":
        return HEADCOUNT_FACTS
    return CORRECTABLE_MEMBER_FIELDS if subject else CORRECTABLE_FACTS


def facts_after(org: Organization, corrects: int, changes: dict[str, Any]) -> dict[str, Any]:
    """The case's current facts as they would be with the correction."""
    if org.fact_records is None:
        return {name: getattr(org, name) for name in CORRECTABLE_FACTS} | changes
    records = dict(org.fact_records)
    named = records[str(corrects)]
    records[str(corrects)] = FactRecord(named.kind, named.on, named.values | changes, named.subject)
    return current_facts(records)


def correction_violation(org: Organization, after: dict[str, Any]) -> RuleViolation | None:
    """What the corrected case would break: credit code and subtype fit, its joint branch, its dates."""
    if (problem := credit_code_problem(after["registered"], after["credit_code"], after["kind"])) is not None:
        return RuleViolation("credit_code_mismatch", problem)
    # A kind corrected without a subtype keeps the old subtype, which no longer fits: the rule says so.
    if (problem := subtype_problem(after["kind"], after["subtype"])) is not None:
        return RuleViolation("subtype_mismatch", problem)
    if org.joint_branch is not None and after["region_code"][:9] != org.region_code[:9]:
        return RuleViolation("joint_not_neighbours", f"{org.name} is in the joint branch {org.joint_branch.name} "
                             "of its street: leave it before moving the organization to another street")
    if org.joint_branch is not None and after["industry"] != org.industry:
        return RuleViolation("joint_not_close_in_industry", f"{org.name} is in the joint branch "
                             f"{org.joint_branch.name} of its industry section: leave it before changing the industry")
    first = org.first_step  # every step of the case comes on or after the founding
    if first is not None and after["founded_on"] > first.on:
        return RuleViolation(DATE_OUT_OF_ORDER, f"founded on {after['founded_on'].isoformat()} would come after "
                             f"{first.step} on {first.on.isoformat()}, which follows the founding",
                             first.step, first.on)
    return None


def correct_facts(self: Organization, corrects: int, changes: dict[str, Any], stamp: Stamp) -> None:
    """Corrects the registration's or a headcount report's values; nothing is overwritten in the store."""
    require(guards.can_take_a_step(self, stamp.occurred_on))
    allowed = _check(self, corrects, changes, {"registration", "headcount"})
    if unknown := set(changes) - allowed:
        raise RuleViolation("not_correctable", f"these fields cannot be corrected in event {corrects}: "
                            f"{sorted(unknown)}")
    require(correction_violation(self, facts_after(self, corrects, changes)))
    self._facts_corrected(corrects, changes, stamp)


@event("FactsCorrected")
def facts_corrected(self: Organization, corrects: int, changes: dict[str, Any], stamp: Stamp) -> None:
    if self.fact_records is None:  # an older snapshot: the correction's values become the current ones
        for name, value in changes.items():
            setattr(self, name, value)
        return
    named = self.fact_records[str(corrects)]
    named.values = named.values | {k: v for k, v in changes.items() if k in named.values}


def correct_member(self: Organization, member_id: str, corrects: int, changes: dict[str, Any], stamp: Stamp) -> None:
    require(guards.can_name_a_member(self, stamp.occurred_on))
    member = self.member(member_id)
    if unknown := set(changes) - _check(self, corrects, changes, {"member", "candidate"}, member_id):
        raise RuleViolation("not_correctable", f"these fields cannot be corrected: {sorted(unknown)}")
    if "birth_date" in changes:
        require(development.can_be_member(changes["birth_date"], member.admitted_on or member.joined_on))
    _still_one_person(self, member, changes, ignoring=member_id)
    self._member_corrected(member_id, corrects, changes, stamp)


@event("MemberCorrected")
def member_corrected(self: Organization, member_id: str, corrects: int, changes: dict[str, Any], stamp: Stamp
                     ) -> None:
    for name, value in changes.items():
        setattr(self.members[member_id], name, value)


def correct_candidate(self: Organization, person_id: str, corrects: int, changes: dict[str, Any], stamp: Stamp
                      ) -> None:
    """A person in development's recorded details, corrected in the event that recorded the person (the
    application); the rules they touch are asked again: 18 at the application, a person recorded once."""
    require(guards.can_withdraw_candidate(self, stamp.occurred_on))  # its guard: somebody is in development
    candidate = self.candidate(person_id)
    if unknown := set(changes) - _check(self, corrects, changes, {"candidate"}, person_id):
        raise RuleViolation("not_correctable", f"these fields cannot be corrected: {sorted(unknown)}")
    if "birth_date" in changes:
        require(development.can_apply(changes["birth_date"], candidate.applied_on))
    _still_one_person(self, candidate, changes, ignoring=person_id)
    self._candidate_corrected(person_id, corrects, changes, stamp)


@event("CandidateCorrected")
def candidate_corrected(self: Organization, person_id: str, corrects: int, changes: dict[str, Any], stamp: Stamp
                        ) -> None:
    for name, value in changes.items():
        setattr(self.candidates[person_id], name, value)


def _still_one_person(self: Organization, person: Member | Candidate, changes: dict[str, Any], ignoring: str) -> None:
    """The rules a member's or a candidate's corrected identity touches: the ID number's embedded birth date,
    and the person recorded once in the organization."""
    after = {f: changes.get(f, getattr(person, f)) for f in ("name", "gender", "birth_date", "id_number")}
    if {"birth_date", "id_number"} & set(changes):  # the ID number carries the birth date too
        require(birth_date_problem(after["id_number"], after["birth_date"]))
    if after != {f: getattr(person, f) for f in after}:  # who the person is changes: still recorded once
        require(guards.not_recorded_twice(self, after["name"], after["gender"], after["birth_date"],
                                          after["id_number"], ignoring=ignoring))
