"""`branchflow verify`: recounts the read models from the event store and checks every case's workflow.

The projections are compared with a recount at the position they have reached, inside one REPEATABLE READ
snapshot (their rows and their tracked position are written in one transaction, so the snapshot holds a
position and exactly the rows for it): every Organization is replayed from its events with the domain's own
`mutate`, and its `cases` row, `members` rows and `audit` rows are derived again by the functions the runner
uses (`rows.case_row`, `rows.member_rows`, `history_entry`) and compared field by field; `case_states` must
restore to the same case at its version; the summary tables must equal a fresh SQL count of the rows
(`summaries.summaries_disagree`), so every board and statistics figure equals a recount. The projections
must also reach the head of the event store within `wait` seconds.

Then every open case must have its running `FormationWorkflow`, and every running `FormationWorkflow` (on
this task queue) an open case. A case stored without its workflow is normal only for the moment between an
import's commit and its `adopt` (an import stopped there, run again, starts them); verify reports it, as it
reports any other difference.

Apart from the differences, every stored case is checked against the rules of today (`domain/breaches.py`): a
case recorded before a rule was may break it (a step dated before the founding, the same person twice). Its
events are never rewritten; verify lists each such case with the rule and what corrects it, as warnings: they
are the organizers' to correct, not a disagreement of the system with itself, so verify still exits 0.

Differences and warnings name cases by id, people by their id in the case and fields by name, never the
personal data in them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import TypeAdapter
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from branchflow.domain import relations
from branchflow.domain.application import FormationApplication, history_entry
from branchflow.domain.breaches import broken_rules
from branchflow.domain.errors import CaseNotFound
from branchflow.domain.id_numbers import contains_id_number, masked_in
from branchflow.domain.organization import Organization
from branchflow.domain.relations import Relation
from branchflow.projections.rows import CaseRow, MemberRow, case_row, case_row_from_db, member_row_from_db, member_rows
from branchflow.projections.runner import lag
from branchflow.projections.schema import AUDIT, CASE_STATES, CASES, MEMBERS, TRACKING
from branchflow.projections.summaries import summaries_disagree
from branchflow.workflows.config import TemporalConfig, connect
from branchflow.workflows.formation import workflow_id

SHOWN: Final = 200  # differences printed in full; the rest are counted
ORGANIZATION_EVENTS: Final = get_topic(Organization) + "."  # the topics of events defined on Organization
_SNAPSHOT_TOPIC: Final = get_topic(Organization.Snapshot)
_JSON: Final = TypeAdapter(dict[str, Any])
_WORKFLOW_PREFIX: Final = workflow_id(UUID(int=0)).removesuffix(str(UUID(int=0)))


@dataclass
class Findings:
    differences: list[str] = field(default_factory=list)
    position: int = 0  # the last notification the projections hold
    events: int = 0  # events of organizations up to the position
    cases: int = 0
    open_cases: set[UUID] = field(default_factory=set)
    workflows: int | None = None  # running FormationWorkflows, None when not checked
    broken: list[str] = field(default_factory=list)  # stored cases breaking a rule of today: warnings

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        if not self.ok:
            return f"verify: {len(self.differences)} difference(s) found"
        workflows = "" if self.workflows is None else f", {self.workflows} running workflows"
        return (f"verify: ok — {self.cases} cases ({len(self.open_cases)} open), {self.events} events{workflows}; "
                f"the projections at notification {self.position} equal a recount from the event store")

    def warning(self) -> str | None:
        if not self.broken:
            return None
        cases = len({line.split(":", 1)[0] for line in self.broken})
        return (f"verify: warning — {cases} stored case(s) break {len(self.broken)} rule(s) of today; their events "
                "are kept as recorded, each is corrected by the step named")

    def lines(self) -> list[str]:
        shown = _capped(self.differences) + _capped(self.broken)
        return shown + ([w] if (w := self.warning()) else [])


def _capped(lines: list[str]) -> list[str]:
    return lines[:SHOWN] + ([f"... and {len(lines) - SHOWN} more"] if len(lines) > SHOWN else [])


# --- the projections --------------------------------------------------------------------------------


def events_table(app: FormationApplication) -> tuple[str, str]:
    """(the schema, the events table's qualified name) of the application's PostgreSQL event store."""
    recorder, factory = app.recorder, app.factory
    if not isinstance(recorder, PostgresApplicationRecorder) or not isinstance(factory, PostgresFactory):
        raise TypeError("verify and adopt need the PostgreSQL event store (eventsourcing.postgres)")
    schema = factory.datastore.schema
    return schema, sql.Identifier(schema, recorder.events_table_name).as_string()


def recount(app: FormationApplication, database_url: str, wait: float = 30.0) -> Findings:
    """Compares the projections in the application's schema with a recount from its events."""
    schema, events = events_table(app)
    findings = Findings()
    with psycopg.connect(database_url, autocommit=True, options=f"-c search_path={schema}",
                         row_factory=dict_row) as conn:
        missing = [t for t in (TRACKING, CASES, MEMBERS, AUDIT, CASE_STATES)
                   if conn.execute("SELECT to_regclass(%s) AS t", (t,)).fetchone() == {"t": None}]
        if missing:
            row = conn.execute(f"SELECT count(*) AS n FROM {events}").fetchone()
            if row is not None and row["n"] > 0:
                findings.differences.append(f"projections: {row['n']} events and no {', '.join(missing)} table "
                                            "(has the projection runner ever run on this database?)")
            return findings
        behind = _wait_for_head(conn, app.name, wait)
        if behind:
            findings.differences.append(
                f"projections: {behind} events are not projected after waiting {wait:g} s (is the runner stuck?)")
        conn.autocommit = False
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            findings.position = _position(conn, app.name)
            _compare(conn, app, events, findings)
            findings.differences += [f"summaries: {problem}" for problem in summaries_disagree(conn)]
    return findings


def _position(conn: psycopg.Connection[Any], application_name: str) -> int:
    row = conn.execute(f"SELECT coalesce(max(notification_id), 0) AS p FROM {TRACKING} "
                       "WHERE application_name = %s", (application_name,)).fetchone()
    return int(row["p"]) if row else 0


def _wait_for_head(conn: psycopg.Connection[Any], application_name: str, wait: float) -> int:
    """Events not yet projected once the projections reach the head, or `wait` seconds pass."""
    waiting = Retrying(stop=stop_after_delay(wait), wait=wait_fixed(0.2), retry=retry_if_result(bool),
                       retry_error_callback=lambda attempt: attempt.outcome.result() if attempt.outcome else 0)
    behind: int = waiting(lag, conn, application_name)
    return behind


def _compare(conn: psycopg.Connection[Any], app: FormationApplication, events: str, findings: Findings) -> None:
    cases = {r["id"]: case_row_from_db(r) for r in conn.execute(f"SELECT * FROM {CASES}")}
    members: dict[UUID, list[MemberRow]] = {}
    for r in conn.execute(f"SELECT * FROM {MEMBERS}"):
        members.setdefault(r["case_id"], []).append(member_row_from_db(r))
    audit: dict[UUID, dict[int, dict[str, Any]]] = {}
    for r in conn.execute(f"SELECT * FROM {AUDIT}"):
        audit.setdefault(r["case_id"], {})[r["sequence"]] = r
    states = {r["id"]: (r["version"], bytes(r["state"])) for r in conn.execute(f"SELECT * FROM {CASE_STATES}")}

    seen: set[UUID] = set()
    held: dict[str, list[tuple[UUID, str]]] = {}  # where the cases hold each ID number's relation
    for case_id, stored in _organizations(conn, events, findings.position):
        seen.add(case_id)
        findings.events += len(stored)
        decoded = [(app.mapper.to_domain_event(record), notification_id) for record, notification_id in stored]
        org = _replay(app, case_id, decoded, states.get(case_id), problems := [])
        problems += _compare_rows(app, org, cases.get(case_id), members.get(case_id, []))
        problems += _compare_audit(audit.get(case_id, {}), decoded, org.region_code)
        findings.differences += [f"case {case_id}: {p}" for p in problems]
        # The rule and its correction only: the details may name the people concerned.
        findings.broken += [f"case {case_id}: breaks {b.rule} — {b.fix}" for b in broken_rules(org)]
        if org.closed_on is None:
            findings.open_cases.add(case_id)
        for key, member_id in relations.placed(org).items():
            held.setdefault(key, []).append((case_id, member_id))
    differences, broken = relations_disagree(held, app.relation)
    findings.differences += differences
    findings.broken += broken
    findings.cases = len(seen)
    for case_id in sorted(set(cases) - seen, key=str):
        findings.differences.append(f"case {case_id}: a cases row without events up to {findings.position}")
    for case_id in sorted((set(members) | set(audit) | set(states)) - seen, key=str):
        findings.differences.append(f"case {case_id}: members, audit or case_states rows without events")


def relations_disagree(held: Mapping[str, list[tuple[UUID, str]]], registry: Callable[[str], Relation | None]
                       ) -> tuple[list[str], list[str]]:
    """(differences, warnings) of the relations the cases hold against the registry of relations (relations.py).

    One relation held by two cases happens where a case was reopened after the relation went elsewhere (the
    reopening does not take it back): a warning, for the organizers to transfer it out of one. A case holding
    a relation the registry places nowhere or in another case, with no other case holding it, is a
    difference: an event of the registry is missing. Read outside the projections' snapshot: run against a
    store being written, a step between the two reads may show as a difference once."""
    differences, warnings = [], []
    for key, holders in held.items():
        for case_id, member_id in holders[1:]:
            warnings.append(f"case {case_id}: breaks relation_elsewhere — transfer {member_id} out here or in case "
                            f"{holders[0][0]}, where the same member's relation is held too")
        relation = registry(key)
        placed = relation.organization_id if relation is not None else None
        if len(holders) == 1 and placed != str(holders[0][0]):
            where = "nowhere" if placed is None else f"in case {placed}"
            differences.append(f"case {holders[0][0]}: the relation of {holders[0][1]} is held here, the registry "
                               f"of relations places it {where}")
    return differences, warnings


def _organizations(conn: psycopg.Connection[Any], events: str, position: int
                   ) -> Iterable[tuple[UUID, list[tuple[StoredEvent, int]]]]:
    """Each organization's stored events up to `position` with their notification ids, one case at a time."""
    query = (
        "SELECT e.originator_id, e.originator_version, e.topic, e.state, e.notification_id FROM "
        f"(SELECT originator_id FROM {events} WHERE originator_version = 1 AND notification_id <= %(p)s "
        "AND starts_with(topic, %(topic)s)) AS o "
        f"JOIN {events} AS e USING (originator_id) WHERE e.notification_id <= %(p)s "
        "ORDER BY e.originator_id, e.originator_version")
    current: UUID | None = None
    stored: list[tuple[StoredEvent, int]] = []
    with conn.cursor(name="verify_events", row_factory=dict_row) as cursor:
        cursor.itersize = 2000
        cursor.execute(query, {"p": position, "topic": ORGANIZATION_EVENTS})
        for r in cursor:
            if r["originator_id"] != current and current is not None:
                yield current, stored
                stored = []
            current = r["originator_id"]
            stored.append((StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])),
                           r["notification_id"]))
    if current is not None:
        yield current, stored


