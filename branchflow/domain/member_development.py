"""Member development (发展党员) verbs of the Organization aggregate: applicant to formal member.

Kept here so that the aggregate's file stays small; `Organization` takes each function into its class body,
so the events are the Organization's own (topics `branchflow.domain.organization:Organization.<Event>`).
The steps' rules and intervals are in `development`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate, event

from branchflow.domain import development, guards
from branchflow.domain.calendar import add_months
from branchflow.domain.dates import not_before
from branchflow.domain.errors import RuleViolation
from branchflow.domain.id_numbers import birth_date_problem
from branchflow.domain.people import Candidate, DevelopmentStage, Member, MemberStatus, joined
from branchflow.domain.rules import require
from branchflow.domain.stamp import Stamp

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization


class ApplicantRecorded(Aggregate.Event):
    """An application to join the party (version 2 added the optional citizen `id_number`). `Organization`
    takes this class into its body, so the topic stays `...organization:Organization.ApplicantRecorded`."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["id_number"] = None  # recorded before ID numbers were taken

    person_id: str
    name: str
    gender: str
    birth_date: date
    education: str
    id_number: str | None
    stamp: Stamp


def record_applicant(
    self: Organization, name: str, gender: str, birth_date: date, education: str, stamp: Stamp,
    id_number: str | None = None,
    focus_group: str | None = None,
) -> str:
    require(guards.can_take_a_step(self, stamp.occurred_on))
    require(development.can_apply(birth_date, stamp.occurred_on))
    require(birth_date_problem(id_number, birth_date))
    require(guards.not_recorded_twice(self, name, gender, birth_date, id_number))
    person_id = self.next_person_id()
    self._applicant_recorded(person_id, name, gender, birth_date, education, stamp, id_number)
    if focus_group is not None:  # its own event: ApplicantRecorded's payload stays as stored
        self._focus_group_tagged(person_id, focus_group, stamp)
    return person_id


def tag_focus_group(self: Organization, person_id: str, focus_group: str, stamp: Stamp) -> None:
    require(guards.can_tag_focus_group(self, stamp.occurred_on))
    require(not_before("tagging the focus group", stamp.occurred_on,
                       development.applied(self.candidate(person_id))))
    self._focus_group_tagged(person_id, focus_group, stamp)


@event("FocusGroupTagged")
def focus_group_tagged(self: Organization, person_id: str, focus_group: str, stamp: Stamp) -> None:
    self.candidates[person_id].focus_group = focus_group


@event(ApplicantRecorded)
def applicant_recorded(
    self: Organization, person_id: str, name: str, gender: str, birth_date: date, education: str, stamp: Stamp,
    id_number: str | None = None,
) -> None:
    self.people_count += 1
    self.candidates[person_id] = Candidate(
        person_id, name, gender, birth_date, education, DevelopmentStage.APPLICANT, applied_on=stamp.occurred_on,
        id_number=id_number,
    )


def talk_to_applicant(self: Organization, person_id: str, stamp: Stamp) -> None:
    require(guards.can_talk_to_applicant(self, stamp.occurred_on))
    require(development.can_talk(self.candidate(person_id), stamp.occurred_on))
    self._applicant_talked_to(person_id, stamp)


@event("ApplicantTalkedTo")
def applicant_talked_to(self: Organization, person_id: str, stamp: Stamp) -> None:
    self.candidates[person_id].talked_on = stamp.occurred_on


def designate_activist(self: Organization, person_id: str, stamp: Stamp) -> None:
    require(guards.can_designate_activist(self, stamp.occurred_on))
    require(development.can_designate(self.candidate(person_id), stamp.occurred_on))
    self._activist_designated(person_id, stamp)


@event("ActivistDesignated")
def activist_designated(self: Organization, person_id: str, stamp: Stamp) -> None:
    c = self.candidates[person_id]
    c.stage, c.activist_on = DevelopmentStage.ACTIVIST, stamp.occurred_on
    c.talked_on = c.talked_on or stamp.occurred_on


def review_activist(self: Organization, person_id: str, stamp: Stamp) -> None:
    require(guards.can_review_activist(self, stamp.occurred_on))
    require(development.can_review(self.candidate(person_id), stamp.occurred_on))
    self._activist_reviewed(person_id, stamp)


@event("ActivistReviewed")
def activist_reviewed(self: Organization, person_id: str, stamp: Stamp) -> None:
    self.candidates[person_id].last_reviewed_on = stamp.occurred_on


