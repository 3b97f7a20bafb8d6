"""What a formation workflow knows of its case: what it needs to decide and to wait, nothing more.

Built by the activities from the aggregate (the workflow never reads the event store). It is written into the
workflow's history with every step (the local activity's result), so it is kept small (issue 19, BENCHMARKS.md
"History per step"): no names or birth dates, no view of the case, no reasons for the steps it forbids. The
validator refuses a step missing from `next_actions` as not offered; the client then asks the domain for the
rule that forbids it (`refusal`), and composes the case's view from the event store at the `Applied` version.

Histories recorded before hold the older, whole shape (`{view, as_of, blocked, join_blocked}`): it reads into
this one (`_from_the_whole_shape`), with the view kept for the runs that still answer it (formation.py).

Runs started since the patch `coded-case-state` (formation.py) write it coded (`coded`): the offered steps as
one number, a bit per step of `OFFERED_CODES`, and no `join_blocked` (a blocked organization's reservation is
refused by the domain's guard when the joint branch is formed, with its message). The offered steps were ≈ 250 B
of a 600 B state, the join rule's message ≈ 120 B (issue 19, BENCHMARKS.md "History per step").
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from branchflow.domain.actions import ACTIONS, next_actions
from branchflow.domain.case import CaseView, ObligationView, candidate_next_due_on, case_view
from branchflow.domain.errors import RuleViolation
from branchflow.domain.obligations import obligations, overdue
from branchflow.domain.organization import Organization
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.domain.rules import Stage, Thresholds, can_join_joint_branch, open_case, stage

ANY_STEP = "*"  # the key, in the whole shape's `blocked`, of a reason that forbids every step (a closed case)
# The steps a coded state's `offered` number stands for, bit 0 first. Stored histories read these positions:
# append new steps at the end, never reorder or remove one (tests/workflows/test_case_state.py pins them).
OFFERED_CODES: tuple[str, ...] = (
    "report_headcount", "add_member", "transfer_in", "transfer_out", "record_applicant", "talk_to_applicant",
    "designate_activist", "review_activist", "confirm_development_target", "admit_probationary",
    "approve_probationary", "convert_to_formal", "extend_probation", "cancel_probation", "withdraw_candidate",
    "assign_instructor", "withdraw_instructor", "affiliate", "end_affiliation", "establish_temporary_branch",
    "request_formal_branch", "approve_formal_branch", "reject_formal_branch", "leave_joint_branch",
    "dissolve_branch", "elect_branch_committee", "form_youth_league", "rate_five_goods", "check_ten_haves",
    "correct_facts", "correct_member", "correct_candidate", "change_responsible_committee", "close_case",
    "reopen_case", "request_transfer_in", "transfer_abandoned", "file_election_result", "form_union",
    "tag_focus_group", "assign_cultivation_contacts", "change_cultivation_contacts", "record_political_review",
    "record_training", "record_departure", "allow_admission_despite_departure",
)
_BIT = {name: 1 << i for i, name in enumerate(OFFERED_CODES)}


def offered_number(names: list[str]) -> int:
    """The coded form of `names` (a step missing from OFFERED_CODES is a KeyError: it would read back as not
    offered)."""
    return sum(_BIT[name] for name in dict.fromkeys(names))


def offered_names(number: int) -> list[str]:
    return [name for name, bit in _BIT.items() if number & bit]


class Rule(BaseModel):
    rule: str
    message: str
    earlier_step: str | None = None  # a date refused: the earlier step it conflicts with, and its date
    earlier_on: date | None = None

    @model_serializer(mode="wrap")
    def _without_empty_dates(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Written into histories: the two empty fields were a sixth of a whole-shape state. Left out, they read
        # back as None.
        return {k: v for k, v in handler(self).items() if v is not None}

    @classmethod
    def of(cls, violation: RuleViolation) -> Rule:
        return cls(rule=violation.rule, message=violation.message, earlier_step=violation.earlier_step,
                   earlier_on=violation.earlier_on)


class Candidate(BaseModel):
    """A person in development: what the development workflow's schedule needs."""

    id: str
    stage: DevelopmentStage
    next_due_on: date | None = None