def _replay(app: FormationApplication, case_id: UUID, events: list[tuple[Any, int]],
            state: tuple[int, bytes] | None, problems: list[str]) -> Organization:
    """The case from its events alone; on the way, its `case_states` row must restore to the same case."""
    org: Any = None
    for event, _ in events:
        org = event.mutate(org)
        if state is not None and state[0] == org.version:
            snapshot: Any = app.mapper.to_domain_event(StoredEvent(case_id, state[0], _SNAPSHOT_TOPIC, state[1]))
            if case_row(snapshot.mutate(None), app.thresholds) != case_row(org, app.thresholds):
                problems.append(f"case_states at version {state[0]} restores another case than its events")
    assert isinstance(org, Organization)
    if state is not None and state[0] > org.version:
        problems.append(f"case_states at version {state[0]}, past the events' version {org.version}")
    return org


def _compare_rows(app: FormationApplication, org: Organization, row: CaseRow | None,
                  members: list[MemberRow]) -> list[str]:
    if row is None:
        return [f"no cases row (the events reach version {org.version})"]
    problems = []
    recounted = case_row(org, app.thresholds)
    if row != recounted:
        names = [f.name for f in fields(CaseRow) if getattr(row, f.name) != getattr(recounted, f.name)]
        problems.append(f"cases row differs from the recount in {', '.join(names)} "
                        f"(projected version {row.version}, recounted {recounted.version})")
    wanted = member_rows(org)
    if sorted(members, key=repr) != sorted(wanted, key=repr):
        problems.append(f"members rows differ from the recount ({len(members)} projected, {len(wanted)} recounted)")
    return problems


