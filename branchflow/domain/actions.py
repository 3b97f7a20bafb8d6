"""The steps an organizer or supervisor can take on a case, as validated commands.

One model per action name of api.md. The API, the workflows and the ledger import all send these, so
every door into the system checks the same fields and runs the same aggregate method.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, TypeAdapter, ValidationInfo, field_validator

from branchflow.domain.development_steps import (
    AdmitProbationary,
    AllowAdmissionDespiteDeparture,
    ApproveProbationary,
    AssignCultivationContacts,
    CancelProbation,
    ChangeCultivationContacts,
    ConfirmDevelopmentTarget,
    ConvertToFormal,
    DesignateActivist,
    ExtendProbation,
    RecordApplicant,
    RecordDeparture,
    RecordPoliticalReview,
    RecordTraining,
    ReviewActivist,
    TagFocusGroup,
    TalkToApplicant,
    WithdrawCandidate,
)
from branchflow.domain.id_numbers import IdNumber, matching_birth_date
from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.registration import (
    FACT_CHANGES_SCHEMA,
    MEMBER_CHANGES_SCHEMA,
    validated_fact_changes,
    validated_member_changes,
)
from branchflow.domain.rules import (
    PartyOrgType,
    Thresholds,
)
from branchflow.domain.stamp import Stamp
from branchflow.domain.step import PersonId
from branchflow.domain.step import Step as Step  # re-exported: the base of every action
from branchflow.domain.values import (
    BirthDate,
    BusinessDate,
    CommitteeCode,
    Education,
    Gender,
    GivenReason,
    PersonName,
    Title,
)

FIVE_GOODS = ("leadership_team", "member_team", "working_mechanism", "development_results", "mass_reputation")
TEN_HAVES = ("plaque", "office_facilities", "activity_room", "e_education_equipment", "working_rules",
             "archives", "party_flag", "leader_portraits", "notice_board", "official_seal")


class ReportHeadcount(Step):
    action: Literal["report_headcount"]
    employees: Annotated[int, Field(ge=0, le=10_000_000)]
    above_scale: bool

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.report_headcount(self.employees, self.above_scale, stamp)


class AddMember(Step):
    action: Literal["add_member"]
    name: PersonName
    gender: Gender
    birth_date: BirthDate
    education: Education
    status: MemberStatus
    relation_transferred: bool
    admitted_on: BusinessDate | None = None  # a probationary member's admission (default: occurred_on)
    id_number: IdNumber | None = None  # 公民身份号码; its birth date must be `birth_date`

    _id_number_born = field_validator("id_number")(matching_birth_date)

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.add_member(self.name, self.gender, self.birth_date, self.education.value, self.status,
                       self.relation_transferred, stamp, self.admitted_on, self.id_number)


class TransferIn(Step):
    action: Literal["transfer_in"]
    member_id: PersonId

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.transfer_in(self.member_id, stamp)


class RequestTransferIn(Step):
    """组织关系转接: the member's relation is asked for from the organization where it sits."""

    action: Literal["request_transfer_in"]
    member_id: PersonId
    from_organization: Title

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.request_transfer_in(self.member_id, self.from_organization, stamp)


