"""The Organization aggregate: one "two new" organization's case on the formation path.

Public methods are the domain's verbs: each checks the rules first and only then triggers its
past-tense event; the private `@event` methods apply events, also when the case is replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from branchflow.domain import corrections, dates, development, guards
from branchflow.domain import member_development as md
from branchflow.domain.calendar import add_months
from branchflow.domain.corrections import CORRECTABLE_FACTS as CORRECTABLE_FACTS
from branchflow.domain.corrections import CORRECTABLE_MEMBER_FIELDS as CORRECTABLE_MEMBER_FIELDS
from branchflow.domain.dates import Dated, latest, not_before
from branchflow.domain.dates import dated as on
from branchflow.domain.errors import RuleViolation, UnknownPerson
from branchflow.domain.id_numbers import birth_date_problem
from branchflow.domain.obligations import Moment, Obligation, moment_of
from branchflow.domain.people import Candidate, Member, MemberStatus, joined
from branchflow.domain.records import Escalation, FactRecord, FormalRequest, JointBranchMembership, PartyOrganization
from branchflow.domain.registration import DEFAULT_SUBTYPE
from branchflow.domain.rules import (
    SEED_THRESHOLDS,
    PartyOrgType,
    Thresholds,
    branch_members,
    can_join_joint_branch,
    default_party_org_type,
    members_here,
    require,
    term_years,
)
from branchflow.domain.stamp import Stamp

ORGANIZATION_NAMESPACE = UUID("6f1c1d8e-2b55-4f0e-9a51-5d0d8f3e2a10")
# What the workflows record on a deadline's day: a business date of their own, no step an organizer's
# backdated closing or step must follow (a reminder recorded today would refuse a closing of last month).
WORKFLOW_RECORDS = frozenset({"DeadlineEscalated", "DeadlineReminded"})

def organization_id(credit_code: str | None, region_code: str, name: str) -> UUID:
    """Deterministic: registering the same organization twice names the same case."""
    return uuid5(ORGANIZATION_NAMESPACE, credit_code or f"{region_code}/{name}")


def registered_id(credit_code: str, earlier: int) -> UUID:
    """The id of a case registered with this code after `earlier` cases registered with it had it corrected
    away (issue 13 finding 9: the code's real owner could never be registered). The first keeps
    `organization_id`'s, so every stored case keeps its id; a later one's is derived from the code and that
    count, so a retry finds the same id, and its workflow (named by the id) is not the first case's."""
    return organization_id(credit_code, "", "") if earlier == 0 else uuid5(ORGANIZATION_NAMESPACE,
                                                                           f"{credit_code}#{earlier}")


def _with_subtype(state: dict[str, Any]) -> None:
    """Version 2 records the subtype and the responsible committee: a case registered before gets its kind's
    default subtype (`DEFAULT_SUBTYPE`) and no committee."""
    state.setdefault("subtype", DEFAULT_SUBTYPE[state["kind"]])
    state.setdefault("responsible_committee", None)


@cache  # a few dozen event names, asked on every event applied (7 % of an import's batches before)
def step_name(event_name: str) -> str:
    """An event's name as the API names steps that happened: MemberAdded -> member_added."""
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in event_name).lstrip("_")


