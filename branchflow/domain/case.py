"""The case as people and programs see it (api.md `GET /organizations/{id}`), derived from the aggregate."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from branchflow.domain import development
from branchflow.domain.actions import next_actions
from branchflow.domain.breaches import BrokenRule, broken_rules
from branchflow.domain.calendar import add_months
from branchflow.domain.id_numbers import masked
from branchflow.domain.obligations import obligations, overdue
from branchflow.domain.organization import Organization
from branchflow.domain.people import Candidate, DevelopmentStage, FocusGroup, Member, MemberStatus
from branchflow.domain.rules import (
    Method,
    PartyOrgType,
    Stage,
    Thresholds,
    formed,
    method,
    organization_covered,
    party_org_type,
    stage,
    work_covered,
)

ID_NUMBER_SHOWN = ("the citizen ID number: in full to organizers and supervisors whose scope covers the case, "
                   "masked (440403********123X) to others")


class MemberView(BaseModel):
    id: str
    name: str
    gender: str
    birth_date: date
    education: str
    status: MemberStatus
    relation_transferred: bool
    probation_ends_on: date | None = None
    transfer_from: str | None = None  # a transfer of the relation in, requested on transfer_requested_on
    transfer_requested_on: date | None = None
    # 公民身份号码, masked (440403********123X): this view is kept in workflow histories and projections; the
    # API shows the full number to users who may see it (api/access.py `sees_id_numbers`).
    id_number: str | None = Field(None, description=ID_NUMBER_SHOWN)


class CandidateView(BaseModel):
    id: str
    name: str
    stage: DevelopmentStage
    next_due_on: date | None
    id_number: str | None = Field(None, description=ID_NUMBER_SHOWN)  # masked, as a member's
    # The steps between the stages (issue 18); defaults for answers recorded before them (workflow histories).
    focus_group: FocusGroup | None = None
    contact_ids: list[str] = []  # cultivation contacts present (formal members of this organization)
    next_review_on: date | None = None  # an activist's half-year review is due then
    political_review_on: date | None = None
    political_review_passed: bool | None = None
    trained_from: date | None = None
    trained_until: date | None = None
    training_hours: int | None = None
    leaves_on: date | None = None
    departure_allowed: bool = False
    next_step_on: date | None = None  # the earliest date the rules allow the person's next step


class ObligationView(BaseModel):
    rule: str
    due_on: date | None
    subject: str = ""
    overdue: bool = False
    reminders: list[date] = []  # when the case's workflow reminds of it (before or on the due date)


class CaseOutline(BaseModel):
    """A case's facts and figures: a line of the case list, and the head of the full case."""

    id: UUID
    name: str
    credit_code: str | None
    kind: str
    # None only in answers recorded before subtypes were (workflow histories); every case has one.
    subtype: str | None = None
    registered: bool
    region_code: str
    # The name of region_code where the names' table has it (the reading side fills it in: the domain and its
    # events know codes only); null for a code without a name, which is then shown by its code.
    region_name: str | None = None
    industry: str
    employees: int
    above_scale: bool
    founded_on: date
    stage: Stage
    method: Method | None
    formed: bool
    organization_covered: bool
    work_covered: bool
    party_org_type: PartyOrgType | None
    party_org_name: str | None
    instructor: str | None
    formal_members: int
    probationary_members: int
    version: int


class CommitteeView(BaseModel):
    """The responsible party committee (api.md `responsible_committee`: `{code, name}`)."""

    code: str
    name: str | None = None  # the registry's name, filled in by the reading side; null for an unknown code


class CaseView(CaseOutline):
    """The whole case (api.md `GET /organizations/{id}`)."""

    responsible_committee: CommitteeView | None = None  # null: a blank spot of responsibility

    superior_party_org: str | None
    owner_is_member: bool
    pending_formal_branch: str | None
    members: list[MemberView]
    candidates: list[CandidateView]
    affiliation: str | None
    obligations: list[ObligationView]
    next_actions: list[str]
    term_ends_on: date | None = None  # the elected committee's or secretary's term
    election_result_filed: bool | None = None  # None before the first election
    # Rules of today the stored case breaks (recorded before the rule was): each with what corrects it.
    broken_rules: list[BrokenRule] = []