class TransferAbandoned(Step):
    """The transfer under way is given up; `reason` says why (required)."""

    action: Literal["transfer_abandoned"]
    member_id: PersonId
    reason: GivenReason  # why it was given up: required here

    @field_validator("reason")
    @classmethod
    def _given(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("giving up a transfer needs the reason")
        return reason

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.transfer_abandoned(self.member_id, stamp)


class TransferOut(Step):
    action: Literal["transfer_out"]
    member_id: PersonId

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.transfer_out(self.member_id, stamp)


class AssignInstructor(Step):
    action: Literal["assign_instructor"]
    name: PersonName

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.assign_instructor(self.name, stamp)


class WithdrawInstructor(Step):
    action: Literal["withdraw_instructor"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.withdraw_instructor(stamp)


class Affiliate(Step):
    action: Literal["affiliate"]
    party_org_name: Title

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.affiliate(self.party_org_name, stamp, t)


class EndAffiliation(Step):
    action: Literal["end_affiliation"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.end_affiliation(stamp)


class EstablishTemporaryBranch(Step):
    action: Literal["establish_temporary_branch"]
    name: Title

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.establish_temporary_branch(self.name, stamp, t)


class RequestFormalBranch(Step):
    action: Literal["request_formal_branch"]
    name: Title
    party_org_type: PartyOrgType | None = None

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.request_formal_branch(self.name, self.party_org_type, stamp, t)


class ApproveFormalBranch(Step):
    action: Literal["approve_formal_branch"]
    party_org_type: PartyOrgType | None = None
    SUPERVISOR_ONLY = True

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.approve_formal_branch(self.party_org_type, stamp, t)


class RejectFormalBranch(Step):
    action: Literal["reject_formal_branch"]
    SUPERVISOR_ONLY = True

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.reject_formal_branch(stamp)


class LeaveJointBranch(Step):
    action: Literal["leave_joint_branch"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.leave_joint_branch(stamp)


class DissolveBranch(Step):
    action: Literal["dissolve_branch"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.dissolve_branch(stamp)


class ElectBranchCommittee(Step):
    action: Literal["elect_branch_committee"]
    secretary: PersonName
    deputy_secretary: PersonName | None = None
    committee: Annotated[list[PersonName], Field(max_length=11, default_factory=list)]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.elect_branch_committee(self.secretary, self.deputy_secretary, self.committee, stamp)

    def apply_in_joint_branch(self, org: Organization, stamp: Stamp, t: Thresholds,
                              elsewhere: Sequence[Organization]) -> None:
        org.elect_branch_committee(self.secretary, self.deputy_secretary, self.committee, stamp, elsewhere)


class FileElectionResult(Step):
    """The superior committee takes the last election's result on file."""

    action: Literal["file_election_result"]
    SUPERVISOR_ONLY = True

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.file_election_result(stamp)


class FormYouthLeague(Step):
    action: Literal["form_youth_league"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.form_youth_league(stamp)


class FormUnion(Step):
    """The union (工会) set up alongside, where configured (`Thresholds.union_within_months`)."""

    action: Literal["form_union"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.form_union(stamp, t)


class RateFiveGoods(Step):
    """五个好: good leadership team, member team, working mechanism, development results, reputation."""

    action: Literal["rate_five_goods"]
    leadership_team: bool
    member_team: bool
    working_mechanism: bool
    development_results: bool
    mass_reputation: bool

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.rate_five_goods({k: getattr(self, k) for k in FIVE_GOODS}, stamp)


class CheckTenHaves(Step):
    """十个有 for an established party organization."""

    action: Literal["check_ten_haves"]
    plaque: bool
    office_facilities: bool
    activity_room: bool
    e_education_equipment: bool
    working_rules: bool
    archives: bool
    party_flag: bool
    leader_portraits: bool
    notice_board: bool
    official_seal: bool

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.check_ten_haves({k: getattr(self, k) for k in TEN_HAVES}, stamp)


class CorrectFacts(Step):
    """A correction names the event (by version) it corrects and gives the right values."""

    action: Literal["correct_facts"]
    corrects: Annotated[int, Field(ge=1)]
    changes: Annotated[dict[str, Any], Field(json_schema_extra=FACT_CHANGES_SCHEMA)]

    @field_validator("changes")
    @classmethod
    def _checked(cls, changes: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        return validated_fact_changes(changes, info.context)

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.correct_facts(self.corrects, self.changes, stamp)


# The fields a member's and a candidate's correction share (each step names its person by its own field first):
# the event corrected (its sequence in the case's history) and the details replaced, checked as a person's.
def _person_changes(changes: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    return validated_member_changes(changes, info.context)  # the context's `today` bounds a corrected date


CorrectedEvent = Annotated[int, Field(ge=1)]
PersonChanges = Annotated[dict[str, Any], Field(json_schema_extra=MEMBER_CHANGES_SCHEMA),
                          AfterValidator(_person_changes)]


class CorrectMember(Step):
    action: Literal["correct_member"]
    member_id: PersonId
    corrects: CorrectedEvent
    changes: PersonChanges

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.correct_member(self.member_id, self.corrects, self.changes, stamp)


class CorrectCandidate(Step):
    """A person in development's details (name, gender, birth date, education), in the event that recorded them."""

    action: Literal["correct_candidate"]
    person_id: PersonId
    corrects: CorrectedEvent
    changes: PersonChanges

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.correct_candidate(self.person_id, self.corrects, self.changes, stamp)


class ChangeResponsibleCommittee(Step):
    action: Literal["change_responsible_committee"]
    responsible_committee: CommitteeCode  # a code of the committee registry (the API checks that it is there)

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.change_responsible_committee(self.responsible_committee, stamp)


class CloseCase(Step):
    action: Literal["close_case"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.close_case(stamp)


class ReopenCase(Step):
    """A wrongly closed case is reopened by a supervisor, with a reason, as a correction of the closing."""

    action: Literal["reopen_case"]
    SUPERVISOR_ONLY = True

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.reopen_case(stamp)


ACTION_TYPES: tuple[type[Step], ...] = (
    ReportHeadcount, AddMember, TransferIn, TransferOut, RecordApplicant, TalkToApplicant, DesignateActivist,
    ReviewActivist, ConfirmDevelopmentTarget, AdmitProbationary, ApproveProbationary, ConvertToFormal,
    ExtendProbation, CancelProbation, WithdrawCandidate, AssignInstructor, WithdrawInstructor, Affiliate,
    EndAffiliation, EstablishTemporaryBranch, RequestFormalBranch, ApproveFormalBranch, RejectFormalBranch,
    LeaveJointBranch, DissolveBranch, ElectBranchCommittee, FormYouthLeague, RateFiveGoods, CheckTenHaves,
    CorrectFacts, CorrectMember, CorrectCandidate, ChangeResponsibleCommittee, CloseCase, ReopenCase,
    RequestTransferIn, TransferAbandoned, FileElectionResult, FormUnion, TagFocusGroup, AssignCultivationContacts,
    ChangeCultivationContacts, RecordPoliticalReview, RecordTraining, RecordDeparture, AllowAdmissionDespiteDeparture,
)


def action_name(action_type: type[Step]) -> str:
    return str(action_type.model_fields["action"].annotation.__args__[0])  # type: ignore[union-attr]


ACTIONS: dict[str, type[Step]] = {action_name(a): a for a in ACTION_TYPES}
SUPERVISOR_ACTIONS = frozenset(name for name, a in ACTIONS.items() if a.SUPERVISOR_ONLY)

Action = Annotated[
    ReportHeadcount | AddMember | TransferIn | TransferOut | RecordApplicant | TalkToApplicant
    | DesignateActivist | ReviewActivist | ConfirmDevelopmentTarget | AdmitProbationary | ApproveProbationary
    | ConvertToFormal | ExtendProbation | CancelProbation | WithdrawCandidate | AssignInstructor
    | WithdrawInstructor | Affiliate | EndAffiliation | EstablishTemporaryBranch | RequestFormalBranch
    | ApproveFormalBranch | RejectFormalBranch | LeaveJointBranch | DissolveBranch | ElectBranchCommittee
    | FormYouthLeague | RateFiveGoods | CheckTenHaves | CorrectFacts | CorrectMember | CorrectCandidate
    | ChangeResponsibleCommittee
    | CloseCase | ReopenCase | RequestTransferIn | TransferAbandoned | FileElectionResult | FormUnion | TagFocusGroup
    | AssignCultivationContacts | ChangeCultivationContacts | RecordPoliticalReview | RecordTraining
    | RecordDeparture | AllowAdmissionDespiteDeparture,
    Field(discriminator="action"),
]
ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)


def parse_action(data: dict[str, Any], today: date | None = None) -> Step:
    """Validates one step's body; with `today`, business dates after today are refused."""
    context = {"today": today} if today else None
    return ACTION_ADAPTER.validate_python(data, context=context)


def next_actions(org: Organization, today: date, t: Thresholds) -> list[str]:
    return [name for name, a in ACTIONS.items() if a.available(org, today, t)]
