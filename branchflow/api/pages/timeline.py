"""A case's recorded events in words: who, when, what and why (the history and the audit pages)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from branchflow.api.pages import labels
from branchflow.api.pages.forms import OPTION_LABELS

SKIPPED = frozenset({"joint_branch_id"})
# What an event's `name` names.
NAMES = {
    "MemberAdded": "姓名", "ApplicantRecorded": "姓名", "InstructorAssigned": "指导员",
    "TemporaryBranchEstablished": "临时党支部", "FormalBranchRequested": "党组织名称",
    "JointBranchJoined": "联合党支部",
}


@dataclass(frozen=True)
class Entry:
    sequence: int
    what: str
    occurred_on: date
    recorded_at: datetime
    actor: str
    reason: str
    details: list[tuple[str, str]]


def _value(key: str, value: Any, people: Mapping[str, str]) -> str:
    if key in labels.PERSON_FIELDS:
        return people.get(str(value), str(value))
    if key == "introducer_ids":
        return "、".join(people.get(str(v), str(v)) for v in value)
    if key == "organization_ids":
        return f"{len(value)} 个组织"
    if key == "rule":
        return labels.OBLIGATIONS.get(str(value)) or labels.label(labels.RULES, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "；".join(f"{labels.FIELDS.get(k, k)}：{_value(k, v, people)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return OPTION_LABELS.get(key, {}).get(str(value), str(value))


def details(event_type: str, data: Mapping[str, Any], people: Mapping[str, str] | None = None
            ) -> list[tuple[str, str]]:
    """The event's data in words; a new person's id is left out (their name is there)."""
    people = people or {}
    skipped = SKIPPED | ({"person_id"} if "name" in data else set())
    names = {**labels.FIELDS, "name": NAMES.get(event_type, labels.FIELDS["name"])}
    return [(names.get(k, k), _value(k, v, people)) for k, v in data.items()
            if k not in skipped and v not in (None, "", [], {})]


def entry(item: Any, people: Mapping[str, str] | None = None) -> Entry:
    """From a `HistoryEntry` or an `AuditEntry` (both have these fields)."""
    return Entry(item.sequence, labels.label(labels.EVENTS, item.type), item.occurred_on, item.recorded_at,
                 item.actor, item.reason, details(item.type, item.data, people))
