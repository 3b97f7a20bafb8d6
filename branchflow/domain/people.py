"""Party members and the people in member development, as the Organization aggregate holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from branchflow.domain.dates import Dated


class MemberStatus(StrEnum):
    FORMAL = "formal"  # 正式党员
    PROBATIONARY = "probationary"  # 预备党员


class DevelopmentStage(StrEnum):
    """The member-development path before a person becomes a (probationary) member."""

    APPLICANT = "applicant"  # 入党申请人
    ACTIVIST = "activist"  # 入党积极分子
    DEVELOPMENT_TARGET = "development_target"  # 发展对象
    AWAITING_APPROVAL = "awaiting_approval"  # branch meeting voted; superior committee has not approved yet


@dataclass
class Member:
    id: str
    name: str
    gender: str
    birth_date: date
    education: str
    status: MemberStatus
    relation_transferred: bool
    joined_on: date
    # Set for members admitted here: probation runs from the branch meeting's vote.
    probation_ends_on: date | None = None
    admitted_on: date | None = None  # the branch meeting's vote, for a probationary member (None: not recorded)
    probation_extended: bool = False
    left_on: date | None = None
    # A transfer of the relation in, under way (组织关系转接): from which organization, since when.
    transfer_from: str | None = None
    transfer_requested_on: date | None = None
    id_number: str | None = None  # 公民身份号码 (id_numbers.py), optional: shown in full only in scope

    def __post_init__(self) -> None:
        self.status = MemberStatus(self.status)  # stored as text in snapshots

    @property
    def present(self) -> bool:
        return self.left_on is None

    @property
    def counts_for_branch(self) -> bool:
        """Only formal members whose relation is in the organization count towards a branch of its own."""
        return self.present and self.status is MemberStatus.FORMAL and self.relation_transferred


def joined(member: Member) -> Dated:
    """The step a member's own next steps come after: joining the organization (or admission here)."""
    return Dated("probationary_admitted" if member.admitted_on == member.joined_on else "member_added",
                 member.joined_on)


@dataclass
class Candidate:
    id: str
    name: str
    gender: str
    birth_date: date
    education: str
    stage: DevelopmentStage
    applied_on: date
    talked_on: date | None = None
    activist_on: date | None = None
    last_reviewed_on: date | None = None
    target_on: date | None = None
    voted_on: date | None = None
    introducer_ids: list[str] = field(default_factory=list)
    left_on: date | None = None
    id_number: str | None = None  # 公民身份号码 (id_numbers.py), optional

    def __post_init__(self) -> None:
        self.stage = DevelopmentStage(self.stage)  # stored as text in snapshots

    @property
    def in_development(self) -> bool:
        return self.left_on is None

