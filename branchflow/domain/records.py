"""Small records the Organization aggregate keeps about its party organization and its deadlines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from branchflow.domain.rules import PartyOrgType


@dataclass
class PartyOrganization:
    """A formal party organization of the organization's own (单独组建), approved by a supervisor."""

    name: str
    type: PartyOrgType
    approved_on: date
    secretary: str | None = None
    committee: list[str] = field(default_factory=list)
    term_ends_on: date | None = None
    elected_on: date | None = None  # the last election (its term ends on term_ends_on)
    result_filed_on: date | None = None  # the superior committee took the last election's result on file

    def __post_init__(self) -> None:
        self.type = PartyOrgType(self.type)  # stored as text in snapshots


@dataclass
class JointBranchMembership:
    joint_branch_id: str
    name: str
    type: PartyOrgType
    joined_on: date
    organization_ids: list[str] = field(default_factory=list)
    # Elected like any branch (from 2026-12; None before): its secretary, committee and term.
    secretary: str | None = None
    committee: list[str] = field(default_factory=list)
    term_ends_on: date | None = None
    # The formal members present in all its organizations, as last recounted (None: not since it was formed).
    formal_members: int | None = None
    elected_on: date | None = None
    result_filed_on: date | None = None

    def __post_init__(self) -> None:
        self.type = PartyOrgType(self.type)  # stored as text in snapshots

    def election(self) -> tuple[object, ...]:
        """What its last election recorded: the same in every case of the joint branch once shared."""
        return self.secretary, self.committee, self.elected_on, self.term_ends_on, self.result_filed_on


@dataclass
class FormalRequest:
    name: str
    type: PartyOrgType | None
    requested_on: date

    def __post_init__(self) -> None:
        self.type = PartyOrgType(self.type) if self.type else None


@dataclass
class FactRecord:
    """What one fact-recording event recorded, with the corrections of it applied (domain.md "Corrections").

    `kind`: registration, headcount (their `values` are the organization's facts they set), member or candidate
    (the person `subject`, whose details the person's own record holds).
    """

    kind: str
    on: date
    values: dict[str, Any] = field(default_factory=dict)
    subject: str = ""


@dataclass
class Escalation:
    """A deadline that passed unmet, as the workflow recorded it."""

    rule: str
    subject: str
    due_on: date
    since: date
