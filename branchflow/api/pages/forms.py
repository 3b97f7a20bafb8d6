"""Forms generated from the commands' pydantic models, and posted forms read back into the commands' fields.

Each field's widget follows its type: text, date, number, a select for an enum or literal, a checkbox for a
bool, person selects for `person_id`/`member_id`/`introducer_ids` (filled with the case's people who fit the
step), and a field-and-value pair for a correction's `changes`.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from branchflow.api.pages import labels
from branchflow.domain.actions import ACTIONS
from branchflow.domain.case import CandidateView, CaseView, MemberView
from branchflow.domain.organization import CORRECTABLE_FACTS, CORRECTABLE_MEMBER_FIELDS

Kind = Literal["text", "date", "number", "checkbox", "select", "checkboxes", "list", "pair"]
COMMON = frozenset({"action", "reason", "occurred_on", "command_id"})
# Steps on a probationary member rather than on a person in development.
PROBATIONARY_STEPS = frozenset({"convert_to_formal", "extend_probation", "cancel_probation"})
PERSON_CORRECTIONS = frozenset({"correct_member", "correct_candidate"})  # they correct a person's details
OPTION_LABELS: dict[str, dict[str, str]] = {
    "gender": labels.GENDERS, "education": labels.EDUCATIONS, "status": labels.MEMBER_STATUSES,
    "party_org_type": labels.PARTY_ORG_TYPES, "kind": labels.KINDS, "subtype": labels.SUBTYPES,
    "industry": {k: f"{k} {v}" for k, v in labels.INDUSTRIES.items()},
    "focus_group": labels.FOCUS_GROUPS, "result": {"passed": "合格", "failed": "不合格"},
}
# Fields that name several of the case's formal members (checkboxes of them).
MEMBER_LISTS = frozenset({"introducer_ids", "contact_ids"})
NAME_LABELS = {
    "add_member": "姓名", "record_applicant": "姓名", "assign_instructor": "指导员姓名",
    "establish_temporary_branch": "临时党支部名称", "request_formal_branch": "党组织名称",
}
LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class Option:
    value: str
    text: str


@dataclass
class Widget:
    name: str
    label: str
    kind: Kind
    required: bool
    options: list[Option] = field(default_factory=list)
    value: Any = ""
    error: str = ""


@dataclass
class Form:
    """One step's (or the registration's) form, with what was entered and what the server said of it."""

    action: str
    label: str
    widgets: list[Widget]
    command_id: str = ""
    confirm: bool = False
    error: str = ""
    reason: str = ""
    occurred_on: str = ""


Choices = Callable[[str], list[Option] | None]


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was allowed."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            # An optional constrained type (a business date) is its base type: `date | None` is a date field.
            return (get_args(args[0])[0] if get_origin(args[0]) is Annotated else args[0]), True
    return annotation, False


def _kind(annotation: Any, has_choices: bool) -> Kind:
    plain, _ = _plain(annotation)
    origin = get_origin(plain)
    if plain is bool:
        return "checkbox"
    if plain is int:
        return "number"
    if plain is date:
        return "date"
    if origin is Literal or (isinstance(plain, type) and issubclass(plain, Enum)):
        return "select"
    if origin is list:
        return "checkboxes" if has_choices else "list"
    if origin is dict:
        return "pair"
    return "select" if has_choices else "text"


def _enum_options(name: str, annotation: Any) -> list[Option]:
    plain, _ = _plain(annotation)
    values = [str(v) for v in get_args(plain)] if get_origin(plain) is Literal else [str(m.value) for m in plain]
    return [Option(v, OPTION_LABELS.get(name, {}).get(v, v)) for v in values]


def widgets(model: type[BaseModel], choices: Choices, values: Mapping[str, Any] | None = None,
            errors: Mapping[str, str] | None = None, action: str = "") -> list[Widget]:
    values, errors = values or {}, errors or {}
    found = []
    for name, info in model.model_fields.items():
        if name in COMMON:
            continue
        options = choices(name)
        kind = _kind(info.annotation, options is not None)
        if kind == "select" and options is None:
            options = _enum_options(name, info.annotation)
        label = NAME_LABELS.get(action, "组织名称") if name == "name" else labels.FIELDS.get(name, name)
        default = "" if info.is_required() else info.get_default(call_default_factory=True)
        default = "" if default is None else default
        value = values.get(name, getattr(default, "value", default))
        found.append(Widget(name, label, kind, info.is_required(), options or [], value, errors.get(name, "")))
    return found


def _person(name: str, note: str) -> str:
    return f"{name}（{note}）"


def member_fits(action: str, m: MemberView) -> bool:
    """The members a step on members can name: relations elsewhere to transfer in, transfers under way."""
    if action == "transfer_in":
        return not m.relation_transferred
    if action == "request_transfer_in":
        return not m.relation_transferred and m.transfer_from is None
    if action == "transfer_abandoned":
        return m.transfer_from is not None
    return True


def candidate_fits(action: str, c: CandidateView) -> bool:
    """The people a development step can name: contacts are assigned to those without, changed for those with."""
    if action == "assign_cultivation_contacts":
        return not c.contact_ids
    if action == "change_cultivation_contacts":
        return bool(c.contact_ids)
    if action == "allow_admission_despite_departure":
        return c.leaves_on is not None and not c.departure_allowed
    return True


def case_choices(action: str, case: CaseView) -> Choices:
    """The people (or correctable fields) a step on this case can name, by the field's name."""
    step = ACTIONS[action]

    def choices(name: str) -> list[Option] | None:
        if name == "person_id":
            if action in PROBATIONARY_STEPS:
                return [Option(m.id, _person(m.name, "预备党员")) for m in case.members if m.status == "probationary"]
            stage = getattr(step, "STAGE", None)
            return [Option(c.id, _person(c.name, labels.label(labels.DEVELOPMENT_STAGES, c.stage)))
                    for c in case.candidates if (stage is None or c.stage == stage) and candidate_fits(action, c)]
        if name == "member_id":
            members = [m for m in case.members if member_fits(action, m)]
            return [Option(m.id, _person(m.name, labels.label(labels.MEMBER_STATUSES, m.status))) for m in members]
        if name in MEMBER_LISTS:
            return [Option(m.id, m.name) for m in case.members if m.status == "formal"]
        if name == "changes":
            correctable = CORRECTABLE_MEMBER_FIELDS if action in PERSON_CORRECTIONS else CORRECTABLE_FACTS
            return [Option(f, labels.FIELDS.get(f, f)) for f in sorted(correctable)]
        return None

    return choices


