"""The base of every step on a case (actions.py): the fields all share, and how each says it is available."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from branchflow.domain.organization import Organization
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.domain.rules import Thresholds
from branchflow.domain.stamp import Stamp
from branchflow.domain.values import BusinessDate, Key, Reason, no_control_characters

PersonId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20),
                     AfterValidator(no_control_characters)]


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

    @staticmethod
    def available(org: Organization, today: date, t: Thresholds) -> bool:
        """Whether this action could be taken now by someone; the forms offer only these."""
        return org.closed_on is None


def candidates_at(org: Organization, stage: DevelopmentStage) -> list[str]:
    return [c.id for c in org.candidates.values() if c.in_development and c.stage is stage]


def probationary_ids(org: Organization) -> list[str]:
    return [m.id for m in org.members.values() if m.present and m.status is MemberStatus.PROBATIONARY]


class PersonStep(Step):
    person_id: PersonId
    STAGE: ClassVar[DevelopmentStage | None] = None

    @classmethod
    def available(cls, org: Organization, today: date, t: Thresholds) -> bool:
        return org.closed_on is None and cls.STAGE is not None and bool(candidates_at(org, cls.STAGE))
