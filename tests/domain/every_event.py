"""One builder per event type of the Organization aggregate: a case whose last verb records that event.

The verb's stamp is `S`; test_events.py checks every event against it, test_event_store.py stores them all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import PartyOrgType, Thresholds
from branchflow.domain.stamp import Stamp

from .cases import (
    DAY,
    activist,
    add_members,
    admitted,
    applicant,
    development_target,
    facts,
    formal_ids,
    organization,
    probationary,
    ready_target,
    stamp,
    with_formal_branch,
)

S = Stamp("organizer-7", date(2025, 4, 1), "the reason given")


def formed() -> Organization:
    return with_formal_branch(organization(), on=date(2024, 1, 10))


def requested() -> Organization:
    org = organization()
    add_members(org, 3)
    org.request_formal_branch("Acme branch", None, stamp())
    return org


def with_people(members: int = 1, transferred: bool = True, status: str = "formal") -> Organization:
    org = organization(registered=False)
    add_members(org, members, transferred=transferred, status=status)
    return org


def temporary() -> Organization:
    org = with_people(3)
    org.establish_temporary_branch("Temporary branch", stamp())
    return org


def joint() -> JointBranchMembership:
    return JointBranchMembership("J1", "Joint branch", PartyOrgType.BRANCH, DAY, [])


def in_joint() -> Organization:
    org = with_people(1)
    org.join_joint_branch(joint(), stamp())
    return org


def closed() -> Organization:
    org = organization()
    org.close_case(stamp())
    return org


def step(build: Callable[[], Organization], verb: Callable[[Organization], object]) -> Callable[[], Organization]:
    def run() -> Organization:
        org = build()
        verb(org)
        return org

    return run


def with_instructor() -> Organization:
    org = organization()
    org.assign_instructor("Instructor Li", stamp())
    return org


def affiliated() -> Organization:
    org = with_people(1)
    org.affiliate("Village branch", stamp())
    return org


def transfer_requested() -> Organization:
    org = with_people(1, transferred=False)
    org.request_transfer_in("P1", "Village branch", stamp())
    return org


def elected() -> Organization:
    org = formed()
    org.elect_branch_committee("Member 1", None, [], stamp(date(2024, 2, 1)))
    return org


def with_contacts(org: Organization) -> str:
    person = activist(org)
    org.assign_cultivation_contacts(person, ["P1"], stamp())
    return person


def leaving_target(org: Organization) -> str:
    person = development_target(org)
    org.record_departure(person, date(2025, 5, 1), stamp())
    return person


def probation(org: Organization) -> str:
    return probationary(org, date(2024, 1, 10))


VERBS: dict[str, Callable[[], Organization]] = {
    "Registered": lambda: Organization(stamp=S, **facts()),
    "HeadcountReported": step(organization, lambda o: o.report_headcount(70, True, S)),
    "FactsCorrected": step(organization, lambda o: o.correct_facts(1, {"employees": 11}, S)),
    "MemberCorrected": step(with_people, lambda o: o.correct_member("P1", 2, {"name": "Li Lei"}, S)),
    "CandidateCorrected": step(organization, lambda o: o.correct_candidate(
        applicant(o), 2, {"birth_date": date(1991, 2, 3)}, S)),
    "MemberAdded": step(organization, lambda o: o.add_member(
        "Li Lei", "male", date(1980, 1, 1), "bachelor", MemberStatus.FORMAL, False, S,
        id_number="440403198001011238")),
    "MemberTransferredIn": step(lambda: with_people(1, transferred=False), lambda o: o.transfer_in("P1", S)),
    "MemberTransferredOut": step(with_people, lambda o: o.transfer_out("P1", S)),
    "ApplicantRecorded": step(
        organization, lambda o: o.record_applicant("Li", "male", date(1999, 1, 1), "bachelor", S,
                                                   "440403199901011238")),
    "ApplicantTalkedTo": step(organization, lambda o: o.talk_to_applicant(applicant(o), S)),
    "ActivistDesignated": step(organization, lambda o: o.designate_activist(applicant(o), S)),
    "ActivistReviewed": step(organization, lambda o: o.review_activist(activist(o), S)),
    "DevelopmentTargetConfirmed": step(organization, lambda o: o.confirm_development_target(activist(o), S)),
    "ProbationaryAdmitted": step(formed, lambda o: o.admit_probationary(ready_target(o), formal_ids(o)[:2], S)),
    "FocusGroupTagged": step(organization, lambda o: o.tag_focus_group(applicant(o), "technical_backbone", S)),
    "CultivationContactsAssigned": step(formed, lambda o: o.assign_cultivation_contacts(activist(o), ["P1"], S)),
    "CultivationContactsChanged": step(formed, lambda o: o.change_cultivation_contacts(
        with_contacts(o), ["P2", "P3"], S)),
    "PoliticalReviewRecorded": step(organization, lambda o: o.record_political_review(development_target(o), True, S)),
    "TrainingRecorded": step(organization, lambda o: o.record_training(
        development_target(o), date(2025, 3, 1), date(2025, 3, 3), 20, S)),
    "DepartureRecorded": step(organization, lambda o: o.record_departure(activist(o), date(2025, 6, 1), S)),
    "AdmissionDespiteDepartureAllowed": step(organization, lambda o: o.allow_admission_despite_departure(
        leaving_target(o), S)),
    "ProbationaryApproved": step(formed, lambda o: o.approve_probationary(admitted(o, date(2025, 2, 1)), S)),
    "ConvertedToFormal": step(formed, lambda o: o.convert_to_formal(probation(o), S)),
    "ProbationExtended": step(formed, lambda o: o.extend_probation(probation(o), 6, S)),
    "ProbationCancelled": step(formed, lambda o: o.cancel_probation(probation(o), S)),
    "CandidateWithdrawn": step(organization, lambda o: o.withdraw_candidate(applicant(o), S)),
    "InstructorAssigned": step(organization, lambda o: o.assign_instructor("Instructor Li", S)),
    "ResponsibleCommitteeChanged": step(organization, lambda o: o.change_responsible_committee("ZH-LAW", S)),
    "InstructorWithdrawn": step(with_instructor, lambda o: o.withdraw_instructor(S)),
    "Affiliated": step(with_people, lambda o: o.affiliate("Village branch", S)),
    "AffiliationEnded": step(affiliated, lambda o: o.end_affiliation(S)),
    "TemporaryBranchEstablished": step(lambda: with_people(3), lambda o: o.establish_temporary_branch("Temp", S)),
    "FormalBranchRequested": step(lambda: with_people(3), lambda o: o.request_formal_branch("Branch", None, S)),
    "FormalBranchApproved": step(requested, lambda o: o.approve_formal_branch(None, S)),
    "FormalBranchRejected": step(requested, lambda o: o.reject_formal_branch(S)),
    "JointBranchJoined": step(with_people, lambda o: o.join_joint_branch(joint(), S)),
    "JointBranchLeft": step(in_joint, lambda o: o.leave_joint_branch(S)),
    "JointBranchRecounted": step(in_joint, lambda o: o.recount_joint_branch(2, [str(o.id)], S)),
    "JointBranchElectionShared": step(in_joint, lambda o: o.share_joint_branch_election(JointBranchMembership(
        "J1", "Joint branch", PartyOrgType.BRANCH, DAY, [], "Member 9", [], date(2028, 4, 1), None, date(2025, 4, 1)
    ), S)),
    "BranchDissolved": step(temporary, lambda o: o.dissolve_branch(S)),
    "BranchCommitteeElected": step(formed, lambda o: o.elect_branch_committee("Member 1", None, [], S)),
    "YouthLeagueFormed": step(formed, lambda o: o.form_youth_league(S)),
    "FiveGoodsRated": step(formed, lambda o: o.rate_five_goods({"member_team": True}, S)),
    "TenHavesChecked": step(temporary, lambda o: o.check_ten_haves({"plaque": True}, S)),
    "DeadlineEscalated": step(organization, lambda o: o.escalate("develop_members", "", DAY, S)),
    "CaseClosed": step(organization, lambda o: o.close_case(S)),
    "CaseReopened": step(closed, lambda o: o.reopen_case(S)),
    "TransferRequested": step(lambda: with_people(1, transferred=False),
                              lambda o: o.request_transfer_in("P1", "Village branch", S)),
    "TransferAbandoned": step(transfer_requested, lambda o: o.transfer_abandoned("P1", S)),
    "ElectionResultFiled": step(elected, lambda o: o.file_election_result(S)),
    "DeadlineReminded": step(organization, lambda o: o.remind("hold_election", "", DAY, S)),
    "UnionFormed": step(formed, lambda o: o.form_union(S, Thresholds(union_within_months=6))),
}