def no_choices(name: str) -> list[Option] | None:
    return None


def action_form(action: str, case: CaseView, command_id: str, values: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None) -> Form:
    errors = errors or {}
    values = values or {}
    return Form(
        action=action, label=labels.label(labels.ACTIONS, action),
        widgets=widgets(ACTIONS[action], case_choices(action, case), values, errors, action),
        command_id=command_id, confirm=action in labels.CONFIRM_ACTIONS,
        error="；".join(m for f, m in errors.items() if f in {"action", "body", "reason", "occurred_on"}),
        reason=str(values.get("reason", "")), occurred_on=str(values.get("occurred_on", "")),
    )


def read(model: type[BaseModel], form: FormData) -> dict[str, Any]:
    """The model's fields from a posted form; an empty optional field is left out (its default applies)."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "action":
            continue
        kind = _kind(info.annotation, name in MEMBER_LISTS)
        text = str(form.get(name) or "").strip()
        if kind == "checkbox":
            data[name] = name in form
        elif kind == "checkboxes":
            data[name] = [str(v) for v in form.getlist(name)]
        elif kind == "list":
            data[name] = [part for part in LIST_SEPARATORS.split(text) if part]
        elif kind == "pair":
            key, value = str(form.get(f"{name}.key") or ""), str(form.get(f"{name}.value") or "").strip()
            data[name] = {key: value} if key else {}
        elif text:
            data[name] = text
    return data


def entered(form: FormData) -> dict[str, Any]:
    """What the person typed, to put back into the form beside the errors."""
    values: dict[str, Any] = {}
    for key in form:
        many = form.getlist(key)
        values[key] = many if len(many) > 1 or key in MEMBER_LISTS else many[0]
    if "changes.key" in form:
        values["changes"] = {"key": form.get("changes.key"), "value": form.get("changes.value")}
    return values


def field_errors(error: ValidationError, action: str = "") -> dict[str, str]:
    """The first error of each field, in words; the field is the first part of the location after the
    action's tag (a discriminated union puts the tag first)."""
    found: dict[str, str] = {}
    for e in error.errors():
        parts = [str(p) for p in e["loc"] if p != action]
        tag_error = e["type"] in {"union_tag_invalid", "union_tag_not_found"}
        name = "action" if tag_error else parts[0] if parts else "body"
        found.setdefault(name, in_words(e))
    return found


def in_words(e: Any) -> str:
    kind, msg, ctx = e["type"], str(e["msg"]), e.get("ctx") or {}
    if kind == "missing":
        return "必填"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "请填写整数"
    if kind.startswith("date") and "future" not in msg and "before" not in msg:
        return "请填写日期（年-月-日）"
    if "in the future" in msg:
        return "日期不能晚于今天"
    if " is before " in msg:
        return "日期过早"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字"
    if kind == "too_short":
        return f"至少选择 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"最多选择 {ctx.get('max_length')} 项"
    if kind in {"literal_error", "enum"}:
        return "请从列表中选择"
    if kind == "credit_code":
        return f"统一社会信用代码有误：{msg}"
    if kind == "region_code":
        return f"地区代码应为12位数字：{msg}"
    if kind == "name_text":
        return "名称须含可见文字，且不能含双向控制字符"
    if kind == "person_name" and "bidirectional" in msg:
        return "姓名不能含双向控制字符"
    if kind == "person_name":
        return "姓名应为1至50个字，不含控制字符"
    if kind == "id_number" and "check character" in msg:
        return "公民身份号码校验码有误（请核对最后一位）"
    if kind == "id_number":
        return "公民身份号码应为18位：6位地区码、8位出生日期、3位顺序码和1位校验码（0-9或X）"
    if kind == "id_number_birth_date":
        return "公民身份号码中的出生日期与所填出生日期不一致"
    return msg
