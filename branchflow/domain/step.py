"""The base of every step on a case (actions.py): the fields all share, and how each says it is available."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from branchflow.domain.errors import RuleViolation
from branchflow.domain.guards import GUARDS
from branchflow.domain.organization import Organization
from branchflow.domain.people import DevelopmentStage
from branchflow.domain.rules import Thresholds
from branchflow.domain.stamp import Stamp
from branchflow.domain.values import KEY_PATTERN, BusinessDate, Key, Reason, no_control_characters

PersonId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20),
                     AfterValidator(no_control_characters),
                     Field(json_schema_extra={"pattern": KEY_PATTERN})]


class Step(BaseModel):
    """Fields every action shares: why, on which business date, and the client's idempotency key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Actions only a supervisor (组织部门) may take.
    SUPERVISOR_ONLY: ClassVar[bool] = False

    reason: Reason = ""
    occurred_on: BusinessDate | None = None
    command_id: Key | None = None

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        raise NotImplementedError

    def apply_in_joint_branch(self, org: Organization, stamp: Stamp, t: Thresholds,
                              elsewhere: Sequence[Organization]) -> None:
        """The step on an organization of a joint branch whose other open organizations are `elsewhere`: most
        steps concern the case alone; an election concerns the joint branch's members in all of them."""
        self.apply(org, stamp, t)

    @classmethod
    def refusal(cls, org: Organization, today: date, t: Thresholds) -> RuleViolation | None:
        """The rule that forbids this action on the case now (whatever its input), or None: its one guard."""
        return GUARDS[cls.model_fields["action"].annotation.__args__[0]](org, today, t)  # type: ignore[union-attr]

    @classmethod
    def available(cls, org: Organization, today: date, t: Thresholds) -> bool:
        """Whether this action could be taken now by someone; the forms offer only these."""
        return cls.refusal(org, today, t) is None


class PersonStep(Step):
    person_id: PersonId
    STAGE: ClassVar[DevelopmentStage | None] = None  # the stage of the people the step is for
