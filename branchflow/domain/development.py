"""Member development (发展党员): the steps' rules and intervals, from the Party's regulations.

《细则》 is 《中国共产党发展党员工作细则》 (2014); its article numbers here were cited from memory of that text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from branchflow.domain.calendar import add_months
from branchflow.domain.dates import Dated, first_failure, latest, not_before
from branchflow.domain.errors import RuleViolation
from branchflow.domain.people import Candidate, DevelopmentStage, Member, MemberStatus
from branchflow.domain.values import age_on

MINIMUM_AGE = 18  # an applicant is 18 or older (so a member, who was an applicant first, is too)
TALK_WITHIN_MONTHS = 1  # 《细则》第七条: the branch talks to an applicant within one month
ACTIVIST_REVIEW_MONTHS = 6  # 《细则》第十二条: an activist is reviewed every half year
ACTIVIST_CULTIVATION_MONTHS = 12  # 《细则》第十四条: a year as activist before becoming a development target
APPROVAL_WITHIN_MONTHS = 3  # the superior committee approves an admission within 3 months
APPROVAL_AT_MOST_MONTHS = 6  # later than 3 months needs a reason (special cases); over 6 is refused
PROBATION_MONTHS = 12  # probation lasts one year from the branch meeting
EXTENSION_MONTHS = (6, 12)  # probation may be extended once, by 6 to 12 months
INTRODUCERS = 2  # 《细则》第十五条: two formal members introduce a development target
CONTACTS = (1, 2)  # 《细则》第十条: one or two formal members are an activist's cultivation contacts (培养联系人)
# The 细则 names no term for naming the contacts; the system gives the branch a month from the designation.
CONTACTS_WITHIN_MONTHS = 1
TRAINING_DAYS, TRAINING_HOURS = 3, 24  # 《细则》第十九条: training of at least 3 days (or 24 class hours)
# 中组部组织局's answer on the 细则 (not an article of it): a development target leaving the organization within
# three months is generally not admitted; here only with a supervisor's reason on record.
LEAVING_WITHIN_MONTHS = 3
COMMITTEE_FROM_MEMBERS = 7  # a branch committee is elected from 7 formal members; fewer elect a secretary
COMMITTEE_SIZE = (3, 7)  # a branch committee has 3–5 members, at most 7
# By the party organization's type: a branch 3–5 (at most 7), a general branch 5–7 (at most 9), a grassroots
# committee 5–9 (at most 11). General branches and committees always elect one.
COMMITTEE_SIZES = {"branch": COMMITTEE_SIZE, "general_branch": (5, 9), "committee": (5, 11)}
ADMISSION_NEEDS_FORMAL_BRANCH = ("members are admitted by the general meeting of a formal branch; a temporary "
                                 "branch trains activists but does not admit members")


def _stage(candidate: Candidate, expected: DevelopmentStage, step: str) -> RuleViolation | None:
    if candidate.stage is not expected:
        return RuleViolation(
            "wrong_development_stage", f"{step} needs a person at stage {expected.value}; {candidate.name} is "
            f"at stage {candidate.stage.value}",
        )
    return None


def _too_young(rule: str, who: str, birth_date: date, day: date) -> RuleViolation | None:
    if day < birth_date:
        return RuleViolation(rule, f"{who} must be {MINIMUM_AGE} or older; {day} is before the birth date")
    if (age := age_on(birth_date, day)) < MINIMUM_AGE:
        return RuleViolation(rule, f"{who} must be {MINIMUM_AGE} or older; on {day} this one is {age}")
    return None


def can_apply(birth_date: date, day: date) -> RuleViolation | None:
    return _too_young("applicant_under_18", "an applicant", birth_date, day)


def can_be_member(birth_date: date, joined_on: date) -> RuleViolation | None:
    """Members applied at 18 or older, so no member is younger than that on joining."""
    return _too_young("member_under_18", "a party member", birth_date, joined_on)


def applied(c: Candidate) -> Dated:
    return Dated("applicant_recorded", c.applied_on)


def _on(step: str, on: date | None) -> Dated | None:
    return Dated(step, on) if on is not None else None


def latest_step(c: Candidate) -> Dated | None:
    """The person's latest step so far, which any next step of theirs comes after."""
    return latest(applied(c), _on("applicant_talked_to", c.talked_on), _on("activist_designated", c.activist_on),
                  _on("activist_reviewed", c.last_reviewed_on), _on("development_target_confirmed", c.target_on),
                  _on("political_review_recorded", c.political_review_on), _on("training_recorded", c.trained_until),
                  _on("probationary_admitted", c.voted_on))


