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


class FocusGroup(StrEnum):
    """The seed's focus groups of member development (重点发展群体), tagged on each candidate."""

    UNION_LEADER = "union_leader"  # 工会负责人 (mass-organization leaders: union,
    YOUTH_LEAGUE_LEADER = "youth_league_leader"  # 共青团负责人 Youth League,
    WOMENS_FEDERATION_LEADER = "womens_federation_leader"  # 妇联负责人 women's federation)
    MIDDLE_MANAGER = "middle_manager"  # 中层管理人员
    TECHNICAL_BACKBONE = "technical_backbone"  # 技术骨干
    OTHER = "other"  # 其他


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
    # The steps between the stages (issue 18); absent from snapshots older than them, hence the defaults.
    focus_group: str | None = None  # a FocusGroup value; None: not tagged
    contact_ids: list[str] = field(default_factory=list)  # 培养联系人: the formal members last assigned
    contacts_on: date | None = None
    political_review_on: date | None = None  # 政治审查: its date and whether it was passed
    political_review_passed: bool | None = None
    trained_from: date | None = None  # 短期集中培训: its first and last day and class hours
    trained_until: date | None = None
    training_hours: int | None = None
    leaves_on: date | None = None  # the day the person is expected to leave the organization
    departure_allowed: bool = False  # a supervisor's reason on record: admitted although leaving soon

    def __post_init__(self) -> None:
        self.stage = DevelopmentStage(self.stage)  # stored as text in snapshots

    @property
    def in_development(self) -> bool:
        return self.left_on is None

