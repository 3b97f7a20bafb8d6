"""The member-development steps (发展党员) as validated commands; actions.py gathers every step."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from branchflow.domain import development
from branchflow.domain.id_numbers import IdNumber, matching_birth_date
from branchflow.domain.organization import Organization
from branchflow.domain.people import DevelopmentStage
from branchflow.domain.rules import Thresholds
from branchflow.domain.stamp import Stamp
from branchflow.domain.step import PersonId, PersonStep, Step
from branchflow.domain.values import BirthDate, Education, Gender, PersonName


class RecordApplicant(Step):
    action: Literal["record_applicant"]
    name: PersonName
    gender: Gender
    birth_date: BirthDate
    education: Education
    id_number: IdNumber | None = None  # 公民身份号码; its birth date must be `birth_date`

    _id_number_born = field_validator("id_number")(matching_birth_date)

    def apply(self, org: Organization, stamp: Stamp, t: Thresholds) -> None:
        org.record_applicant(self.name, self.gender, self.birth_date, self.education.value, stamp, self.id_number)


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
