"""One guard per step: whether a step can be taken on this case at all, and if not, the rule that forbids it.

The aggregate's verb checks its guard first (then what the step's own input needs: the person named, the
values given), `next_actions` offers exactly the steps whose guard passes, and the workflow's update
validator refuses the others with the guard's rule. So every refusal names the same rule, whichever door
the step came through. `day` is the step's business date (today, for the forms).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from branchflow.domain import development
from branchflow.domain.dates import Dated, not_before
from branchflow.domain.errors import RuleViolation
from branchflow.domain.id_numbers import masked
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.domain.rules import (
    SEED_THRESHOLDS,
    Thresholds,
    branch_members,
    can_affiliate,
    can_establish_temporary_branch,
    can_request_formal_branch,
    formed,
    open_case,
)

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization

Guard = Callable[["Organization", date, Thresholds], RuleViolation | None]


def _none_of(rule: str, message: str, found: bool) -> RuleViolation | None:
    return None if found else RuleViolation(rule, message)


def _at(org: Organization, stage: DevelopmentStage) -> list[str]:
    return [c.id for c in org.candidates.values() if c.in_development and c.stage is stage]


def _probationary(org: Organization) -> list[str]:
    return [m.id for m in org.members.values() if m.present and m.status is MemberStatus.PROBATIONARY]


def _open(org: Organization, day: date) -> RuleViolation | None:
    """What every step needs: an open case, and a business date not before the organization's founding."""
    return open_case(org) or not_before("the step", day, Dated("founded", org.founded_on))


def not_recorded_twice(org: Organization, name: str, gender: str, birth_date: date, id_number: str | None = None,
                       ignoring: str = "") -> RuleViolation | None:
    """A person is entered once per organization (domain.md "People are recorded once"): the same citizen ID
    number, or (where either has none) the same name, gender and birth date, among the members present and the
    people in development. Two different ID numbers are two people, whatever their names. `ignoring`: the
    person being corrected. The rule needs the step's input, so `next_actions` cannot ask it; every door
    reaches it through the aggregate's verb (add_member, record_applicant)."""
    here = [(m.id, m.name, m.gender, m.birth_date, m.id_number) for m in org.members.values() if m.present]
    here += [(c.id, c.name, c.gender, c.birth_date, c.id_number) for c in org.candidates.values() if c.in_development]
    for person_id, *who, number in here:
        if person_id == ignoring:
            continue
        if id_number is not None and number == id_number:
            return RuleViolation("person_recorded_twice", f"the citizen ID number {masked(id_number)} is already "
                                 f"recorded in this organization, for {person_id}")
        if (id_number is None or number is None) and tuple(who) == (name, gender, birth_date):
            return RuleViolation("person_recorded_twice", f"{name} ({gender}, born {birth_date.isoformat()}) is "
                                 f"already recorded in this organization as {person_id}")
    return None


def can_take_a_step(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day)


def can_transfer_in(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "no_member_to_transfer_in", "every member's organizational relation is already here",
        any(m.present and not m.relation_transferred for m in org.members.values()))


def can_request_transfer_in(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "no_member_to_transfer_in", "no member present has a relation elsewhere without a transfer under way",
        any(m.present and not m.relation_transferred and m.transfer_from is None for m in org.members.values()))


def can_abandon_transfer(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "no_transfer_pending", "no transfer of a member's relation is under way",
        any(m.present and not m.relation_transferred and m.transfer_from is not None for m in org.members.values()))


