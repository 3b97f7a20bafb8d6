"""What comes due, on the time-skipping server: a transfer reminded on its due day and escalated once after it;
a term reminded six months and one month before it ends, its election overdue once it has."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest

from branchflow.domain.calendar import add_months
from branchflow.workflows.deadlines import day_begins
from tests.workflows.harness import SUPERVISOR, Harness, due_on, member, skip_past
from tests.workflows.test_deadlines import escalated

pytestmark = pytest.mark.slow
Run = Callable[..., None]


def reminded(h: Harness, org_id: UUID) -> list[tuple[str, str, date]]:
    return [(e.data["rule"], e.data["subject"], e.occurred_on) for e in h.app.history(org_id)
            if e.type == "DeadlineReminded"]


async def skip_into(h: Harness, day: date, hours: float = 6) -> None:
    """Moves the clock to `hours` into the business day `day`."""
    now = await h.env.get_current_time()
    await h.skip(max((day_begins(day) - now).total_seconds() / 86400, 0) + hours / 24)


async def until(h: Harness, check: Callable[[], bool]) -> None:
    async def holds() -> bool:
        return check()

    await h.eventually(holds)


def test_a_pending_transfer_is_reminded_on_its_due_day_and_escalated_once_after_it(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        case = await h.step(case.id, member("王芳", transferred=False))
        person = case.members[0].id
        case = await h.step(case.id, {"action": "request_transfer_in", "member_id": person,
                                      "from_organization": "中共某村委员会"})
        due = due_on(case, "complete_transfer")
        assert due == add_months(await h.today(), 3)
        assert [o.reminders for o in case.obligations if o.rule == "complete_transfer"] == [[due]]

        await skip_into(h, due)  # the due day: the organizer is reminded, nothing is overdue yet
        await until(h, lambda: reminded(h, case.id) == [("complete_transfer", person, due)])
        assert ("complete_transfer", person) not in escalated(h, case.id)

        await skip_past(h, due)  # the day after: escalated to the supervisor's board, once
        await until(h, lambda: ("complete_transfer", person) in escalated(h, case.id))
        await h.skip(200)
        assert escalated(h, case.id).count(("complete_transfer", person)) == 1
        assert len(reminded(h, case.id)) == 1
        live = await h.client.case(case.id)
        assert [o.overdue for o in live.obligations if o.rule == "complete_transfer"] == [True]

        case = await h.step(case.id, {"action": "transfer_in", "member_id": person})
        assert not any(o.rule == "complete_transfer" for o in case.obligations)

    run(scenario)


def test_an_abandoned_transfer_is_neither_reminded_nor_escalated(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        case = await h.step(case.id, member("李强", transferred=False))
        person = case.members[0].id
        case = await h.step(case.id, {"action": "request_transfer_in", "member_id": person,
                                      "from_organization": "中共某社区委员会"})
        due = due_on(case, "complete_transfer")
        await h.skip(30)
        case = await h.step(case.id, {"action": "transfer_abandoned", "member_id": person, "reason": "已调往外地工作"})
        await skip_past(h, due, margin_days=30)
        assert reminded(h, case.id) == []
        assert ("complete_transfer", person) not in escalated(h, case.id)

    run(scenario)


def test_a_term_is_reminded_six_months_and_one_month_before_it_ends(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.formal_branch((await h.register()).id)
        case = await h.step(case.id, {"action": "form_youth_league"})
        case = await h.step(case.id, {"action": "elect_branch_committee", "secretary": "王芳"})
        assert any(o.rule == "file_election_result" for o in case.obligations)
        case = await h.step(case.id, {"action": "file_election_result"}, SUPERVISOR)
        end = add_months(await h.today(), 36)
        assert case.term_ends_on == end and case.election_result_filed is True
        [hold] = [o for o in case.obligations if o.rule == "hold_election"]
        six, one = add_months(end, -6), add_months(end, -1)
        assert (hold.due_on, hold.reminders) == (end, [six, one])

        await skip_into(h, six)
        await until(h, lambda: reminded(h, case.id) == [("hold_election", "", six)])
        await skip_into(h, one)
        await until(h, lambda: len(reminded(h, case.id)) == 2)
        assert reminded(h, case.id)[1] == ("hold_election", "", one)
        assert escalated(h, case.id) == []

        await skip_past(h, end)  # the term is over and nobody was elected: the election is overdue
        await until(h, lambda: escalated(h, case.id) == [("hold_election", "")])
        await h.skip(60)
        assert len(reminded(h, case.id)) == 2 and len(escalated(h, case.id)) == 1

        case = await h.step(case.id, {"action": "elect_branch_committee", "secretary": "李强"})
        [hold] = [o for o in case.obligations if o.rule == "hold_election"]
        assert hold.due_on == add_months(await h.today(), 36) and not hold.overdue

    run(scenario, timeout=120)
