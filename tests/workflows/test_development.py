"""Member development: a child workflow per person holds their timers and reports back to the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from temporalio.client import WorkflowExecutionStatus

from branchflow.domain.errors import RuleViolation
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.workflows.development import development_workflow_id
from branchflow.workflows.formation import workflow_id
from tests.workflows.harness import ORGANIZER, SUPERVISOR, Harness, due_on, skip_past
from tests.workflows.test_deadlines import escalated, until_escalated

pytestmark = pytest.mark.slow
Run = Callable[..., None]
APPLICANT = {"action": "record_applicant", "name": "赵敏", "gender": "female", "birth_date": "2000-01-01",
             "education": "bachelor"}


async def child_status(h: Harness, org_id: UUID, person_id: str) -> WorkflowExecutionStatus | None:
    child = development_workflow_id(workflow_id(org_id), person_id)
    h.track(child)
    return (await h.env.client.get_workflow_handle(child).describe()).status


def test_a_person_walks_the_whole_path_with_every_rule_enforced_and_every_obligation_firing_once(run: Run) -> None:
    """Issue 18: applicant to formal member on the time-skipping server; each rule refuses once through the
    workflow (its validator or the activity), each of the person's deadlines is escalated exactly once."""

    async def refused(h: Harness, org_id: UUID, body: dict[str, Any], rule: str, actor: str = ORGANIZER) -> None:
        with pytest.raises(RuleViolation) as raised:
            await h.step(org_id, body, actor)
        assert raised.value.rule == rule, body

    async def scenario(h: Harness) -> None:
        case = await h.formal_branch((await h.register()).id)
        case = await h.step(case.id, {"action": "form_youth_league"})  # its own deadline is not this test's
        formal = [m.id for m in case.members]
        case = await h.step(case.id, APPLICANT | {"focus_group": "technical_backbone"})
        person = case.candidates[0].id
        assert case.candidates[0].focus_group == "technical_backbone"
        await h.eventually(lambda: _running(h, case.id, person))
        assert person in (await h.details(case.id)).people

        await skip_past(h, due_on(case, "talk_to_applicant"))  # a month without the talk
        await until_escalated(h, case.id, 1)
        case = await h.step(case.id, {"action": "designate_activist", "person_id": person})
        assert "confirm_development_target" not in case.next_actions
        assert "assign_cultivation_contacts" in case.next_actions

        await skip_past(h, due_on(case, "assign_cultivation_contacts"))  # a month without contacts
        await until_escalated(h, case.id, 2)
        await refused(h, case.id, {"action": "assign_cultivation_contacts", "person_id": person,
                                   "contact_ids": [formal[0], person]}, "contact_not_formal_member")
        case = await h.step(case.id, {"action": "assign_cultivation_contacts", "person_id": person,
                                      "contact_ids": formal[:1]})
        await refused(h, case.id, {"action": "change_cultivation_contacts", "person_id": person,
                                   "contact_ids": formal[1:3]}, "changing_contacts_needs_reason")
        case = await h.step(case.id, {"action": "change_cultivation_contacts", "person_id": person,
                                      "contact_ids": formal[1:3], "reason": "原联系人外派"})
        assert case.candidates[0].contact_ids == formal[1:3]

        await skip_past(h, due_on(case, "review_activist"))  # half a year without the review
        await until_escalated(h, case.id, 3)
        case = await h.step(case.id, {"action": "review_activist", "person_id": person})
        eligible, next_review = case.candidates[0].next_step_on, case.candidates[0].next_review_on
        assert eligible is not None and next_review is not None and eligible < next_review  # the review ends there
        await refused(h, case.id, {"action": "confirm_development_target", "person_id": person},
                      "cultivation_year_not_over")
        await skip_past(h, eligible, margin_days=0.5)  # the year of cultivation is over: the step opens

        async def opened() -> bool:
            return "confirm_development_target" in (await h.client.case(case.id)).next_actions

        await h.eventually(opened)
        case = await h.step(case.id, {"action": "confirm_development_target", "person_id": person})
        confirmed = await h.today()
        admit = {"action": "admit_probationary", "person_id": person, "introducer_ids": formal[:2]}
        await refused(h, case.id, admit, "political_review_missing")
        await h.step(case.id, {"action": "record_political_review", "person_id": person, "result": "passed"})
        await refused(h, case.id, admit, "training_missing")
        await h.skip(2)
        training = {"action": "record_training", "person_id": person, "started_on": confirmed.isoformat(),
                    "ended_on": (await h.today()).isoformat()}
        await refused(h, case.id, training | {"started_on": (await h.today()).isoformat(), "class_hours": 20},
                      "training_too_short")  # one day of 20 class hours is not enough
        case = await h.step(case.id, training | {"class_hours": 20})  # three days are
        leaves = (await h.today()) + timedelta(days=60)
        await h.step(case.id, {"action": "record_departure", "person_id": person, "leaves_on": leaves.isoformat()})
        await refused(h, case.id, admit, "leaving_within_three_months")
        await h.step(case.id, {"action": "allow_admission_despite_departure", "person_id": person,
                               "reason": "调入本系统下属单位，由其党组织接续考察"}, SUPERVISOR)
        await refused(h, case.id, admit | {"introducer_ids": [formal[0], person]}, "introducer_not_formal_member")
        case = await h.step(case.id, admit)
        assert case.candidates[0].stage is DevelopmentStage.AWAITING_APPROVAL

        await skip_past(h, due_on(case, "approve_probationary"))  # three months without approval
        await until_escalated(h, case.id, 4)
        await refused(h, case.id, {"action": "approve_probationary", "person_id": person},
                      "late_approval_needs_reason", SUPERVISOR)
        case = await h.step(case.id, {"action": "approve_probationary", "person_id": person,
                                      "reason": "上级党委会议推迟"}, SUPERVISOR)
        [probationer] = [m for m in case.members if m.id == person]
        assert probationer.status is MemberStatus.PROBATIONARY and probationer.probation_ends_on is not None
        assert "convert_to_formal" not in case.next_actions

        await skip_past(h, probationer.probation_ends_on)  # a year of probation, and no vote
        await until_escalated(h, case.id, 5)
        case = await h.client.case(case.id)
        assert "convert_to_formal" in case.next_actions
        case = await h.step(case.id, {"action": "convert_to_formal", "person_id": person})
        assert case.formal_members == 4 and case.obligations == []

        assert sorted(escalated(h, case.id)) == sorted([  # each of the person's deadlines, once
            ("talk_to_applicant", person), ("assign_cultivation_contacts", person), ("review_activist", person),
            ("approve_probationary", person), ("vote_on_conversion", person),
        ])

        async def finished() -> bool:
            return await child_status(h, case.id, person) is WorkflowExecutionStatus.COMPLETED

        await h.eventually(finished)  # a formal member: the person's workflow has ended
        assert person not in (await h.details(case.id)).people

    run(scenario, timeout=120)


def test_the_persons_workflow_ends_when_they_withdraw(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        case = await h.step(case.id, APPLICANT)
        person = case.candidates[0].id
        talk_due = due_on(case, "talk_to_applicant")
        await h.eventually(lambda: _running(h, case.id, person))
        case = await h.step(case.id, {"action": "withdraw_candidate", "person_id": person})

        async def finished() -> bool:
            return await child_status(h, case.id, person) is WorkflowExecutionStatus.COMPLETED

        await h.eventually(finished)
        await skip_past(h, talk_due)
        assert escalated(h, case.id) == []  # the withdrawn applicant's talk deadline went with them

    run(scenario)


async def _running(h: Harness, org_id: UUID, person_id: str) -> bool:
    try:
        return await child_status(h, org_id, person_id) is WorkflowExecutionStatus.RUNNING
    except Exception:
        return False
