"""An imported case's workflow, started with its case (the import's `adopt`): what its first task writes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from temporalio.api.enums.v1 import EventType

from branchflow.workflows.case_state import case_state
from branchflow.workflows.formation import SINCE_CODED_PATCH, workflow_id
from tests.workflows.harness import ORGANIZER, Harness, histories, member, registration

pytestmark = pytest.mark.slow
Run = Callable[..., None]


def test_an_adopted_case_writes_one_patch_marker_and_its_steps_go_on(run: Run) -> None:
    """Each `workflow.patched` writes a marker and a TemporalChangeVersion upsert: a run started since the coded
    state writes one of each for its patches (issue 19: the dev server's work per adopted case)."""
    async def scenario(h: Harness) -> None:
        today = await h.today()
        imported = h.app.register_organization(registration(today, employees=120), ORGANIZER, today)
        h.track(workflow_id(imported.id))
        await h.client.adopt(imported.id, case_state(imported, today, h.app.thresholds))
        case = await h.step(imported.id, member())  # the case as adopted, compact and coded: version 2
        assert case.version == 2 and h.events(imported.id) == ["Registered", "MemberAdded"]

        [history] = await histories(h.client.client, [workflow_id(imported.id)])
        markers = [e.marker_recorded_event_attributes for e in history.events
                   if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
        patches = [m.details["patch-data"].payloads[0].data for m in markers if "patch-data" in m.details]
        assert len(patches) == 1 and SINCE_CODED_PATCH.encode() in patches[0]
        versions = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
                    and "TemporalChangeVersion" in e.upsert_workflow_search_attributes_event_attributes
                    .search_attributes.indexed_fields]
        assert len(versions) == 1

    run(scenario)
