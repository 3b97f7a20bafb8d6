"""`branchflow adopt`: every open case in the event store with no running workflow gets one, started from its
stored events (as the import adopts the cases it stores). For a pilot's cases moved onto a Temporal cluster
(docs/deploy.md: Temporal's histories stay behind, the event store is the record) and for a workflow lost or
terminated by hand (`verify` reports those). A case whose workflow runs is left as it is, so running it again
changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Final
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import get_topic
from psycopg import sql

from branchflow.domain.application import FormationApplication
from branchflow.domain.organization import Organization
from branchflow.workflows.client import FormationClient

IN_FLIGHT: Final = 32  # starts at once, as the import's (BENCHMARKS.md "What was changed", item 5)
_CREATED: Final = get_topic(Organization) + "."


def open_cases(app: FormationApplication, database_url: str) -> Iterable[UUID]:
    """The ids of the cases in the event store that are not closed (each case read whole, one at a time)."""
    recorder, factory = app.recorder, app.factory
    if not isinstance(recorder, PostgresApplicationRecorder) or not isinstance(factory, PostgresFactory):
        raise TypeError("adopt needs the PostgreSQL event store (eventsourcing.postgres)")
    events = sql.Identifier(factory.datastore.schema, recorder.events_table_name)
    query = sql.SQL("SELECT originator_id FROM {} WHERE originator_version = 1 AND starts_with(topic, %s) "
                    "ORDER BY notification_id").format(events)
    with psycopg.connect(database_url, autocommit=True) as conn:
        ids: list[Any] = [row[0] for row in conn.execute(query, (_CREATED,))]
    return (case_id for case_id in ids if app.case(case_id).closed_on is None)


async def adopt_open_cases(client: FormationClient, cases: Iterable[UUID], in_flight: int = IN_FLIGHT) -> int:
    """Starts the workflow of each case that has none running (`FormationClient.adopt`); the cases asked."""
    slots = asyncio.Semaphore(in_flight)

    async def adopted(case_id: UUID) -> None:
        async with slots:
            await client.adopt(case_id)

    asked = [asyncio.create_task(adopted(case_id)) for case_id in cases]
    await asyncio.gather(*asked)
    return len(asked)
