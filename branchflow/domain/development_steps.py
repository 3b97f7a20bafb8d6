"""The member-development steps (发展党员) as validated commands; actions.py gathers every step."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from branchflow.domain import development
from branchflow.domain.id_numbers import IdNumber, matching_birth_date
from branchflow.domain.organization import Organization
from branchflow.domain.people import DevelopmentStage, FocusGroup
from branchflow.domain.rules import Thresholds
from branchflow.domain.stamp import Stamp
from branchflow.domain.step import PersonId, PersonStep, Step
from branchflow.domain.values import BirthDate, BusinessDate, CalendarDate, Education, Gender, PersonName

# Cultivation contacts are one or two formal members (《细则》第十条); more or fewer is refused by the domain.
ContactIds = Annotated[list[PersonId], Field(min_length=1, max_length=2)]


class RecordApplicant(Step):
    action: Literal["record_applicant"]
    name: PersonName
    gender: Gender
    birth_date: BirthDate
    education: Education
    id_number: IdNumber | None = None  # 公民身份号码; its birth date must be `birth_date`
    focus_group: FocusGroup | None = None  # the seed's focus groups; tagged later with tag_focus_group

    _id_number_born = field_validator("id_number")(matching_birth_date)

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.record_applicant(self.name, self.gender, self.birth_date, self.education.value, stamp, self.id_number,
                             focus_group=self.focus_group.value if self.focus_group else None)


class TagFocusGroup(PersonStep):
    action: Literal["tag_focus_group"]
    focus_group: FocusGroup

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.tag_focus_group(self.person_id, self.focus_group.value, stamp)


class AssignCultivationContacts(PersonStep):
    """培养联系人: one or two formal members present, for an activist who has none."""

    action: Literal["assign_cultivation_contacts"]
    contact_ids: ContactIds
    STAGE = DevelopmentStage.ACTIVIST

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.assign_cultivation_contacts(self.person_id, self.contact_ids, stamp)


class ChangeCultivationContacts(PersonStep):
    """Other contacts for an activist who has some; `reason` says why (the domain requires it)."""

    action: Literal["change_cultivation_contacts"]
    contact_ids: ContactIds
    STAGE = DevelopmentStage.ACTIVIST

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.change_cultivation_contacts(self.person_id, self.contact_ids, stamp)


class RecordPoliticalReview(PersonStep):
    """政治审查: its result; its date is the step's `occurred_on`."""

    action: Literal["record_political_review"]
    result: Literal["passed", "failed"]
    STAGE = DevelopmentStage.DEVELOPMENT_TARGET

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.record_political_review(self.person_id, self.result == "passed", stamp)


class RecordTraining(PersonStep):
    """短期集中培训: its first and last day and its class hours (at least 3 days or 24 hours)."""

    action: Literal["record_training"]
    started_on: BusinessDate
    ended_on: BusinessDate
    class_hours: Annotated[int, Field(ge=0, le=2000)]
    STAGE = DevelopmentStage.DEVELOPMENT_TARGET

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.record_training(self.person_id, self.started_on, self.ended_on, self.class_hours, stamp)


class RecordDeparture(PersonStep):
    """The person is expected to leave the organization on `leaves_on` (a future date, usually)."""

    action: Literal["record_departure"]
    leaves_on: CalendarDate

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.record_departure(self.person_id, self.leaves_on, stamp)


class AllowAdmissionDespiteDeparture(PersonStep):
    """A supervisor's exception, with its reason: admitted although leaving within three months."""

    action: Literal["allow_admission_despite_departure"]
    SUPERVISOR_ONLY = True
    STAGE = DevelopmentStage.DEVELOPMENT_TARGET

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.allow_admission_despite_departure(self.person_id, stamp)


class TalkToApplicant(PersonStep):
    action: Literal["talk_to_applicant"]
    STAGE = DevelopmentStage.APPLICANT

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.talk_to_applicant(self.person_id, stamp)


class DesignateActivist(PersonStep):
    action: Literal["designate_activist"]
    STAGE = DevelopmentStage.APPLICANT

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.designate_activist(self.person_id, stamp)


class ReviewActivist(PersonStep):
    action: Literal["review_activist"]
    STAGE = DevelopmentStage.ACTIVIST

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.review_activist(self.person_id, stamp)


class ConfirmDevelopmentTarget(PersonStep):
    action: Literal["confirm_development_target"]
    STAGE = DevelopmentStage.ACTIVIST

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.confirm_development_target(self.person_id, stamp)


class AdmitProbationary(PersonStep):
    action: Literal["admit_probationary"]
    introducer_ids: Annotated[list[PersonId], Field(min_length=2, max_length=2)]
    STAGE = DevelopmentStage.DEVELOPMENT_TARGET

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.admit_probationary(self.person_id, self.introducer_ids, stamp)


class ApproveProbationary(PersonStep):
    action: Literal["approve_probationary"]
    SUPERVISOR_ONLY = True
    STAGE = DevelopmentStage.AWAITING_APPROVAL

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.approve_probationary(self.person_id, stamp)


class WithdrawCandidate(PersonStep):
    action: Literal["withdraw_candidate"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.withdraw_candidate(self.person_id, stamp)


class ConvertToFormal(PersonStep):
    action: Literal["convert_to_formal"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.convert_to_formal(self.person_id, stamp)


class ExtendProbation(PersonStep):
    action: Literal["extend_probation"]
    months: Annotated[int, Field(ge=development.EXTENSION_MONTHS[0], le=development.EXTENSION_MONTHS[1])]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.extend_probation(self.person_id, self.months, stamp)


class CancelProbation(PersonStep):
    action: Literal["cancel_probation"]

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.cancel_probation(self.person_id, stamp)
