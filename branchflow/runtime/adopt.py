"""`branchflow adopt`: every open case in the event store with no running workflow gets one, started from its
stored events (as the import adopts the cases it stores). For a pilot's cases moved onto a Temporal cluster
(docs/deploy.md: Temporal's histories stay behind, the event store is the record) and for a workflow lost or
terminated by hand (`verify` reports those). A case whose workflow runs is left as it is, so running it again
changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import psycopg

from branchflow.domain.application import FormationApplication
from branchflow.runtime.verify import ORGANIZATION_EVENTS, events_table
from branchflow.workflows.case_state import CaseState


def open_cases(app: FormationApplication, database_url: str) -> Iterator[tuple[UUID, CaseState | None]]:
    """The open cases of the event store, in the order they were registered, each without a state (its workflow
    loads it): what `client.adopt_all` takes. Each case is read whole as it is reached."""
    _, events = events_table(app)
    with psycopg.connect(database_url, autocommit=True) as conn:
        ids = [row[0] for row in conn.execute(
            f"SELECT originator_id FROM {events} WHERE originator_version = 1 AND starts_with(topic, %s) "
            "ORDER BY notification_id", (ORGANIZATION_EVENTS,))]
    return ((case_id, None) for case_id in ids if app.case(case_id).closed_on is None)