class Probationer(BaseModel):
    """A member on probation here (the only members the workflow follows)."""

    id: str
    status: MemberStatus = MemberStatus.PROBATIONARY
    probation_ends_on: date | None = None


class CaseState(BaseModel):
    id: UUID
    version: int
    as_of: date  # the business date `next_actions` (and the obligations' overdue flags) were computed for
    stage: Stage
    region_code: str  # with the committee: the scope the validator checks a step's caller against
    responsible_committee: str | None = None
    next_actions: list[str] = []
    obligations: list[ObligationView] = []
    candidates: list[Candidate] = []
    members: list[Probationer] = []  # members on probation only
    join_blocked: Rule | None = None  # why the organization may not join a joint branch now
    closed: Rule | None = None  # a closed case: the rule that refuses every step
    # A step's answer only: the other cases of the joint branch it recounted, whose workflows are told.
    recounted: list[UUID] = []
    # The whole view: only for runs started before the compact state, which answer it (formation.py), and in
    # states read from their histories.
    view: CaseView | None = None
    # Written coded (runs since the patch `coded-case-state`): `next_actions` as `offered`, a number.
    coded: bool = Field(default=False, exclude=True)

    @model_serializer(mode="wrap")
    def _without_empty_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Every field left out here has that empty value as its default: it reads back equal, in fewer bytes.
        written = {k: v for k, v in handler(self).items() if v is not None and v != []}
        if "obligations" in written:
            written["obligations"] = [{k: v for k, v in o.items() if v not in ("", False, [])}
                                      for o in written["obligations"]]
        if self.coded:  # `offered` is always written: it marks the coded form
            written.pop("next_actions", None)
            written["offered"] = offered_number(self.next_actions)
        return written

    @model_validator(mode="before")
    @classmethod
    def _from_the_whole_shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and "offered" in data:
            coded = {k: v for k, v in data.items() if k != "offered"}
            return {**coded, "next_actions": offered_names(int(data["offered"])), "coded": True}
        if not isinstance(data, dict) or "view" not in data or "stage" in data:
            return data
        view = CaseView.model_validate(data["view"])
        closed = (data.get("blocked") or {}).get(ANY_STEP)
        return {**compact(view), "as_of": data["as_of"], "join_blocked": data.get("join_blocked"),
                "closed": closed, "recounted": data.get("recounted") or [], "view": view}


class NewVersion(BaseModel):
    """A command's answer in runs since the patch `coded-case-state`: the case's version only (the client knows
    the case and the date it asked for; `Applied`'s id and date were 66 B of every step's history)."""

    model_config = ConfigDict(extra="forbid")  # an `Applied` or a view never reads as this

    version: int


class Applied(BaseModel):
    """An update's answer: the case's version after the command, and the date its view is to be composed for.

    Answers recorded before were the whole view: they read into this (`id`, `version`; `as_of` then None)."""

    id: UUID
    version: int
    as_of: date | None = None

    @classmethod
    def of(cls, state: CaseState) -> Applied:
        return cls(id=state.id, version=state.version, as_of=state.as_of)


def compact(view: CaseView) -> dict[str, Any]:
    """The fields of a case state a whole view gives (all but the date and the rules)."""
    return {
        "id": view.id, "version": view.version, "stage": view.stage, "region_code": view.region_code,
        "responsible_committee": view.responsible_committee.code if view.responsible_committee else None,
        "next_actions": view.next_actions, "obligations": view.obligations,
        "candidates": [Candidate(id=c.id, stage=c.stage, next_due_on=c.next_due_on) for c in view.candidates],
        "members": [Probationer(id=m.id, probation_ends_on=m.probation_ends_on) for m in view.members
                    if m.status is MemberStatus.PROBATIONARY],
    }


