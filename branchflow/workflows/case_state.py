"""What a formation workflow knows of its case: the view people see, and what it needs to judge a step.

Built by the activities from the aggregate (the workflow never reads the event store), so the update
validators can reject a forbidden step, with the rule in words, before anything runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer

from branchflow.domain.actions import ACTIONS
from branchflow.domain.case import CaseView, case_view
from branchflow.domain.errors import RuleViolation
from branchflow.domain.organization import Organization
from branchflow.domain.rules import Thresholds, can_join_joint_branch, open_case

ANY_STEP = "*"  # the key of `blocked` for a reason that forbids every step (a closed case)


class Rule(BaseModel):
    rule: str
    message: str
    earlier_step: str | None = None  # a date refused: the earlier step it conflicts with, and its date
    earlier_on: date | None = None

    @model_serializer(mode="wrap")
    def _without_empty_dates(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A case state carries a rule for each of some 25 steps it forbids, in every step's history (the local
        # activity's result): the two empty fields were a sixth of it. Left out, they read back as None.
        return {k: v for k, v in handler(self).items() if v is not None}

    @classmethod
    def of(cls, violation: RuleViolation) -> Rule:
        return cls(rule=violation.rule, message=violation.message, earlier_step=violation.earlier_step,
                   earlier_on=violation.earlier_on)


class CaseState(BaseModel):
    view: CaseView
    as_of: date  # the business date `view.next_actions` was computed for
    blocked: dict[str, Rule] = {}  # why each step missing from next_actions is forbidden: its guard's rule
    join_blocked: Rule | None = None  # why the organization may not join a joint branch now
    # A step's answer only: the other cases of the joint branch it recounted, whose workflows are told.
    recounted: list[UUID] = []

    @model_serializer(mode="wrap")
    def _without_empty_recount(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Empty on all but a joint branch's steps: left out of every history it would only lengthen.
        return {k: v for k, v in handler(self).items() if k != "recounted" or v}

    def refusal(self, action: str) -> Rule:
        """The rule that forbids `action`, for a step that is not among `next_actions`.

        A state built before every step had its guard may lack the rule: then the step is named unavailable.
        """
        if (reason := self.blocked.get(action) or self.blocked.get(ANY_STEP)) is not None:
            return reason
        allowed = ", ".join(self.view.next_actions) or "none"
        return Rule(rule="step_not_available",
                    message=f"{action} is not possible for this case now (stage {self.view.stage.value}); "
                            f"possible now: {allowed}")


def case_state(org: Organization, today: date, t: Thresholds) -> CaseState:
    if (closed := open_case(org)) is not None:
        blocked = {ANY_STEP: Rule.of(closed)}
    else:
        blocked = {name: Rule.of(v) for name, step in ACTIONS.items() if (v := step.refusal(org, today, t)) is not None}
    join = can_join_joint_branch(org, t)
    return CaseState(view=case_view(org, today, t), as_of=today, blocked=blocked,
                     join_blocked=Rule.of(join) if join is not None else None)