def present_contacts(c: Candidate, members: Mapping[str, Member]) -> list[str]:
    """The person's cultivation contacts who are still formal members present (a contact may have left)."""
    return [p for p in c.contact_ids if (m := members.get(p)) is not None and m.present
            and m.status is MemberStatus.FORMAL]


def can_assign_contacts(
    candidate: Candidate, members: Mapping[str, Member], contact_ids: list[str], day: date, *, changing: bool,
    reason: str = "",
) -> RuleViolation | None:
    """《细则》第十条: the party organization names one or two formal members as the activist's contacts.
    Naming them again while some are present is a change, which needs a reason on record."""
    if (v := _stage(candidate, DevelopmentStage.ACTIVIST, "naming cultivation contacts")) is not None:
        return v
    present = present_contacts(candidate, members)
    if present and not changing:
        return RuleViolation("contacts_assigned", f"{candidate.name} has cultivation contacts "
                             f"({', '.join(present)}); changing them is a step with a reason")
    if changing and not present:
        return RuleViolation("no_contacts_to_change", f"{candidate.name} has no cultivation contact to change; "
                             "assign them")
    if changing and not reason.strip():
        return RuleViolation("changing_contacts_needs_reason", "changing cultivation contacts needs a reason")
    low, high = CONTACTS
    chosen = set(contact_ids)
    if not low <= len(chosen) == len(contact_ids) <= high:
        return RuleViolation("contacts_one_or_two", f"an activist has {low} or {high} different formal members as "
                             f"cultivation contacts; {len(contact_ids)} given")
    for person_id in sorted(chosen):
        m = members.get(person_id)
        if m is None or not m.present or m.status is not MemberStatus.FORMAL:
            return RuleViolation("contact_not_formal_member",
                                 f"cultivation contact {person_id} is not a formal member of this organization")
    return not_before("naming the cultivation contacts", day, Dated("activist_designated", candidate.activist_on)
                      if candidate.activist_on else None)


def contacts_due_on(candidate: Candidate, members: Mapping[str, Member]) -> date | None:
    """When an activist without a contact present must have them: a month after designation, or after the last
    contact left. None: contacts present (or not an activist)."""
    if candidate.stage is not DevelopmentStage.ACTIVIST or candidate.activist_on is None \
            or present_contacts(candidate, members):
        return None
    gone = [left for p in candidate.contact_ids if (m := members.get(p)) is not None and (left := m.left_on)]
    return add_months(max([candidate.activist_on, *gone]), CONTACTS_WITHIN_MONTHS)


def can_record_political_review(candidate: Candidate, day: date) -> RuleViolation | None:
    """《细则》第十七、十八条: a development target's political review, before admission."""
    return first_failure(_stage(candidate, DevelopmentStage.DEVELOPMENT_TARGET, "the political review"),
                         not_before("the political review", day, Dated("development_target_confirmed",
                                                                       candidate.target_on)
                                    if candidate.target_on else None))


def can_record_training(
    candidate: Candidate, started_on: date, ended_on: date, class_hours: int, day: date
) -> RuleViolation | None:
    """《细则》第十九条: short concentrated training of at least 3 days or 24 class hours, as a development
    target (it starts after the confirmation) and over by the day it is recorded."""
    if (v := _stage(candidate, DevelopmentStage.DEVELOPMENT_TARGET, "the training")) is not None:
        return v
    if ended_on < started_on:
        return RuleViolation("training_dates", f"the training ends on {ended_on.isoformat()}, before it starts on "
                             f"{started_on.isoformat()}")
    if ended_on > day:
        return RuleViolation("training_not_over", f"the training ends on {ended_on.isoformat()}, after the day it "
                             f"is recorded ({day.isoformat()})")
    days = (ended_on - started_on).days + 1
    if days < TRAINING_DAYS and class_hours < TRAINING_HOURS:
        return RuleViolation("training_too_short", f"the training lasts at least {TRAINING_DAYS} days or "
                             f"{TRAINING_HOURS} class hours; {days} days and {class_hours} hours given")
    if candidate.target_on is not None:
        return not_before("the training", started_on, Dated("development_target_confirmed", candidate.target_on))
    return None


def can_record_departure(candidate: Candidate, leaves_on: date, day: date) -> RuleViolation | None:
    """A person expected to leave the organization (a move, a contract's end) is marked with the day."""
    if leaves_on < day:
        return RuleViolation("departure_in_the_past", f"the expected departure ({leaves_on.isoformat()}) lies "
                             f"before the day it is recorded ({day.isoformat()}); a person who left is withdrawn")
    return not_before("marking the departure", day, latest_step(candidate))