def candidate_next_due_on(c: Candidate) -> date | None:
    """The next date the person's development waits for: a deadline or the earliest next step."""
    if c.stage is DevelopmentStage.APPLICANT:
        return None if c.talked_on else add_months(c.applied_on, development.TALK_WITHIN_MONTHS)
    if c.stage is DevelopmentStage.ACTIVIST:
        return development.target_eligible_on(c)
    if c.stage is DevelopmentStage.AWAITING_APPROVAL:
        return development.approval_due_on(c)
    return None


def next_step_on(c: Candidate) -> date | None:
    """The earliest business date the rules allow the person's next step: after their latest step, and for an
    activist after the year of cultivation; None for a development target still without review or training."""
    after = development.latest_step(c)
    if c.stage is DevelopmentStage.ACTIVIST and (eligible := development.target_eligible_on(c)) is not None:
        return max(eligible, after.on) if after else eligible
    if c.stage is DevelopmentStage.DEVELOPMENT_TARGET and (
            c.political_review_on is None or not c.political_review_passed or c.trained_until is None):
        return None
    return after.on if after else None


def candidate_view(c: Candidate, members: dict[str, Member]) -> CandidateView:
    review = add_months(c.last_reviewed_on or c.activist_on, development.ACTIVIST_REVIEW_MONTHS) \
        if c.stage is DevelopmentStage.ACTIVIST and c.activist_on else None
    return CandidateView(
        id=c.id, name=c.name, stage=c.stage, next_due_on=candidate_next_due_on(c),
        id_number=masked(c.id_number) if c.id_number else None,
        focus_group=FocusGroup(c.focus_group) if c.focus_group else None,
        contact_ids=development.present_contacts(c, members), next_review_on=review,
        political_review_on=c.political_review_on, political_review_passed=c.political_review_passed,
        trained_from=c.trained_from, trained_until=c.trained_until, training_hours=c.training_hours,
        leaves_on=c.leaves_on, departure_allowed=c.departure_allowed, next_step_on=next_step_on(c),
    )


def party_org_name(org: Organization) -> str | None:
    if org.formal_branch is not None:
        return org.formal_branch.name
    if org.joint_branch is not None:
        return org.joint_branch.name
    return org.temporary_branch or org.affiliation


def case_view(org: Organization, today: date, t: Thresholds) -> CaseView:
    present = [m for m in org.members.values() if m.present]
    late = {o.key for o in overdue(org, t)}
    elected = org.formal_branch or org.joint_branch  # whose committee or secretary has a term
    return CaseView(
        id=org.id, name=org.name, credit_code=org.credit_code, kind=org.kind, subtype=org.subtype,
        registered=org.registered,
        region_code=org.region_code, industry=org.industry, employees=org.employees, above_scale=org.above_scale,
        founded_on=org.founded_on, superior_party_org=org.superior_party_org, owner_is_member=org.owner_is_member,
        stage=stage(org), method=method(org), formed=formed(org), organization_covered=organization_covered(org),
        work_covered=work_covered(org), party_org_type=party_org_type(org), party_org_name=party_org_name(org),
        pending_formal_branch=org.formal_request.name if org.formal_request else None,
        formal_members=sum(1 for m in present if m.status is MemberStatus.FORMAL),
        probationary_members=sum(1 for m in present if m.status is MemberStatus.PROBATIONARY),
        members=[
            MemberView(id=m.id, name=m.name, gender=m.gender, birth_date=m.birth_date, education=m.education,
                       status=m.status, relation_transferred=m.relation_transferred,
                       probation_ends_on=m.probation_ends_on, transfer_from=m.transfer_from,
                       transfer_requested_on=m.transfer_requested_on,
                       id_number=masked(m.id_number) if m.id_number else None)
            for m in present
        ],
        candidates=[candidate_view(c, org.members) for c in org.candidates.values() if c.in_development],
        instructor=org.instructor, affiliation=org.affiliation,
        obligations=[
            ObligationView(rule=o.rule, due_on=o.due_on, subject=o.subject, overdue=o.key in late,
                           reminders=list(o.reminders))
            for o in obligations(org, t)
        ],
        next_actions=next_actions(org, today, t),
        responsible_committee=CommitteeView(code=org.responsible_committee) if org.responsible_committee else None,
        term_ends_on=elected.term_ends_on if elected else None,
        election_result_filed=(elected.result_filed_on is not None if elected and elected.elected_on else None),
        broken_rules=broken_rules(org),
        version=org.version,
    )
