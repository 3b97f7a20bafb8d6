"""A reminder fires once across a worker's death (issue 17, item 5), with real processes on the dev server.

The worker is killed -9 after the workflow rang the reminder and its activity committed the record, before
the activity answered: the workflow never learnt it was recorded. The restarted worker retries the activity
(its attempt timed out), which finds the record under the reminder's command id: one `DeadlineReminded` in
the case's history, one reminder activity scheduled in the workflow's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from branchflow.api.users import Role
from branchflow.domain.calendar import add_months
from branchflow.workflows.config import connect
from branchflow.workflows.formation import workflow_id
from tests.api.test_case_path import registration
from tests.reliability.processes import Deployment
from tests.reliability.protocol import Command, history, send

pytestmark = pytest.mark.slow
STREET = "440403107"
REMIND = "remind_deadline"  # the activity's name
WITHIN = 40.0  # seconds any one wait below may take


def workflow_events(deployment: Deployment, case: str) -> list[HistoryEvent]:
    async def fetch() -> list[HistoryEvent]:
        client = await connect(deployment.temporal_address)
        found = await client.get_workflow_handle(workflow_id(UUID(case))).fetch_history()
        return list(found.events)

    return asyncio.run(fetch())


def reminder_activities(events: list[HistoryEvent]) -> tuple[int, int]:
    """How many reminder activities the workflow scheduled, and how many of them completed."""
    scheduled = {e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                 and e.activity_task_scheduled_event_attributes.activity_type.name == REMIND}
    completed = [e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
                 and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled]
    return len(scheduled), len(completed)


def wait_for(check: Callable[[], bool], deployment: Deployment, what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {WITHIN} s\n{deployment.logs()}"
        time.sleep(0.1)


def step(api: Any, case: str, body: dict[str, Any]) -> dict[str, Any]:
    command = send(api, Command(f"/organizations/{case}/actions", body))
    assert command.final.status == 200 and not command.unexpected(), command.answers
    return dict(command.final.body)


def reminders(api: Any, case: str) -> list[dict[str, Any]]:
    return [e for e in history(api, case) if e["type"] == "DeadlineReminded"]


def test_a_worker_killed_between_a_reminders_firing_and_its_answer_records_it_once(running: Deployment) -> None:
    # Requested three months ago, the transfer is due today: its reminder's day has begun, so the workflow rings
    # it as soon as the request is recorded (the alarm a timer would have rung on that day).
    requested = add_months(date.today(), -3)
    running.worker.stop()
    running.worker.start(BRANCHFLOW_FAULT_DELAY_AFTER_REMINDER="60")  # commits the reminder, then waits
    with running.client(running.token(Role.ORGANIZER, STREET)) as api:
        created = send(api, Command("/organizations", registration(f"{STREET}001", founded_on="2020-03-01")))
        assert created.final.status == 201, created.answers
        case = str(created.final.body["id"])
        added = step(api, case, {"action": "add_member", "name": "王芳", "gender": "female",
                                 "birth_date": "1980-02-03", "education": "bachelor", "status": "formal",
                                 "relation_transferred": False, "occurred_on": requested.isoformat()})
        person = added["members"][0]["id"]
        asked = step(api, case, {"action": "request_transfer_in", "member_id": person,
                                 "from_organization": "中共某村委员会", "occurred_on": requested.isoformat()})
        [due] = [o["due_on"] for o in asked["obligations"] if o["rule"] == "complete_transfer"]
        assert date.fromisoformat(due) <= date.today()

        wait_for(lambda: len(reminders(api, case)) == 1, running, "the reminder's record")
        assert reminder_activities(workflow_events(running, case)) == (1, 0)  # recorded, not answered
        running.worker.kill()
        running.worker.start()

        # The retried attempt answers from the reminder's receipt: the workflow learns it, nothing is added.
        wait_for(lambda: reminder_activities(workflow_events(running, case))[1] == 1, running,
                 "the reminder activity's answer")
        step(api, case, {"action": "assign_instructor", "name": "李强"})  # wakes the workflow's loop again
        [record] = reminders(api, case)
        assert (record["data"]["rule"], record["data"]["subject"]) == ("complete_transfer", person)
        assert reminder_activities(workflow_events(running, case)) == (1, 1)
    running.verify()