def can_file_election_result(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    branch = org.formal_branch or org.joint_branch
    return _open(org, day) or _none_of(
        "no_election_to_file", "there is no election whose result waits to be filed",
        branch is not None and branch.elected_on is not None and branch.result_filed_on is None)


def can_name_a_member(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    """Transferring out and correcting a member need a member present."""
    return _open(org, day) or _none_of("no_members", "the organization has no party member present",
                                      any(m.present for m in org.members.values()))


def can_talk_to_applicant(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    waiting = [org.candidates[p] for p in _at(org, DevelopmentStage.APPLICANT) if org.candidates[p].talked_on is None]
    if not waiting:
        return RuleViolation("no_applicant_to_talk_to", "no applicant is waiting for the talk")
    refusals = [development.can_talk(c, day) for c in waiting]
    return None if None in refusals else refusals[0]


def _someone_at(org: Organization, day: date, stage: DevelopmentStage, rule: str, message: str) -> RuleViolation | None:
    return _open(org, day) or _none_of(rule, message, bool(_at(org, stage)))


def can_designate_activist(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _someone_at(org, day, DevelopmentStage.APPLICANT, "no_applicant", "there is no applicant")


def can_review_activist(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _someone_at(org, day, DevelopmentStage.ACTIVIST, "no_activist", "there is no activist")


def can_approve_probationary(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _someone_at(org, day, DevelopmentStage.AWAITING_APPROVAL, "no_admission_to_approve",
                       "no admission is waiting for approval")


def can_confirm_development_target(
    org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS
) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    activists = [org.candidates[p] for p in _at(org, DevelopmentStage.ACTIVIST)]
    if not activists:
        return RuleViolation("no_activist", "there is no activist")
    refusals = [development.can_confirm_target(c, day) for c in activists]
    return None if None in refusals else refusals[0]


def can_admit_probationary(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    targets = [org.candidates[p] for p in _at(org, DevelopmentStage.DEVELOPMENT_TARGET)]
    if not targets:
        return RuleViolation("no_development_target", "there is no development target to admit")
    if not formed(org):
        return RuleViolation("admission_needs_formal_branch", development.ADMISSION_NEEDS_FORMAL_BRANCH)
    # Someone is ready: political review passed, trained, not leaving within three months (or allowed).
    refusals = [development.ready_for_admission(c, day) for c in targets]
    if None not in refusals:
        return refusals[0]
    formal = _formal_present(org)
    return _none_of("two_introducers", f"admission needs {development.INTRODUCERS} formal members as "
                    f"introducers; the organization has {formal}", formal >= development.INTRODUCERS)


def _formal_present(org: Organization) -> int:
    return sum(1 for m in org.members.values() if m.present and m.status is MemberStatus.FORMAL)


def can_assign_cultivation_contacts(
    org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS
) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    activists = [org.candidates[p] for p in _at(org, DevelopmentStage.ACTIVIST)]
    if not activists:
        return RuleViolation("no_activist", "there is no activist")
    if not any(not development.present_contacts(c, org.members) for c in activists):
        return RuleViolation("contacts_assigned", "every activist has cultivation contacts; changing them is a "
                             "step with a reason")
    return _none_of("no_formal_member_for_contacts", "cultivation contacts are formal members of the "
                    "organization; it has none present", _formal_present(org) > 0)


def can_change_cultivation_contacts(
    org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS
) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "no_contacts_to_change", "no activist has cultivation contacts to change",
        any(development.present_contacts(org.candidates[p], org.members)
            for p in _at(org, DevelopmentStage.ACTIVIST)))


def can_record_political_review(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _someone_at(org, day, DevelopmentStage.DEVELOPMENT_TARGET, "no_development_target",
                       "there is no development target")


def can_record_training(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _someone_at(org, day, DevelopmentStage.DEVELOPMENT_TARGET, "no_development_target",
                       "there is no development target")


def can_record_departure(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return can_withdraw_candidate(org, day, t)


def can_tag_focus_group(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return can_withdraw_candidate(org, day, t)


def can_allow_admission_despite_departure(
    org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS
) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "no_departure", "no development target is marked as leaving the organization",
        any(org.candidates[p].leaves_on is not None and not org.candidates[p].departure_allowed
            for p in _at(org, DevelopmentStage.DEVELOPMENT_TARGET)))


def can_convert_to_formal(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    members = [org.members[p] for p in _probationary(org)]
    if not members:
        return RuleViolation("no_probationary_member", "there is no probationary member")
    if not formed(org):
        return RuleViolation("conversion_needs_formal_branch", "a probationary member converts by the vote of a "
                             "formal party organization's meeting; the organization has none now")
    refusals = [development.can_convert(m, day) for m in members]
    return None if None in refusals else refusals[0]


def can_extend_probation(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    members = [org.members[p] for p in _probationary(org)]
    if not members:
        return RuleViolation("no_probationary_member", "there is no probationary member")
    refusals = [development.can_extend(m, development.EXTENSION_MONTHS[0], day) for m in members]
    return None if None in refusals else refusals[0]


def can_cancel_probation(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of("no_probationary_member", "there is no probationary member",
                                      bool(_probationary(org)))


def can_withdraw_candidate(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of("no_candidate", "nobody is in member development",
                                      any(c.in_development for c in org.candidates.values()))


def can_assign_instructor(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    if org.instructor is not None:
        return RuleViolation("instructor_assigned", f"{org.instructor} is already assigned; withdraw first")
    return None


def can_withdraw_instructor(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of("no_instructor", "no instructor is assigned", org.instructor is not None)


def can_end_affiliation(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "not_affiliated", "the organization's members are not affiliated elsewhere", org.affiliation is not None)


def can_approve_formal_branch(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := can_reject_formal_branch(org, day, t)) is not None:
        return v
    # Members may have left since the request: then it can only be rejected.
    if (n := branch_members(org)) < t.branch_members:
        return RuleViolation(
            "standalone_needs_members",
            f"a party organization of its own needs {t.branch_members} or more transferred-in formal members; "
            f"it has {n} now",
        )
    return None


def can_reject_formal_branch(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of("no_request", "there is no formal branch request",
                                       org.formal_request is not None)


def can_leave_joint_branch(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of("not_in_joint_branch", "the organization is not in a joint branch",
                                      org.joint_branch is not None)


def can_dissolve_branch(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "no_branch", "the organization has no branch of its own to dissolve",
        org.formal_branch is not None or org.temporary_branch is not None)


def can_elect_branch_committee(
    org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS
) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "no_formal_branch", "elections are held by a formal party organization (its own or a joint branch); a "
        "temporary branch has appointed officers and holds no term elections",
        org.formal_branch is not None or org.joint_branch is not None) or _none_of(
        "not_formed", "the party organization has no formal member left to elect: rebuild it first (or dissolve it)",
        formed(org))


def can_form_youth_league(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    if not formed(org):
        return RuleViolation("not_formed", "the Youth League is set up alongside a formal party organization")
    if org.youth_league_formed_on is not None:
        return RuleViolation("youth_league_formed", "the Youth League is already set up")
    return None


def can_form_union(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    if (v := _open(org, day)) is not None:
        return v
    if t.union_within_months == 0:
        return RuleViolation("union_not_configured", "the union is not tracked here "
                             "(BRANCHFLOW_THRESHOLD_UNION_WITHIN_MONTHS is 0)")
    if not formed(org):
        return RuleViolation("not_formed", "the union is set up alongside a formal party organization")
    if org.union_formed_on is not None:
        return RuleViolation("union_formed", "the union is already set up")
    return None


def can_rate_five_goods(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "not_formed", "the five-goods rating is for a formal party organization", formed(org))


def can_check_ten_haves(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    return _open(org, day) or _none_of(
        "no_party_organization", "the ten-haves check is for an established party organization",
        formed(org) or org.temporary_branch is not None)


def can_reopen_case(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    """Only a closed case is reopened, on or after the day it was closed."""
    if org.closed_on is None:
        return RuleViolation("not_closed", "the case is open; only a closed case is reopened")
    return not_before("reopening", day, Dated("case_closed", org.closed_on))


def _thresholds_only(check: Callable[[Organization, Thresholds], RuleViolation | None]) -> Guard:
    def guard(org: Organization, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
        return _open(org, day) or check(org, t)

    return guard


GUARDS: dict[str, Guard] = {
    "report_headcount": can_take_a_step, "add_member": can_take_a_step, "transfer_in": can_transfer_in,
    "transfer_out": can_name_a_member, "record_applicant": can_take_a_step,
    "talk_to_applicant": can_talk_to_applicant, "designate_activist": can_designate_activist,
    "review_activist": can_review_activist, "confirm_development_target": can_confirm_development_target,
    "admit_probationary": can_admit_probationary, "approve_probationary": can_approve_probationary,
    "convert_to_formal": can_convert_to_formal, "extend_probation": can_extend_probation,
    "cancel_probation": can_cancel_probation, "withdraw_candidate": can_withdraw_candidate,
    "assign_instructor": can_assign_instructor, "withdraw_instructor": can_withdraw_instructor,
    "affiliate": _thresholds_only(can_affiliate), "end_affiliation": can_end_affiliation,
    "establish_temporary_branch": _thresholds_only(can_establish_temporary_branch),
    "request_formal_branch": _thresholds_only(can_request_formal_branch),
    "approve_formal_branch": can_approve_formal_branch, "reject_formal_branch": can_reject_formal_branch,
    "leave_joint_branch": can_leave_joint_branch, "dissolve_branch": can_dissolve_branch,
    "elect_branch_committee": can_elect_branch_committee, "form_youth_league": can_form_youth_league,
    "form_union": can_form_union,
    "rate_five_goods": can_rate_five_goods, "check_ten_haves": can_check_ten_haves,
    "correct_facts": can_take_a_step, "correct_member": can_name_a_member,
    # Correcting a person in development needs somebody in development, as withdrawing one does.
    "correct_candidate": can_withdraw_candidate, "close_case": can_take_a_step,
    "change_responsible_committee": can_take_a_step, "reopen_case": can_reopen_case,
    "request_transfer_in": can_request_transfer_in, "transfer_abandoned": can_abandon_transfer,
    "file_election_result": can_file_election_result,
    "tag_focus_group": can_tag_focus_group, "assign_cultivation_contacts": can_assign_cultivation_contacts,
    "change_cultivation_contacts": can_change_cultivation_contacts,
    "record_political_review": can_record_political_review, "record_training": can_record_training,
    "record_departure": can_record_departure,
    "allow_admission_despite_departure": can_allow_admission_despite_departure,
}


def refusal(org: Organization, action: str, day: date, t: Thresholds = SEED_THRESHOLDS) -> RuleViolation | None:
    """Why `action` cannot be taken on this case on `day`, or None when it can (for some input)."""
    return GUARDS[action](org, day, t)