def _compare_audit(audit: Mapping[int, Mapping[str, Any]], events: list[tuple[Any, int]],
                   region_code: str) -> list[str]:
    problems = []
    for event, notification_id in events:
        sequence = event.originator_version
        found = audit.get(sequence)
        if found is None:
            problems.append(f"audit row {sequence} is missing")
            continue
        entry = history_entry(event)
        wanted = {"notification_id": notification_id, "type": entry.type, "occurred_on": entry.occurred_on,
                  "recorded_at": entry.recorded_at, "actor": entry.actor, "reason": entry.reason,
                  "data": json.loads(_JSON.dump_json(masked_in(entry.data))), "region_code": region_code}
        if differing := [name for name, value in wanted.items() if found[name] != value]:
            problems.append(f"audit row {sequence} differs in {', '.join(differing)}")
    if extra := sorted(set(audit) - {event.originator_version for event, _ in events}):
        problems.append(f"audit rows {extra} have no event")
    return problems


# --- the workflows ----------------------------------------------------------------------------------


async def check_workflows(client: Client, task_queue: str, open_cases: set[UUID], app: FormationApplication,
                          grace: float = 1.0) -> tuple[list[str], int]:
    """(differences, running FormationWorkflows). A mismatch is looked at again after `grace` seconds by
    the workflow's own description (the list is eventually consistent) before it is reported."""
    query = (f"WorkflowType = 'FormationWorkflow' AND ExecutionStatus = 'Running' "
             f"AND TaskQueue = '{task_queue}'")
    running = {w.id async for w in client.list_workflows(query)}
    expected = {workflow_id(case_id): case_id for case_id in open_cases}
    missing = [wid for wid in expected if wid not in running]
    unexpected = [wid for wid in running if wid not in expected]
    if missing or unexpected:
        await asyncio.sleep(grace)
    differences = []
    for wid in missing:
        status = await _status(client, wid)
        if status is not WorkflowExecutionStatus.RUNNING:
            found = status.name.lower() if status is not None else "none"
            differences.append(f"case {expected[wid]}: open, but its workflow {wid} is not running ({found})")
    for wid in unexpected:
        if await _status(client, wid) is not WorkflowExecutionStatus.RUNNING:
            continue  # it ended meanwhile
        case_id = _case_id(wid)
        if case_id is None:
            differences.append(f"workflow {wid}: a FormationWorkflow whose id names no case")
            continue
        try:
            closed = app.case(case_id).closed_on is not None
        except CaseNotFound:
            differences.append(f"workflow {wid}: running, but there is no case {case_id}")
            continue
        if closed:
            differences.append(f"workflow {wid}: running, but case {case_id} is closed")
    return differences + await id_numbers_in_search_attributes(client, task_queue), len(running)


