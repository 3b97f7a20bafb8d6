"""FormationState: a formation workflow's input, carried whole through continue-as-new.

It lives apart from formation.py, which imports it through the sandbox's passthrough: Temporal's sandbox
runs a workflow's module afresh for every workflow instance it creates in memory (every adopted case, and
every case evicted from the worker's cache and stepped again), and building pydantic models there (this one,
and deadlines.py's, which slipped past the passthrough) was about a quarter of that cost in the worker's
profile (BENCHMARKS.md).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from branchflow.workflows.case_state import CaseState
from branchflow.workflows.deadlines import PersonSchedule
from branchflow.workflows.development import PersonDue

DEFAULT_STEPS_BEFORE_CONTINUE = 500


class FormationState(BaseModel):
    """The workflow's input, carried whole through continue-as-new."""

    organization_id: UUID
    case: CaseState | None = None  # None until registered or loaded
    awaiting_registration: bool = False  # started by a registration (else: load the stored case)
    registered_by: str | None = None  # the registration's command id
    held_by: str | None = None  # the joint branch holding the case
    held_since: datetime | None = None
    people: dict[str, PersonSchedule] = {}  # the development workflows and what they were last told
    reports: list[PersonDue] = []
    recent_commands: list[str] = []
    reminded: list[str] = []  # reminders recorded (deadlines.reminder_key), so each fires once across runs
    steps_before_continue: int = DEFAULT_STEPS_BEFORE_CONTINUE
    recount_to_load: bool = False  # another organization's step recounted the joint branch in this case
