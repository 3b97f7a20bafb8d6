"""History stays bounded: after a configured number of steps the workflow continues as new, losing nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from branchflow.workflows.formation import workflow_id
from tests.workflows.harness import Harness, due_on, histories, member, skip_past
from tests.workflows.test_deadlines import escalated, until_escalated

pytestmark = pytest.mark.slow
Run = Callable[..., None]


def test_the_workflow_continues_as_new_and_keeps_its_case_deadlines_and_commands(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register(employees=120)
        first = await h.step(case.id, {**member("王芳", transferred=False), "command_id": "add-wang"})
        for name in ("李强", "张伟", "刘洋", "陈静", "杨帆", "黄磊"):
            case = await h.step(case.id, member(name, transferred=False))
        case = await h.step(case.id, {"action": "record_applicant", "name": "赵敏", "gender": "female",
                                      "birth_date": "2000-01-01", "education": "bachelor"})

        runs = await histories(h.env.client, [workflow_id(case.id)])
        assert len(runs) >= 3  # 9 commands at 3 per run
        assert await h.client.case(case.id) == case
        # A repeat from the first run is still recognised: applied once, the same answer.
        assert await h.step(case.id, {**member("王芳", transferred=False), "command_id": "add-wang"}) == first
        assert h.events(case.id).count("MemberAdded") == 7

        # Timers are re-armed from absolute dates in every new run.
        await skip_past(h, due_on(case, "talk_to_applicant"))
        await until_escalated(h, case.id, 1)
        await skip_past(h, due_on(case, "party_organization_required"))
        await until_escalated(h, case.id, 3)  # members need an organization too: both year-end deadlines
        assert {rule for rule, _ in escalated(h, case.id)} == {
            "talk_to_applicant", "party_organization_required", "members_need_party_organization"}
        assert (await h.details(case.id)).people.keys() == {case.candidates[0].id}

    run(scenario, steps_before_continue=3)