async def id_numbers_in_search_attributes(client: Client, task_queue: str) -> list[str]:
    """Temporal stores search attributes unencrypted and shows them to anyone with its UI: no citizen ID number
    may be in one (issue 18). Every workflow of the task queue, running or closed, is looked at; the finding
    names the workflow and the attribute, never the number."""
    found = []
    async for execution in client.list_workflows(f"TaskQueue = '{task_queue}'"):
        for pair in execution.typed_search_attributes:
            values = pair.value if isinstance(pair.value, list) else [pair.value]
            if any(contains_id_number(str(v)) for v in values):
                found.append(f"workflow {execution.id}: search attribute {pair.key.name} holds a citizen ID number")
    return found


async def _status(client: Client, wid: str) -> WorkflowExecutionStatus | None:
    try:
        return (await client.get_workflow_handle(wid).describe()).status
    except RPCError:
        return None


def _case_id(wid: str) -> UUID | None:
    try:
        return UUID(wid.removeprefix(_WORKFLOW_PREFIX))
    except ValueError:
        return None


# --- both -------------------------------------------------------------------------------------------


def verify(app: FormationApplication, database_url: str, temporal: TemporalConfig | None,
           wait: float = 30.0) -> Findings:
    """The projections against a recount, then (unless `temporal` is None) the workflows against the cases."""
    findings = recount(app, database_url, wait)
    if temporal is None or temporal.address is None:
        return findings
    address = temporal.address

    async def workflows() -> tuple[list[str], int]:
        client = await connect(address, temporal.namespace, temporal.access)
        return await check_workflows(client, temporal.task_queue, findings.open_cases, app)

    try:
        differences, findings.workflows = asyncio.run(workflows())
    except RuntimeError as error:  # temporalio raises RuntimeError when it cannot connect
        findings.differences.append(f"workflows: Temporal at {address} did not answer ({error})")
        return findings
    findings.differences += differences
    return findings