class Shape(Enum):
    """The form of the case state a run keeps and of the answer it gives a command, chosen by the patches its
    run started under (formation.py): one of three, where two booleans (`with_view`, `coded`) allowed a fourth
    that no run has. The activities' inputs still carry the two booleans (`Shaped`), as written before."""

    WHOLE = "whole"  # runs started before the compact case state: the whole view kept and answered
    COMPACT = "compact"  # since `compact-case-state`: no view; answered with `Applied`
    CODED = "coded"  # since `coded-case-state`: the offered steps as a number, no join rule; `NewVersion`

    @classmethod
    def of_run(cls, *, compact: bool, coded: bool) -> Shape:
        return cls.CODED if coded else cls.COMPACT if compact else cls.WHOLE


class Shaped(BaseModel):
    """An activity's input that names the case state's shape. Written as the two booleans it had before
    (`with_view`, `coded`), so that a worker of the release before reads an input scheduled by this one and the
    other way round (the inputs of activities that are not local are in the histories)."""

    shape: Shape = Shape.COMPACT

    @model_validator(mode="before")
    @classmethod
    def _from_the_booleans(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "shape" in data or not ({"with_view", "coded"} & data.keys()):
            return data
        rest = {k: v for k, v in data.items() if k not in ("with_view", "coded")}
        return {**rest, "shape": Shape.of_run(compact=not data.get("with_view"), coded=bool(data.get("coded")))}

    @model_serializer(mode="wrap")
    def _as_the_booleans(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        written = {k: v for k, v in handler(self).items() if k != "shape"}
        return {**written, "with_view": self.shape is Shape.WHOLE, "coded": self.shape is Shape.CODED}


def case_state(org: Organization, today: date, t: Thresholds, shape: Shape = Shape.COMPACT) -> CaseState:
    """The case state of `org` on `today` in `shape` (the whole view added for runs that still answer it;
    coded, without `join_blocked`, for runs since the patch `coded-case-state`)."""
    coded = shape is Shape.CODED
    join, closed = can_join_joint_branch(org, t) if not coded else None, open_case(org)
    if shape is Shape.WHOLE:
        view = case_view(org, today, t)
        return CaseState(**compact(view), as_of=today, join_blocked=Rule.of(join) if join else None,
                         closed=Rule.of(closed) if closed else None, view=view)
    late = {o.key for o in overdue(org, t)}
    present = [m for m in org.members.values() if m.present]
    return CaseState(
        id=org.id, version=org.version, as_of=today, stage=stage(org), region_code=org.region_code,
        responsible_committee=org.responsible_committee, next_actions=next_actions(org, today, t),
        obligations=[ObligationView(rule=o.rule, due_on=o.due_on, subject=o.subject, overdue=o.key in late,
                                    reminders=list(o.reminders)) for o in obligations(org, t)],
        candidates=[Candidate(id=c.id, stage=c.stage, next_due_on=candidate_next_due_on(c))
                    for c in org.candidates.values() if c.in_development],
        members=[Probationer(id=m.id, probation_ends_on=m.probation_ends_on) for m in present
                 if m.status is MemberStatus.PROBATIONARY],
        join_blocked=Rule.of(join) if join else None, closed=Rule.of(closed) if closed else None, coded=coded,
    )


def refusal(org: Organization, action: str, today: date, t: Thresholds) -> RuleViolation:
    """Why `action` is refused on the case now: its guard's rule (a closed case's first), asked of the domain when
    the workflow's validator found the action missing from `next_actions`."""
    step = ACTIONS.get(action)
    found = open_case(org) or (step.refusal(org, today, t) if step is not None else None)
    if found is not None:
        return found
    allowed = ", ".join(next_actions(org, today, t)) or "none"
    return RuleViolation("step_not_available", f"{action} is not possible for this case now; possible now: {allowed}")