def assign_cultivation_contacts(self: Organization, person_id: str, contact_ids: list[str], stamp: Stamp) -> None:
    require(guards.can_assign_cultivation_contacts(self, stamp.occurred_on))
    require(development.can_assign_contacts(self.candidate(person_id), self.members, contact_ids,
                                            stamp.occurred_on, changing=False))
    self._cultivation_contacts_assigned(person_id, sorted(contact_ids), stamp)


@event("CultivationContactsAssigned")
def cultivation_contacts_assigned(self: Organization, person_id: str, contact_ids: list[str], stamp: Stamp) -> None:
    c = self.candidates[person_id]
    c.contact_ids, c.contacts_on = list(contact_ids), stamp.occurred_on


def change_cultivation_contacts(self: Organization, person_id: str, contact_ids: list[str], stamp: Stamp) -> None:
    require(guards.can_change_cultivation_contacts(self, stamp.occurred_on))
    require(development.can_assign_contacts(self.candidate(person_id), self.members, contact_ids,
                                            stamp.occurred_on, changing=True, reason=stamp.reason))
    self._cultivation_contacts_changed(person_id, sorted(contact_ids), stamp)


@event("CultivationContactsChanged")
def cultivation_contacts_changed(self: Organization, person_id: str, contact_ids: list[str], stamp: Stamp) -> None:
    c = self.candidates[person_id]
    c.contact_ids, c.contacts_on = list(contact_ids), stamp.occurred_on


def record_political_review(self: Organization, person_id: str, passed: bool, stamp: Stamp) -> None:
    require(guards.can_record_political_review(self, stamp.occurred_on))
    require(development.can_record_political_review(self.candidate(person_id), stamp.occurred_on))
    self._political_review_recorded(person_id, passed, stamp)


@event("PoliticalReviewRecorded")
def political_review_recorded(self: Organization, person_id: str, passed: bool, stamp: Stamp) -> None:
    c = self.candidates[person_id]
    c.political_review_on, c.political_review_passed = stamp.occurred_on, passed


def record_training(
    self: Organization, person_id: str, started_on: date, ended_on: date, class_hours: int, stamp: Stamp
) -> None:
    require(guards.can_record_training(self, stamp.occurred_on))
    require(development.can_record_training(self.candidate(person_id), started_on, ended_on, class_hours,
                                            stamp.occurred_on))
    self._training_recorded(person_id, started_on, ended_on, class_hours, stamp)


@event("TrainingRecorded")
def training_recorded(
    self: Organization, person_id: str, started_on: date, ended_on: date, class_hours: int, stamp: Stamp
) -> None:
    c = self.candidates[person_id]
    c.trained_from, c.trained_until, c.training_hours = started_on, ended_on, class_hours


def record_departure(self: Organization, person_id: str, leaves_on: date, stamp: Stamp) -> None:
    require(guards.can_record_departure(self, stamp.occurred_on))
    require(development.can_record_departure(self.candidate(person_id), leaves_on, stamp.occurred_on))
    self._departure_recorded(person_id, leaves_on, stamp)


@event("DepartureRecorded")
def departure_recorded(self: Organization, person_id: str, leaves_on: date, stamp: Stamp) -> None:
    c = self.candidates[person_id]
    c.leaves_on, c.departure_allowed = leaves_on, False  # a new date is judged afresh


def allow_admission_despite_departure(self: Organization, person_id: str, stamp: Stamp) -> None:
    """A supervisor's exception to "not admitted when leaving within three months", with its reason."""
    require(guards.can_allow_admission_despite_departure(self, stamp.occurred_on))
    require(development.can_allow_departure(self.candidate(person_id), stamp.occurred_on))
    if not stamp.reason.strip():
        raise RuleViolation("departure_exception_needs_reason",
                            "admitting a person who leaves within three months needs the supervisor's reason")
    self._admission_despite_departure_allowed(person_id, stamp)


@event("AdmissionDespiteDepartureAllowed")
def admission_despite_departure_allowed(self: Organization, person_id: str, stamp: Stamp) -> None:
    self.candidates[person_id].departure_allowed = True


def confirm_development_target(self: Organization, person_id: str, stamp: Stamp) -> None:
    require(guards.can_confirm_development_target(self, stamp.occurred_on))
    require(development.can_confirm_target(self.candidate(person_id), stamp.occurred_on))
    self._development_target_confirmed(person_id, stamp)