def leaving_soon(candidate: Candidate, day: date) -> bool:
    return candidate.leaves_on is not None and candidate.leaves_on <= add_months(day, LEAVING_WITHIN_MONTHS)


def can_allow_departure(candidate: Candidate, day: date) -> RuleViolation | None:
    if (v := _stage(candidate, DevelopmentStage.DEVELOPMENT_TARGET, "admitting despite a departure")) is not None:
        return v
    if candidate.leaves_on is None or candidate.departure_allowed:
        return RuleViolation("no_departure", f"{candidate.name} is not marked as leaving the organization "
                             "without an exception on record")
    return None


def ready_for_admission(candidate: Candidate, day: date) -> RuleViolation | None:
    """What the person needs before the branch votes: the political review passed, the training, and not
    leaving within three months (unless a supervisor's reason is on record)."""
    if candidate.political_review_on is None:
        # 《细则》第十八条: 未经政治审查或者政治审查不合格的，不能发展入党
        return RuleViolation("political_review_missing", f"{candidate.name} has no political review on record")
    if not candidate.political_review_passed:
        return RuleViolation("political_review_failed", f"{candidate.name} did not pass the political review "
                             f"(on {candidate.political_review_on.isoformat()})", "political_review_recorded",
                             candidate.political_review_on)
    if candidate.trained_until is None:
        # 《细则》第十九条: 未经培训的，除个别特殊情况外，不能发展入党
        return RuleViolation("training_missing", f"{candidate.name} has no training on record")
    if leaving_soon(candidate, day) and not candidate.departure_allowed:
        assert candidate.leaves_on is not None
        return RuleViolation("leaving_within_three_months", f"{candidate.name} leaves the organization on "
                             f"{candidate.leaves_on.isoformat()}, within {LEAVING_WITHIN_MONTHS} months: not admitted "
                             "unless a supervisor records a reason")
    return None


def can_talk(candidate: Candidate, day: date) -> RuleViolation | None:
    if (v := _stage(candidate, DevelopmentStage.APPLICANT, "talking to an applicant")) is not None:
        return v
    if candidate.talked_on is not None:
        return RuleViolation("already_talked", f"the talk with {candidate.name} is already recorded")
    return not_before("the talk", day, applied(candidate))


def can_designate(candidate: Candidate, day: date) -> RuleViolation | None:
    return first_failure(_stage(candidate, DevelopmentStage.APPLICANT, "designating an activist"),
                         not_before("designating the activist", day, latest_step(candidate)))


def can_review(candidate: Candidate, day: date) -> RuleViolation | None:
    return first_failure(_stage(candidate, DevelopmentStage.ACTIVIST, "the half-yearly review"),
                         not_before("the review", day, latest_step(candidate)))


def can_withdraw(candidate: Candidate, day: date) -> RuleViolation | None:
    return not_before("withdrawing", day, latest_step(candidate))


def target_eligible_on(candidate: Candidate) -> date | None:
    return add_months(candidate.activist_on, ACTIVIST_CULTIVATION_MONTHS) if candidate.activist_on else None


def can_confirm_target(candidate: Candidate, day: date) -> RuleViolation | None:
    if (v := _stage(candidate, DevelopmentStage.ACTIVIST, "confirming a development target")) is not None:
        return v
    eligible = target_eligible_on(candidate)
    if eligible is not None and day < eligible:
        assert candidate.activist_on is not None
        return RuleViolation(
            "cultivation_year_not_over",
            f"an activist is cultivated for at least one year before becoming a development target; "
            f"{candidate.name} is eligible from {eligible.isoformat()}",
            "activist_designated", candidate.activist_on,
        )
    return not_before("confirming the development target", day, latest_step(candidate))


def can_admit(
    candidate: Candidate, members: Mapping[str, Member], has_formal_branch: bool, introducer_ids: list[str],
    day: date,
) -> RuleViolation | None:
    """`has_formal_branch`: the organization has a formal party organization, its own or a joint branch."""
    if (v := _stage(candidate, DevelopmentStage.DEVELOPMENT_TARGET, "admission")) is not None:
        return v
    if (v := not_before("the admission vote", day, latest_step(candidate))) is not None:
        return v
    if not has_formal_branch:
        return RuleViolation("admission_needs_formal_branch", ADMISSION_NEEDS_FORMAL_BRANCH)
    if (v := ready_for_admission(candidate, day)) is not None:
        return v
    introducers = set(introducer_ids)
    if len(introducers) != INTRODUCERS:
        return RuleViolation("two_introducers", f"admission needs exactly {INTRODUCERS} different introducers")
    for person_id in sorted(introducers):
        m = members.get(person_id)
        if m is None or not m.present or m.status is not MemberStatus.FORMAL:
            return RuleViolation("introducer_not_formal_member",
                                 f"introducer {person_id} is not a formal member of this organization")
    return None


