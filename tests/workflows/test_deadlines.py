"""Deadlines as durable timers, on the time-skipping server: a year passes in about a second."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from branchflow.domain.rules import Stage
from branchflow.workflows.formation import workflow_id
from branchflow.workflows.search import OVERDUE, STAGE
from tests.workflows.harness import SUPERVISOR, Harness, due_on, member, skip_past

pytestmark = pytest.mark.slow
Run = Callable[..., None]


def escalated(h: Harness, org_id: UUID) -> list[tuple[str, str]]:
    return [(e.data["rule"], e.data["subject"]) for e in h.app.history(org_id) if e.type == "DeadlineEscalated"]


async def until_escalated(h: Harness, org_id: UUID, count: int) -> None:
    async def landed() -> bool:
        return len(escalated(h, org_id)) >= count and (await h.details(org_id)).case is not None

    await h.eventually(landed)


def test_the_year_end_formation_deadline_escalates_when_it_passes_unmet(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register(employees=120)  # over 100 employees: a party organization is required this year
        year_end = due_on(case, "party_organization_required")
        assert year_end.month == 12 and year_end.day == 31
        await skip_past(h, year_end)
        await until_escalated(h, case.id, 1)

        entry = next(e for e in h.app.history(case.id) if e.type == "DeadlineEscalated")
        assert entry.actor == "system" and entry.data["due_on"] == year_end and entry.occurred_on > year_end
        live = await h.client.case(case.id)
        assert [o.overdue for o in live.obligations if o.rule == "party_organization_required"] == [True]
        described = await h.env.client.get_workflow_handle(workflow_id(case.id)).describe()
        assert described.typed_search_attributes.get(OVERDUE) is True
        assert described.typed_search_attributes.get(STAGE) == Stage.NO_MEMBERS.value
        custom = {p.key.name: p.value for p in described.typed_search_attributes}
        assert set(custom) <= {"Stage", "RegionCode", "Overdue", "BuildIds", "TemporalChangeVersion"}
        assert custom["RegionCode"] == case.region_code
        assert not any(case.name in str(v) for v in custom.values())  # no names in search attributes

        await h.skip(400)  # an escalated deadline is recorded once, however long it stays unmet
        assert escalated(h, case.id) == [("party_organization_required", "")]

    run(scenario)


def test_a_deadline_met_before_it_passes_is_not_escalated(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register(employees=120)
        year_end = due_on(case, "party_organization_required")
        case = await h.formal_branch(case.id)  # met: the obligation is gone, the alarm moves on
        case = await h.step(case.id, {"action": "record_applicant", "name": "赵敏", "gender": "female",
                                      "birth_date": "2000-01-01", "education": "bachelor"})
        person = case.candidates[0].id
        case = await h.step(case.id, {"action": "talk_to_applicant", "person_id": person})
        case = await h.step(case.id, {"action": "form_youth_league"})  # 党建带团建, due with the formal branch
        assert case.obligations == []
        await skip_past(h, year_end, margin_days=40)
        assert escalated(h, case.id) == []
        assert not any(o.overdue for o in (await h.client.case(case.id)).obligations)

    run(scenario)


def test_an_unanswered_formal_branch_request_escalates_after_a_month(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        for name in ("王芳", "李强", "张伟"):
            case = await h.step(case.id, member(name))
        case = await h.step(case.id, {"action": "request_formal_branch", "name": "党支部"})
        await skip_past(h, due_on(case, "approve_formal_branch"))
        await until_escalated(h, case.id, 1)
        assert ("approve_formal_branch", "") in escalated(h, case.id)

        case = await h.step(case.id, {"action": "approve_formal_branch"}, SUPERVISOR)
        assert not any(o.overdue for o in case.obligations)  # met late: no longer overdue
        described = await h.env.client.get_workflow_handle(workflow_id(case.id)).describe()
        assert described.typed_search_attributes.get(OVERDUE) is False
        assert described.typed_search_attributes.get(STAGE) == Stage.FORMAL_BRANCH.value

    run(scenario)
