"""Registering an organization: its facts, validated once for every door (API, import, demo)."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator
from pydantic_core import PydanticCustomError

from branchflow.domain.values import (
    BirthDate,
    BusinessDate,
    CreditCode,
    Education,
    Gender,
    Industry,
    OrganizationKind,
    PersonName,
    RegionCode,
    credit_code_kind,
)

OrganizationName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: OrganizationName
    credit_code: CreditCode | None = None
    kind: OrganizationKind
    registered: bool
    region_code: RegionCode
    industry: Industry
    employees: Annotated[int, Field(ge=0, le=10_000_000)]
    above_scale: bool = False
    founded_on: BusinessDate
    superior_party_org: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    owner_is_member: bool = False
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""
    occurred_on: BusinessDate | None = None
    command_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _credit_code_fits(self) -> Self:
        if self.registered and self.credit_code is None:
            raise PydanticCustomError("credit_code", "credit_code is required for a registered organization")
        if not self.registered and self.credit_code is not None:
            raise PydanticCustomError("credit_code", "an unregistered organization has no credit_code")
        # The registration-authority character tells enterprises (9) from social organizations (5).
        if self.credit_code and (code_kind := credit_code_kind(self.credit_code)) and code_kind != self.kind:
            raise PydanticCustomError(
                "credit_code", f"credit_code {self.credit_code} is issued to a {code_kind} organization, "
                f"but kind is {self.kind}",
            )
        return self

    def facts(self) -> dict[str, Any]:
        return self.model_dump(exclude=_STEP_FIELDS)


_STEP_FIELDS = frozenset({"reason", "occurred_on", "command_id"})
_FACT_FIELDS: dict[str, Any] = {
    name: field.annotation for name, field in Registration.model_fields.items() if name not in _STEP_FIELDS
}

_MEMBER_FIELDS: dict[str, Any] = {"name": PersonName, "gender": Gender, "birth_date": BirthDate,
                                  "education": Education}


def _validated(changes: dict[str, Any], types: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in types:
            raise PydanticCustomError("changes", f"{name} is not a field that can be corrected")
        checked = TypeAdapter(types[name]).validate_python(value)
        result[name] = checked.value if hasattr(checked, "value") else checked
    return result


def validated_fact_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return _validated(changes, _FACT_FIELDS)


def validated_member_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return _validated(changes, _MEMBER_FIELDS)

