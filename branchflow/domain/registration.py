"""Registering an organization: its facts, validated once for every door (API, import, demo)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from branchflow.domain.id_numbers import IdNumber
from branchflow.domain.values import (
    SUBTYPES,
    BirthDate,
    BusinessDate,
    CreditCode,
    Education,
    Gender,
    Industry,
    Key,
    OrganizationKind,
    PersonName,
    Reason,
    RegionCode,
    Subtype,
    Title,
    credit_code_kind,
)

# The subtype of a case registered before subtypes were recorded (its Registered event is upcast), and of a
# ledger without a subtype column: the commonest of its kind.
DEFAULT_SUBTYPE: dict[str, Subtype] = {"economic": "private", "social": "social_association"}


def credit_code_problem(registered: bool, credit_code: str | None, kind: str) -> str | None:
    """What is wrong with the credit code for these facts, or None (registration and corrections)."""
    if registered and credit_code is None:
        return "credit_code is required for a registered organization"
    if not registered and credit_code is not None:
        return "an unregistered organization has no credit_code"
    # The registration-authority character tells enterprises (9) from social organizations (5).
    if credit_code and (code_kind := credit_code_kind(credit_code)) and code_kind != kind:
        article = "an" if code_kind == "economic" else "a"
        return f"credit_code {credit_code} is issued to {article} {code_kind} organization, but kind is {kind}"
    return None


def subtype_problem(kind: str, subtype: str) -> str | None:
    """What is wrong with the subtype for this kind, or None (registration and corrections)."""
    if subtype not in (fitting := SUBTYPES.get(kind, ())):
        return f"subtype {subtype} is not one of a {kind} organization's: {', '.join(fitting)}"
    return None


def _fitting_facts(schema: dict[str, Any]) -> None:
    """The checks between fields, in the OpenAPI schema too: a credit code exactly when registered, a subtype of
    the kind (JSON Schema's if/then)."""
    schema["allOf"] = [
        {"if": {"properties": {"registered": {"const": True}}, "required": ["registered"]},
         "then": {"required": ["credit_code"], "properties": {"credit_code": {"type": "string"}}},
         "else": {"properties": {"credit_code": {"type": "null"}}}},
        *({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
           "then": {"properties": {"subtype": {"enum": list(subtypes)}}}} for kind, subtypes in SUBTYPES.items()),
    ]


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_fitting_facts)

    name: Title
    kind: OrganizationKind
    subtype: Subtype  # required of every new registration; checked against kind
    registered: bool
    # After kind and registered, which it is checked against (so that its errors name this field).
    credit_code: Annotated[CreditCode | None, Field(validate_default=True)] = None
    region_code: RegionCode
    industry: Industry
    employees: Annotated[int, Field(ge=0, le=10_000_000)]
    above_scale: bool = False
    founded_on: BusinessDate
    superior_party_org: Title | None = None
    owner_is_member: bool = False
    responsible_committee: Key | None = None  # a committee's code (the committee registry checks it)
    reason: Reason = ""
    occurred_on: BusinessDate | None = None
    command_id: Key | None = None

    @field_validator("credit_code")
    @classmethod
    def _credit_code_fits(cls, credit_code: str | None, info: ValidationInfo) -> str | None:
        if {"registered", "kind"} <= info.data.keys() and (
            problem := credit_code_problem(info.data["registered"], credit_code, info.data["kind"])
        ) is not None:
            raise PydanticCustomError("credit_code", problem)
        return credit_code

    @field_validator("subtype")
    @classmethod
    def _subtype_fits(cls, subtype: str, info: ValidationInfo) -> str:
        if "kind" in info.data and (problem := subtype_problem(info.data["kind"], subtype)) is not None:
            raise PydanticCustomError("subtype", problem)
        return subtype

    def facts(self) -> dict[str, Any]:
        return self.model_dump(exclude=set(_STEP_FIELDS))


_STEP_FIELDS = frozenset({"reason", "occurred_on", "command_id"})


# A correction checks each value as registration does: the field's type with its constraints
# (pydantic keeps those in `metadata`, apart from `annotation`), one field at a time.
def _adapter(annotation: Any, metadata: list[Any], schema_extra: Any = None) -> TypeAdapter[Any]:
    if schema_extra:  # a pattern for the schema, which the field keeps apart from its metadata
        metadata = [*metadata, Field(json_schema_extra=schema_extra)]
    return TypeAdapter(Annotated[annotation, *metadata] if metadata else annotation)


_FACT_FIELDS: dict[str, TypeAdapter[Any]] = {
    name: _adapter(field.annotation, field.metadata, field.json_schema_extra)
    for name, field in Registration.model_fields.items() if name not in _STEP_FIELDS
}
_MEMBER_FIELDS: dict[str, TypeAdapter[Any]] = {
    "name": _adapter(PersonName, []), "gender": _adapter(Gender, []), "birth_date": _adapter(BirthDate, []),
    "education": _adapter(Education, []),
    "id_number": _adapter(IdNumber | None, []),  # given later, or corrected; None takes a wrong one away
}


def _validated(
    changes: dict[str, Any], adapters: dict[str, TypeAdapter[Any]], context: Any = None
) -> dict[str, Any]:
    """Each corrected value checked; an error names the corrected field. `context` as for a model."""
    result: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in adapters:
            raise PydanticCustomError("changes", f"{name} is not a field that can be corrected")
        try:
            checked = adapters[name].validate_python(value, context=context)
        except ValidationError as error:
            raise PydanticCustomError(
                "changes", f"{name}: {'; '.join(e['msg'] for e in error.errors())}"
            ) from None
        result[name] = checked.value if hasattr(checked, "value") else checked
    return result


def changes_schema(adapters: dict[str, TypeAdapter[Any]]) -> dict[str, Any]:
    """The OpenAPI schema of a correction's `changes`: the correctable fields, each with its own schema."""
    return {"type": "object", "additionalProperties": False,
            "properties": {name: adapter.json_schema() for name, adapter in adapters.items()}}


FACT_CHANGES_SCHEMA = changes_schema(_FACT_FIELDS)
MEMBER_CHANGES_SCHEMA = changes_schema(_MEMBER_FIELDS)


def validated_fact_changes(changes: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return _validated(changes, _FACT_FIELDS, context)


def validated_member_changes(changes: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return _validated(changes, _MEMBER_FIELDS, context)
