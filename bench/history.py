"""Bytes of Temporal history written per update, read back from the dev server (issue 19: ≤ 2 KB per step).

Each workflow's history is fetched and its events after its start are cut at every completed update: the
events since the previous update's completion (the workflow task that took it, a local activity's marker, the
acceptance and the answer, and whatever else the workflow did meanwhile: a child started, a timer set) are
that update's. The start, its first workflow task and the commands of that task (the search attributes set, the
patch markers, the deadline's timer of an adopted case: the adoption's, not a step's; until 2026-12-02 they were
counted into the first update's bytes), and the events after the last update, are counted for none. The size
is the event's protobuf encoding, as the server receives it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
COMPLETED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
TASK_COMPLETED = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
TASK_SCHEDULED = EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED


class Sizes:
    """Bytes and count of updates, by update name."""

    def __init__(self) -> None:
        self.bytes: dict[str, int] = defaultdict(int)
        self.count: dict[str, int] = defaultdict(int)
        self.by_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # name -> event type -> B

    def per_update(self, name: str) -> float:
        return self.bytes[name] / self.count[name] if self.count[name] else 0.0

    def largest(self, name: str, top: int = 4) -> str:
        """The event types that weigh most in an update's bytes, per update."""
        n = self.count[name] or 1
        ranked = sorted(self.by_type[name].items(), key=lambda kv: -kv[1])[:top]
        return ", ".join(f"{kind.removeprefix('EVENT_TYPE_').lower()} {size / n:,.0f} B" for kind, size in ranked)


async def history_sizes(client: Client, workflow_ids: Iterable[str]) -> Sizes:
    sizes = Sizes()
    for workflow_id in workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        names: dict[str, str] = {}  # update id -> its name
        segment, begun, started = 0, False, False
        kinds: dict[str, int] = defaultdict(int)
        for event in history.events:
            segment += event.ByteSize()
            kinds[EventType.Name(event.event_type)] += event.ByteSize()
            if not begun:  # the start, up to the end of its first workflow task and the commands that task gave
                started = started or event.event_type == TASK_COMPLETED
                if started and event.event_type in (TASK_SCHEDULED, ACCEPTED):
                    segment, begun = event.ByteSize(), True
                    kinds.clear()
                    kinds[EventType.Name(event.event_type)] += event.ByteSize()
                else:
                    continue
            if event.event_type == ACCEPTED:
                request = event.workflow_execution_update_accepted_event_attributes.accepted_request
                names[request.meta.update_id] = request.input.name
            elif event.event_type == COMPLETED:
                update_id = event.workflow_execution_update_completed_event_attributes.meta.update_id
                name = names.get(update_id, "?")
                sizes.bytes[name] += segment
                sizes.count[name] += 1
                for kind, size in kinds.items():
                    sizes.by_type[name][kind] += size
                segment = 0
                kinds.clear()
    return sizes
