"""The messages a case's workflow accepts: registration, steps, and a joint branch's hold on it.

The client, the workflows and the activities all exchange these pydantic models (the worker and the
client use `temporalio.contrib.pydantic.pydantic_data_converter`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
)

from branchflow.domain.actions import Action
from branchflow.domain.registration import DEFAULT_SUBTYPE, Registration
from branchflow.domain.rules import PartyOrgType
from branchflow.workflows.case_state import CaseState

Actor = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# Serialization context of the whole form, every field written (signing.py signs it).
WHOLE = "whole"


class RegisterCommand(BaseModel):
    model_config = ConfigDict(frozen=True)

    registration: Registration
    actor: Actor
    today: date
    signature: str = ""  # the API's HMAC (signing.py); empty in histories recorded before it

    @field_validator("registration", mode="before")
    @classmethod
    def _recorded_before_subtypes(cls, value: object) -> object:
        """Workflow histories recorded before subtypes hold registrations without one: they replay with the
        kind's default, as the stored Registered events are upcast."""
        if isinstance(value, dict) and "subtype" not in value and value.get("kind") in DEFAULT_SUBTYPE:
            return {**value, "subtype": DEFAULT_SUBTYPE[value["kind"]]}
        return value


class CallerScope(BaseModel):
    """The cases the caller may step on (api/access.py): a region prefix, or a committee's cases.

    Sent with the step (and signed with it) so that the workflow's validator checks it against the region and
    committee it holds: the API reads no case before a step (issue 19), and a corrected region moves the case
    out of a scope at once."""

    model_config = ConfigDict(frozen=True)

    region: str | None = None
    committee: str | None = None

    def outside(self, region_code: str, committee: str | None) -> str | None:
        """What of the case lies outside this scope (the 403's words), or None when it covers the case."""
        if self.committee is not None:
            return None if committee == self.committee else f"a case of committee {committee or '(none)'}"
        return None if region_code.startswith(self.region or "") else f"region {region_code}"


class StepCommand(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: Action
    actor: Actor
    today: date
    signature: str = ""  # the API's HMAC (signing.py); empty in histories recorded before it
    scope: CallerScope | None = None  # None: not checked (histories recorded before it, the import, the tests)

    @property
    def business_date(self) -> date:
        """The date the step is recorded for: its `occurred_on`, else the caller's today."""
        return self.step.occurred_on or self.today

    @model_serializer(mode="wrap")
    def _without_defaults(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        # Written into the case's history with every step (the update's request): a field at its default (an
        # empty reason, no occurred_on, a scope's absent committee, an action's unset options) is left out and
        # reads back equal (issue 19, BENCHMARKS.md "History per step"). The signature stays over the whole
        # form (context WHOLE), so a worker of the release before checks a lean command as it checked a whole
        # one, and this one a whole command sent by an older client.
        written: dict[str, Any] = handler(self)
        if isinstance(info.context, dict) and info.context.get(WHOLE):
            return written
        return without_defaults(self, written)


def without_defaults(model: BaseModel, written: dict[str, Any]) -> dict[str, Any]:
    """`written` (model's dump) without the fields that hold their default, in nested models too."""
    fields = type(model).model_fields
    lean: dict[str, Any] = {}
    for name, value in written.items():
        field, held = fields.get(name), getattr(model, name, None)
        if field is not None and not field.is_required() and held == field.get_default(call_default_factory=True):
            continue
        lean[name] = without_defaults(held, value) if isinstance(held, BaseModel) and isinstance(value, dict) else value
    return lean


class JointBranchCommand(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    organization_ids: Annotated[list[UUID], Field(min_length=1, max_length=50)]
    party_org_type: PartyOrgType
    actor: Actor
    today: date
    signature: str = ""  # the API's HMAC (signing.py); empty in histories recorded before it
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""
    command_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Reservation(BaseModel):
    """A joint branch holds an organization's workflow while it forms: no other step runs meanwhile."""

    joint_branch_id: str


class Release(BaseModel):
    """Ends a hold; `state` is the case after the joint branch was formed, None when nothing was written."""

    joint_branch_id: str
    state: CaseState | None = None