def approval_due_on(candidate: Candidate) -> date | None:
    return add_months(candidate.voted_on, APPROVAL_WITHIN_MONTHS) if candidate.voted_on else None


def can_approve(candidate: Candidate, day: date, reason: str = "") -> RuleViolation | None:
    """The superior committee approves within 3 months of the vote; later needs a reason, over 6 is refused."""
    if (v := _stage(candidate, DevelopmentStage.AWAITING_APPROVAL, "approving a probationary member")) is not None:
        return v
    assert candidate.voted_on is not None
    voted = Dated("probationary_admitted", candidate.voted_on)
    if (v := not_before("the approval", day, voted)) is not None:
        return v
    if day > add_months(candidate.voted_on, APPROVAL_AT_MOST_MONTHS):
        return RuleViolation("approval_too_late", f"an admission is approved within {APPROVAL_AT_MOST_MONTHS} "
                             f"months of the vote at most; {candidate.name} was voted in on "
                             f"{candidate.voted_on.isoformat()}", voted.step, voted.on)
    if day > add_months(candidate.voted_on, APPROVAL_WITHIN_MONTHS) and not reason.strip():
        return RuleViolation("late_approval_needs_reason", f"an approval later than {APPROVAL_WITHIN_MONTHS} "
                             f"months after the vote (on {candidate.voted_on.isoformat()}) needs a reason",
                             voted.step, voted.on)
    return None


def probation_ends_on(member: Member) -> date:
    """One year (plus any extension) from the admission; a member recorded before admission dates were kept
    counts from joining the organization (the latest the admission can have been)."""
    return member.probation_ends_on or add_months(member.joined_on, PROBATION_MONTHS)


def _probation_over(member: Member, day: date, step: str) -> RuleViolation | None:
    if day < (ends := probation_ends_on(member)):
        admitted = member.admitted_on or member.joined_on
        return RuleViolation(
            "probation_not_over",
            f"probation lasts one year from the branch meeting (plus any extension); {member.name}'s ends on "
            f"{ends.isoformat()}: {step} on {day.isoformat()} is too early", "probationary_admitted", admitted,
        )
    return None


def can_convert(member: Member, day: date) -> RuleViolation | None:
    if member.status is not MemberStatus.PROBATIONARY:
        return RuleViolation("not_probationary", f"{member.name} is not a probationary member")
    return _probation_over(member, day, "the conversion")


def can_extend(member: Member, months: int, day: date) -> RuleViolation | None:
    """Probation is extended at its end, by the branch meeting that would otherwise vote on the conversion."""
    if member.status is not MemberStatus.PROBATIONARY:
        return RuleViolation("not_probationary", f"{member.name} has no probation to extend")
    if member.probation_extended:
        return RuleViolation("extended_once", "probation may be extended only once")
    low, high = EXTENSION_MONTHS
    if not low <= months <= high:
        return RuleViolation("extension_length", f"probation is extended by {low} to {high} months, not {months}")
    return _probation_over(member, day, "the extension")


def committee_violation(formal_members: int, committee: list[str], org_type: str = "branch"
                        ) -> RuleViolation | None:
    """A branch of 7 or more formal members elects a committee of 3–7, fewer a secretary (and a deputy) only;
    a general branch elects 5–9, a grassroots committee 5–11."""
    low, high = COMMITTEE_SIZES[org_type]
    if (formal_members >= COMMITTEE_FROM_MEMBERS or org_type != "branch") and not low <= len(committee) <= high:
        return RuleViolation("committee_size", f"with {formal_members} formal members the {org_type} elects a "
                             f"committee of {low} to {high} members; {len(committee)} given")
    if formal_members < COMMITTEE_FROM_MEMBERS and committee and org_type == "branch":
        return RuleViolation("no_committee_below_7", f"with {formal_members} formal members (fewer than "
                             f"{COMMITTEE_FROM_MEMBERS}) the branch elects a secretary, not a committee")
    return None