@event("DevelopmentTargetConfirmed")
def development_target_confirmed(self: Organization, person_id: str, stamp: Stamp) -> None:
    c = self.candidates[person_id]
    c.stage, c.target_on = DevelopmentStage.DEVELOPMENT_TARGET, stamp.occurred_on


def admit_probationary(self: Organization, person_id: str, introducer_ids: list[str], stamp: Stamp) -> None:
    """The branch general meeting votes; the superior committee approves afterwards."""
    require(guards.can_admit_probationary(self, stamp.occurred_on))
    candidate = self.candidate(person_id)
    has_branch = self.formal_branch is not None or self.joint_branch is not None
    require(development.can_admit(candidate, self.members, has_branch, introducer_ids, stamp.occurred_on))
    # The meeting that votes is the party organization's: it was set up before (a case stored before these
    # dates were kept may not know when its temporary branch was; a formal or joint one it knows).
    require(not_before("the admission vote", stamp.occurred_on, self.party_organization_since()))
    self._probationary_admitted(person_id, sorted(introducer_ids), stamp)


@event("ProbationaryAdmitted")
def probationary_admitted(self: Organization, person_id: str, introducer_ids: list[str], stamp: Stamp) -> None:
    c = self.candidates[person_id]
    c.stage, c.voted_on, c.introducer_ids = DevelopmentStage.AWAITING_APPROVAL, stamp.occurred_on, introducer_ids


def approve_probationary(self: Organization, person_id: str, stamp: Stamp) -> None:
    require(guards.can_approve_probationary(self, stamp.occurred_on))
    require(development.can_approve(self.candidate(person_id), stamp.occurred_on, stamp.reason))
    self._probationary_approved(person_id, stamp)


@event("ProbationaryApproved")
def probationary_approved(self: Organization, person_id: str, stamp: Stamp) -> None:
    c = self.candidates[person_id]
    c.left_on = stamp.occurred_on
    assert c.voted_on is not None
    # Probation lasts one year from the branch meeting's vote, not from the approval.
    self.members[person_id] = Member(
        person_id, c.name, c.gender, c.birth_date, c.education, MemberStatus.PROBATIONARY,
        relation_transferred=True, joined_on=c.voted_on,
        probation_ends_on=add_months(c.voted_on, development.PROBATION_MONTHS), admitted_on=c.voted_on,
        id_number=c.id_number,
    )


def convert_to_formal(self: Organization, person_id: str, stamp: Stamp) -> None:
    require(guards.can_convert_to_formal(self, stamp.occurred_on))
    require(development.can_convert(self.member(person_id), stamp.occurred_on))
    self._converted_to_formal(person_id, stamp)


@event("ConvertedToFormal")
def converted_to_formal(self: Organization, person_id: str, stamp: Stamp) -> None:
    self.members[person_id].status = MemberStatus.FORMAL


def extend_probation(self: Organization, person_id: str, months: int, stamp: Stamp) -> None:
    require(guards.can_extend_probation(self, stamp.occurred_on))
    require(development.can_extend(self.member(person_id), months, stamp.occurred_on))
    self._probation_extended(person_id, months, stamp)


@event("ProbationExtended")
def probation_extended(self: Organization, person_id: str, months: int, stamp: Stamp) -> None:
    m = self.members[person_id]
    m.probation_ends_on, m.probation_extended = add_months(development.probation_ends_on(m), months), True


def cancel_probation(self: Organization, person_id: str, stamp: Stamp) -> None:
    require(guards.can_cancel_probation(self, stamp.occurred_on))
    member = self.member(person_id)
    if member.status is not MemberStatus.PROBATIONARY:
        raise RuleViolation("not_probationary", "only a probationary member's probation can be cancelled")
    require(not_before("cancelling the probation", stamp.occurred_on, joined(member)))
    self._probation_cancelled(person_id, stamp)


@event("ProbationCancelled")
def probation_cancelled(self: Organization, person_id: str, stamp: Stamp) -> None:
    self.members[person_id].left_on = stamp.occurred_on


def withdraw_candidate(self: Organization, person_id: str, stamp: Stamp) -> None:
    require(guards.can_withdraw_candidate(self, stamp.occurred_on))
    require(development.can_withdraw(self.candidate(person_id), stamp.occurred_on))
    self._candidate_withdrawn(person_id, stamp)


@event("CandidateWithdrawn")
def candidate_withdrawn(self: Organization, person_id: str, stamp: Stamp) -> None:
    self.candidates[person_id].left_on = stamp.occurred_on