class Organization(Aggregate):
    """The verbs of member development (发展党员) are written in `member_development` and taken in below."""

    class_version = 2  # snapshots: see `upcast_v1_v2`
    upcast_v1_v2 = staticmethod(_with_subtype)

    class Registered(Aggregate.Created):
        """The registration's facts, as stored (version 2 added `subtype` and `responsible_committee`)."""

        class_version = 2
        upcast_v1_v2 = staticmethod(_with_subtype)

        name: str
        credit_code: str | None
        kind: str
        subtype: str
        registered: bool
        region_code: str
        industry: str
        employees: int
        above_scale: bool
        founded_on: date
        superior_party_org: str | None
        owner_is_member: bool
        responsible_committee: str | None
        stamp: Stamp

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)  # the event's own method first, then what every step keeps
            aggregate._took_step(self)

    # Kept since these rules came in; a case read from an older snapshot has the class's None until its
    # next event (then dates and moments start from there). Stored events are never rewritten for them.
    first_step: Dated | None = None  # the earliest business date of a step: a founding date comes before it
    last_step: Dated | None = None  # the latest: closing comes after it
    moments: list[Moment] | None = None  # the situation after each change that the obligations look at
    temporary_branch_on: date | None = None
    affiliated_on: date | None = None
    instructor_on: date | None = None
    fact_records: dict[str, FactRecord] | None = None  # by the version (as text, as JSON keeps it) of its event
    union_formed_on: date | None = None

    def _took_step(self, recorded: Any) -> None:
        event_name, on = type(recorded).__name__, recorded.stamp.occurred_on
        corrections.keep_record(self, event_name, recorded.originator_version, on, getattr(recorded, "person_id", ""))
        if event_name not in WORKFLOW_RECORDS:  # the workflows' records of a deadline are no steps
            step = Dated(step_name(event_name), on)
            self.last_step = latest(self.last_step, step)
            self.first_step = step if self.first_step is None or on < self.first_step.on else self.first_step
        if self.moments is not None:
            moment = moment_of(self, on)
            if not self.moments or not self.moments[-1].same_situation(moment):
                self.moments.append(moment)

    @staticmethod
    def create_id(credit_code: str | None, region_code: str, name: str, **_: Any) -> UUID:
        return organization_id(credit_code, region_code, name)

    @event(Registered)
    def __init__(
        self, *, name: str, credit_code: str | None, kind: str, subtype: str, registered: bool, region_code: str,
        industry: str, employees: int, above_scale: bool, founded_on: date, superior_party_org: str | None,
        owner_is_member: bool, responsible_committee: str | None, stamp: Stamp,
    ) -> None:
        self.name, self.credit_code, self.kind, self.registered = name, credit_code, kind, registered
        self.subtype, self.responsible_committee = subtype, responsible_committee
        self.region_code, self.industry, self.founded_on = region_code, industry, founded_on
        self.employees, self.above_scale = employees, above_scale
        self.superior_party_org, self.owner_is_member = superior_party_org, owner_is_member
        self.registered_on = stamp.occurred_on
        self.members: dict[str, Member] = {}
        self.candidates: dict[str, Candidate] = {}
        self.people_count = 0
        self.instructor: str | None = None
        self.affiliation: str | None = None
        self.joint_branch: JointBranchMembership | None = None
        self.temporary_branch: str | None = None
        self.formal_branch: PartyOrganization | None = None
        self.formal_request: FormalRequest | None = None
        self.youth_league_formed_on: date | None = None
        self.five_goods: dict[str, bool] | None = None
        self.ten_haves: dict[str, bool] | None = None
        self.escalations: dict[str, Escalation] = {}
        self.closed_on: date | None = None
        self.moments, self.fact_records = [], {}

    # --- facts -------------------------------------------------------------------------------

    def report_headcount(self, employees: int, above_scale: bool, stamp: Stamp) -> None:
        require(guards.can_take_a_step(self, stamp.occurred_on))
        self._headcount_reported(employees, above_scale, stamp)

    @event("HeadcountReported")
    def _headcount_reported(self, employees: int, above_scale: bool, stamp: Stamp) -> None:
        self.employees, self.above_scale = employees, above_scale

    # --- corrections, in corrections.py: each verb, then its event ------------------------------

    correct_facts, _facts_corrected = corrections.correct_facts, corrections.facts_corrected
    correct_member, _member_corrected = corrections.correct_member, corrections.member_corrected
    correct_candidate, _candidate_corrected = corrections.correct_candidate, corrections.candidate_corrected

    # --- party members -----------------------------------------------------------------------

    def member(self, member_id: str) -> Member:
        """A present member, or UnknownPerson."""
        found = self.members.get(member_id)
        if found is None or not found.present:
            raise UnknownPerson(member_id)
        return found

    def candidate(self, person_id: str) -> Candidate:
        """A person in development, or UnknownPerson."""
        found = self.candidates.get(person_id)
        if found is None or not found.in_development:
            raise UnknownPerson(person_id)
        return found

    def next_person_id(self) -> str:
        return f"P{self.people_count + 1}"

    class MemberAdded(Aggregate.Event):
        """A member entered (version 2 added `admitted_on`, the admission date of a probationary member;
        version 3 the optional citizen `id_number`)."""

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["admitted_on"] = None  # not recorded then: probation counts from joining the organization

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["id_number"] = None  # members entered before ID numbers were taken have none

        person_id: str
        name: str
        gender: str
        birth_date: date
        education: str
        status: str
        relation_transferred: bool
        admitted_on: date | None
        id_number: str | None
        stamp: Stamp

    def add_member(
        self, name: str, gender: str, birth_date: date, education: str, status: MemberStatus,
        relation_transferred: bool, stamp: Stamp, admitted_on: date | None = None, id_number: str | None = None,
    ) -> str:
        """A member who joined the party elsewhere; a probationary one carries the admission date (default:
        the day entered), from which the year of probation runs."""
        require(guards.can_take_a_step(self, stamp.occurred_on))
        if status is MemberStatus.PROBATIONARY:
            admitted_on = admitted_on or stamp.occurred_on
            if admitted_on > stamp.occurred_on:
                raise RuleViolation(dates.DATE_OUT_OF_ORDER, f"a member admitted on {admitted_on.isoformat()} "
                                    f"cannot be entered on {stamp.occurred_on.isoformat()}, before the admission")
        elif admitted_on is not None:
            raise RuleViolation("admission_date_for_probationary", "only a probationary member's admission date "
                                "is recorded; a formal member's probation is over")
        require(development.can_be_member(birth_date, admitted_on or stamp.occurred_on))
        require(birth_date_problem(id_number, birth_date))
        require(guards.not_recorded_twice(self, name, gender, birth_date, id_number))
        person_id = self.next_person_id()
        self._member_added(person_id, name, gender, birth_date, education, status, relation_transferred,
                           admitted_on, stamp, id_number)
        return person_id

    @event(MemberAdded)
    def _member_added(
        self, person_id: str, name: str, gender: str, birth_date: date, education: str, status: str,
        relation_transferred: bool, admitted_on: date | None, stamp: Stamp, id_number: str | None = None,
    ) -> None:
        self.people_count += 1
        self.members[person_id] = Member(
            person_id, name, gender, birth_date, education, MemberStatus(status), relation_transferred,
            joined_on=stamp.occurred_on, admitted_on=admitted_on,
            probation_ends_on=add_months(admitted_on, development.PROBATION_MONTHS) if admitted_on else None,
            id_number=id_number,
        )

    def transfer_in(self, member_id: str, stamp: Stamp) -> None:
        require(guards.can_transfer_in(self, stamp.occurred_on))
        if self.member(member_id).relation_transferred:
            raise RuleViolation("already_transferred", "the member's organizational relation is already here")
        require(not_before("the transfer", stamp.occurred_on, joined(self.member(member_id))))
        self._transferred_in(member_id, stamp)

    @event("MemberTransferredIn")
    def _transferred_in(self, member_id: str, stamp: Stamp) -> None:
        member = self.members[member_id]
        member.relation_transferred = True
        member.transfer_from = member.transfer_requested_on = None  # the transfer under way, if any, is done

    def request_transfer_in(self, member_id: str, from_organization: str, stamp: Stamp) -> None:
        """组织关系转接: the member's relation is asked for from the organization where it sits."""
        require(guards.can_request_transfer_in(self, stamp.occurred_on))
        member = self.member(member_id)
        if member.relation_transferred:
            raise RuleViolation("already_transferred", "the member's organizational relation is already here")
        if member.transfer_from is not None:
            raise RuleViolation("transfer_pending", f"a transfer from {member.transfer_from} is already under way "
                                f"since {member.transfer_requested_on}")
        self._transfer_requested(member_id, from_organization, stamp)

    @event("TransferRequested")
    def _transfer_requested(self, member_id: str, from_organization: str, stamp: Stamp) -> None:
        member = self.members[member_id]
        member.transfer_from, member.transfer_requested_on = from_organization, stamp.occurred_on

    def transfer_abandoned(self, member_id: str, stamp: Stamp) -> None:
        """The transfer under way is given up (the member's relation stays where it is); the step says why."""
        require(guards.can_abandon_transfer(self, stamp.occurred_on))
        if self.member(member_id).transfer_from is None:
            raise RuleViolation("no_transfer_pending", "no transfer of this member's relation is under way")
        self._transfer_abandoned(member_id, stamp)

    @event("TransferAbandoned")
    def _transfer_abandoned(self, member_id: str, stamp: Stamp) -> None:
        member = self.members[member_id]
        member.transfer_from = member.transfer_requested_on = None

    def transfer_out(self, member_id: str, stamp: Stamp) -> None:
        require(guards.can_name_a_member(self, stamp.occurred_on))
        require(not_before("the transfer", stamp.occurred_on, joined(self.member(member_id))))
        self._transferred_out(member_id, stamp)

    @event("MemberTransferredOut")
    def _transferred_out(self, member_id: str, stamp: Stamp) -> None:
        self.members[member_id].left_on = stamp.occurred_on

    # --- member development (发展党员), in member_development.py: each verb, then its event -------

    ApplicantRecorded = md.ApplicantRecorded  # declared beside its verb; its topic is Organization's, as before
    record_applicant, _applicant_recorded = md.record_applicant, md.applicant_recorded
    talk_to_applicant, _applicant_talked_to = md.talk_to_applicant, md.applicant_talked_to
    designate_activist, _activist_designated = md.designate_activist, md.activist_designated
    review_activist, _activist_reviewed = md.review_activist, md.activist_reviewed
    confirm_development_target, _development_target_confirmed = (
        md.confirm_development_target, md.development_target_confirmed)
    admit_probationary, _probationary_admitted = md.admit_probationary, md.probationary_admitted
    approve_probationary, _probationary_approved = md.approve_probationary, md.probationary_approved
    convert_to_formal, _converted_to_formal = md.convert_to_formal, md.converted_to_formal
    extend_probation, _probation_extended = md.extend_probation, md.probation_extended
    cancel_probation, _probation_cancelled = md.cancel_probation, md.probation_cancelled
    withdraw_candidate, _candidate_withdrawn = md.withdraw_candidate, md.candidate_withdrawn
    tag_focus_group, _focus_group_tagged = md.tag_focus_group, md.focus_group_tagged
    assign_cultivation_contacts, _cultivation_contacts_assigned = (
        md.assign_cultivation_contacts, md.cultivation_contacts_assigned)
    change_cultivation_contacts, _cultivation_contacts_changed = (
        md.change_cultivation_contacts, md.cultivation_contacts_changed)
    record_political_review, _political_review_recorded = md.record_political_review, md.political_review_recorded
    record_training, _training_recorded = md.record_training, md.training_recorded
    record_departure, _departure_recorded = md.record_departure, md.departure_recorded
    allow_admission_despite_departure, _admission_despite_departure_allowed = (
        md.allow_admission_despite_departure, md.admission_despite_departure_allowed)

    # --- responsibility (谁主管、谁负责) ----------------------------------------------------------

    def change_responsible_committee(self, committee: str, stamp: Stamp) -> None:
        """Another party committee answers for the case from now on (an industry committee takes it over,
        or it goes back to its street's). Responsibility moves only with a reason on record."""
        require(guards.can_take_a_step(self, stamp.occurred_on))
        if committee == self.responsible_committee:
            raise RuleViolation("committee_unchanged", f"{committee} is already the responsible committee")
        if not stamp.reason.strip():
            raise RuleViolation("committee_change_needs_reason",
                                "changing the responsible committee needs a reason on record")
        self._responsible_committee_changed(committee, stamp)

    @event("ResponsibleCommitteeChanged")
    def _responsible_committee_changed(self, committee: str, stamp: Stamp) -> None:
        self.responsible_committee = committee

    # --- coverage and formation --------------------------------------------------------------

    def assign_instructor(self, name: str, stamp: Stamp) -> None:
        require(guards.can_assign_instructor(self, stamp.occurred_on))
        self._instructor_assigned(name, stamp)

    @event("InstructorAssigned")
    def _instructor_assigned(self, name: str, stamp: Stamp) -> None:
        self.instructor, self.instructor_on = name, stamp.occurred_on

    def withdraw_instructor(self, stamp: Stamp) -> None:
        require(guards.can_withdraw_instructor(self, stamp.occurred_on))
        require(not_before("withdrawing the instructor", stamp.occurred_on,
                           on("instructor_assigned", self.instructor_on)))
        self._instructor_withdrawn(stamp)

    @event("InstructorWithdrawn")
    def _instructor_withdrawn(self, stamp: Stamp) -> None:
        self.instructor = None

    def affiliate(self, party_org_name: str, stamp: Stamp, t: Thresholds = SEED_THRESHOLDS) -> None:
        require(guards.GUARDS["affiliate"](self, stamp.occurred_on, t))
        self._affiliated(party_org_name, stamp)

    @event("Affiliated")
    def _affiliated(self, party_org_name: str, stamp: Stamp) -> None:
        self.affiliation, self.affiliated_on = party_org_name, stamp.occurred_on

    def end_affiliation(self, stamp: Stamp) -> None:
        require(guards.can_end_affiliation(self, stamp.occurred_on))
        require(not_before("ending the affiliation", stamp.occurred_on, on("affiliated", self.affiliated_on)))
        self._affiliation_ended(stamp)

    @event("AffiliationEnded")
    def _affiliation_ended(self, stamp: Stamp) -> None:
        self.affiliation = None

    def establish_temporary_branch(self, name: str, stamp: Stamp, t: Thresholds = SEED_THRESHOLDS) -> None:
        require(guards.GUARDS["establish_temporary_branch"](self, stamp.occurred_on, t))
        self._temporary_branch_established(name, stamp)

    @event("TemporaryBranchEstablished")
    def _temporary_branch_established(self, name: str, stamp: Stamp) -> None:
        self.temporary_branch, self.affiliation = name, None
        self.temporary_branch_on = stamp.occurred_on

    def request_formal_branch(
        self, name: str, party_org_type: PartyOrgType | None, stamp: Stamp, t: Thresholds = SEED_THRESHOLDS
    ) -> None:
        require(guards.GUARDS["request_formal_branch"](self, stamp.occurred_on, t))
        self._formal_branch_requested(name, party_org_type, stamp)

    @event("FormalBranchRequested")
    def _formal_branch_requested(self, name: str, party_org_type: str | None, stamp: Stamp) -> None:
        self.formal_request = FormalRequest(name, PartyOrgType(party_org_type) if party_org_type else None,
                                            stamp.occurred_on)

    def approve_formal_branch(
        self, party_org_type: PartyOrgType | None, stamp: Stamp, t: Thresholds = SEED_THRESHOLDS
    ) -> None:
        """The type is chosen at approval; another than the default for the member count needs a reason.

        The default counts the formal members whose relation is here, as the request's condition does.
        """
        require(guards.can_approve_formal_branch(self, stamp.occurred_on, t))
        assert self.formal_request is not None
        require(not_before("the approval", stamp.occurred_on, on("formal_branch_requested",
                                                                  self.formal_request.requested_on)))
        n = members_here(self)  # the Party counts formal and probationary members whose relation is here
        default = default_party_org_type(n)
        chosen = PartyOrgType(party_org_type or self.formal_request.type or default)
        if chosen != default and not stamp.reason.strip():
            raise RuleViolation(
                "type_exception_needs_reason",
                f"with {n} members whose relation is here the default type is {default.value}; approving "
                f"{chosen.value} instead is an exception that needs the supervisor's reason",
            )
        self._formal_branch_approved(chosen, stamp)

    @event("FormalBranchApproved")
    def _formal_branch_approved(self, party_org_type: str, stamp: Stamp) -> None:
        assert self.formal_request is not None
        org_type = PartyOrgType(party_org_type)
        self.formal_branch = PartyOrganization(self.formal_request.name, org_type, stamp.occurred_on)
        self.formal_request, self.temporary_branch, self.affiliation = None, None, None
        self.joint_branch = None  # a branch of its own replaces the joint branch

    def reject_formal_branch(self, stamp: Stamp) -> None:
        require(guards.can_reject_formal_branch(self, stamp.occurred_on))
        assert self.formal_request is not None
        require(not_before("the rejection", stamp.occurred_on, on("formal_branch_requested",
                                                                   self.formal_request.requested_on)))
        self._formal_branch_rejected(stamp)

    @event("FormalBranchRejected")
    def _formal_branch_rejected(self, stamp: Stamp) -> None:
        self.formal_request = None

    def join_joint_branch(self, joint: JointBranchMembership, stamp: Stamp, t: Thresholds = SEED_THRESHOLDS) -> None:
        require(can_join_joint_branch(self, t))
        self._joint_branch_joined(joint.joint_branch_id, joint.name, joint.type.value, joint.organization_ids, stamp)

    @event("JointBranchJoined")
    def _joint_branch_joined(
        self, joint_branch_id: str, name: str, party_org_type: str, organization_ids: list[str], stamp: Stamp
    ) -> None:
        self.joint_branch = JointBranchMembership(
            joint_branch_id, name, PartyOrgType(party_org_type), stamp.occurred_on, organization_ids
        )
        self.temporary_branch, self.affiliation = None, None

    def recount_joint_branch(self, formal_members: int, organization_ids: list[str], stamp: Stamp) -> None:
        """Recorded by the application when an organization of the joint branch gains or loses formal members,
        leaves or closes: each of them learns how many the joint branch has together, and who is still in it."""
        if self.joint_branch is None:
            raise RuleViolation("not_in_joint_branch", "the organization is not in a joint branch")
        self._joint_branch_recounted(formal_members, organization_ids, stamp)

    @event("JointBranchRecounted")
    def _joint_branch_recounted(self, formal_members: int, organization_ids: list[str], stamp: Stamp) -> None:
        assert self.joint_branch is not None
        self.joint_branch.formal_members, self.joint_branch.organization_ids = formal_members, organization_ids

    def share_joint_branch_election(self, elected: JointBranchMembership, stamp: Stamp) -> None:
        """Recorded by the application when another organization of the joint branch elected or had the
        election's result filed: one party organization, so every case shows its officers, term and what
        comes due of it (the recount's pattern; issue 13 finding 5)."""
        if self.joint_branch is None:
            raise RuleViolation("not_in_joint_branch", "the organization is not in a joint branch")
        self._joint_branch_election_shared(elected.secretary, list(elected.committee), elected.elected_on,
                                           elected.term_ends_on, elected.result_filed_on, stamp)

    @event("JointBranchElectionShared")
    def _joint_branch_election_shared(
        self, secretary: str | None, committee: list[str], elected_on: date | None, term_ends_on: date | None,
        result_filed_on: date | None, stamp: Stamp,
    ) -> None:
        assert self.joint_branch is not None
        joint = self.joint_branch
        joint.secretary, joint.committee, joint.elected_on = secretary, committee, elected_on
        joint.term_ends_on, joint.result_filed_on = term_ends_on, result_filed_on

    def leave_joint_branch(self, stamp: Stamp) -> None:
        require(guards.can_leave_joint_branch(self, stamp.occurred_on))
        assert self.joint_branch is not None
        require(not_before("leaving", stamp.occurred_on, on("joint_branch_joined", self.joint_branch.joined_on)))
        self._joint_branch_left(stamp)

    @event("JointBranchLeft")
    def _joint_branch_left(self, stamp: Stamp) -> None:
        self.joint_branch = None

    def dissolve_branch(self, stamp: Stamp) -> None:
        """Falling back: the organization's own formal or temporary branch is dissolved."""
        require(guards.can_dissolve_branch(self, stamp.occurred_on))
        require(not_before("the dissolution", stamp.occurred_on, self.party_organization_since()))
        self._branch_dissolved(stamp)

    @event("BranchDissolved")
    def _branch_dissolved(self, stamp: Stamp) -> None:
        self.formal_branch, self.temporary_branch = None, None

    # --- the established organization (standardization) -----------------------------------------

    def party_organization_since(self) -> Dated | None:
        """The step that set up the party organization the case has now (its own, joint or temporary)."""
        if self.formal_branch is not None:
            return Dated("formal_branch_approved", self.formal_branch.approved_on)
        if self.joint_branch is not None:
            return Dated("joint_branch_joined", self.joint_branch.joined_on)
        return on("temporary_branch_established", self.temporary_branch_on)

    def elect_branch_committee(
        self, secretary: str, deputy_secretary: str | None, committee: list[str], stamp: Stamp,
        elsewhere: Sequence[Organization] = (),
    ) -> None:
        """A formal party organization of its own, or the joint branch the organization is in, elects; the
        secretary (and deputy, and the committee) are formal members present (the owner may serve if one).

        `elsewhere`: the joint branch's other open organizations (the application reads them). A joint branch
        is one party organization of several cases: its officers may be formal members present in any of
        them, and its committee's size counts the formal members of all."""
        require(guards.can_elect_branch_committee(self, stamp.occurred_on))
        require(not_before("the election", stamp.occurred_on, self.party_organization_since()))
        orgs = [self, *elsewhere] if self.joint_branch is not None else [self]
        formal = {m.name for o in orgs for m in o.members.values() if m.present and m.status is MemberStatus.FORMAL}
        where = "the joint branch's organizations" if len(orgs) > 1 else "the organization"
        for role, name in [("secretary", secretary), ("deputy secretary", deputy_secretary),
                           *(("committee member", n) for n in committee)]:
            if name is not None and name not in formal:
                raise RuleViolation("officer_not_formal_member", f"the {role} {name} is not a formal member present "
                                    f"in {where}")
        org_type = self.formal_branch.type if self.formal_branch else self.joint_branch.type  # type: ignore[union-attr]
        # The branch's formal members (relation here, in each of its organizations) decide whether it elects a
        # committee, as before.
        require(development.committee_violation(sum(branch_members(o) for o in orgs), committee, org_type.value))
        self._branch_committee_elected(secretary, deputy_secretary, committee, stamp)

    @event("BranchCommitteeElected")
    def _branch_committee_elected(
        self, secretary: str, deputy_secretary: str | None, committee: list[str], stamp: Stamp
    ) -> None:
        elected = self.formal_branch or self.joint_branch
        assert elected is not None
        elected.secretary, elected.committee = secretary, committee
        elected.term_ends_on = add_months(stamp.occurred_on, 12 * term_years(elected.type))
        elected.elected_on, elected.result_filed_on = stamp.occurred_on, None

    def file_election_result(self, stamp: Stamp) -> None:
        """The superior committee takes the election's result on file (a supervisor's step)."""
        require(guards.can_file_election_result(self, stamp.occurred_on))
        self._election_result_filed(stamp)

    @event("ElectionResultFiled")
    def _election_result_filed(self, stamp: Stamp) -> None:
        elected = self.formal_branch or self.joint_branch
        assert elected is not None
        elected.result_filed_on = stamp.occurred_on

    def form_youth_league(self, stamp: Stamp) -> None:
        """党建带团建: the Youth League is set up alongside a party organization."""
        require(guards.can_form_youth_league(self, stamp.occurred_on))
        require(not_before("the step", stamp.occurred_on, self.party_organization_since()))
        self._youth_league_formed(stamp)

    @event("YouthLeagueFormed")
    def _youth_league_formed(self, stamp: Stamp) -> None:
        self.youth_league_formed_on = stamp.occurred_on

    def form_union(self, stamp: Stamp, t: Thresholds) -> None:
        """The union (工会) is set up alongside a party organization, where the jurisdiction asks for it."""
        require(guards.can_form_union(self, stamp.occurred_on, t))
        require(not_before("the step", stamp.occurred_on, self.party_organization_since()))
        self._union_formed(stamp)

    @event("UnionFormed")
    def _union_formed(self, stamp: Stamp) -> None:
        self.union_formed_on = stamp.occurred_on

    def rate_five_goods(self, ratings: dict[str, bool], stamp: Stamp) -> None:
        require(guards.can_rate_five_goods(self, stamp.occurred_on))
        require(not_before("the step", stamp.occurred_on, self.party_organization_since()))
        self._five_goods_rated(ratings, stamp)

    @event("FiveGoodsRated")
    def _five_goods_rated(self, ratings: dict[str, bool], stamp: Stamp) -> None:
        self.five_goods = ratings

    def check_ten_haves(self, checks: dict[str, bool], stamp: Stamp) -> None:
        require(guards.can_check_ten_haves(self, stamp.occurred_on))
        require(not_before("the step", stamp.occurred_on, self.party_organization_since()))
        self._ten_haves_checked(checks, stamp)

    @event("TenHavesChecked")
    def _ten_haves_checked(self, checks: dict[str, bool], stamp: Stamp) -> None:
        self.ten_haves = checks

    # --- deadlines and closing ----------------------------------------------------------------

    def escalate(self, rule: str, subject: str, due_on: date, stamp: Stamp) -> None:
        """Recorded by the workflow when a deadline passes unmet; the record stays in the history."""
        require(guards.can_take_a_step(self, stamp.occurred_on))
        self._deadline_escalated(rule, subject, due_on, stamp)

    @event("DeadlineEscalated")
    def _deadline_escalated(self, rule: str, subject: str, due_on: date, stamp: Stamp) -> None:
        self.escalations[Obligation(rule, due_on, subject).key] = Escalation(rule, subject, due_on, stamp.occurred_on)

    def remind(self, rule: str, subject: str, due_on: date, stamp: Stamp) -> None:
        """Recorded by the workflow on a reminder's day (a term ending in six months, a transfer due)."""
        require(guards.can_take_a_step(self, stamp.occurred_on))
        self._deadline_reminded(rule, subject, due_on, stamp)

    @event("DeadlineReminded")
    def _deadline_reminded(self, rule: str, subject: str, due_on: date, stamp: Stamp) -> None:
        pass  # a record for the history and the people it reminds; the case itself is unchanged

    def close_case(self, stamp: Stamp) -> None:
        require(guards.can_take_a_step(self, stamp.occurred_on))
        require(not_before("closing", stamp.occurred_on, self.last_step))  # the case's last step comes first
        self._case_closed(stamp)

    @event("CaseClosed")
    def _case_closed(self, stamp: Stamp) -> None:
        self.closed_on = stamp.occurred_on

    def reopen_case(self, stamp: Stamp) -> None:
        """A correction of the closing (it names the closing's event): the case goes on where it stood."""
        require(guards.can_reopen_case(self, stamp.occurred_on))
        if not stamp.reason.strip():
            raise RuleViolation("reopening_needs_reason", "a closed case is reopened only with the reason the "
                                "closing was wrong")
        closing = max((int(v) for v, r in (self.fact_records or {}).items() if r.kind == "closing"), default=0)
        self._case_reopened(closing, stamp)

    @event("CaseReopened")
    def _case_reopened(self, corrects: int, stamp: Stamp) -> None:
        self.closed_on = None
