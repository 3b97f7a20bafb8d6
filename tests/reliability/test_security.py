"""Security: tokens kept only as hashes and compared in constant time; an audit trail that no interface can
alter; no personal data (names, birth dates) in Temporal's search attributes or in any log."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid
from contextlib import closing
from datetime import date, timedelta
from typing import Any, cast

import psycopg
import pytest
from temporalio.client import Client

from branchflow.api.app import create_app
from branchflow.api.users import Presented, Role, authenticate
from branchflow.workflows.config import connect
from tests.api.conftest import Stack
from tests.api.test_case_path import registration
from tests.reliability.processes import Deployment
from tests.reliability.protocol import Command, history, member_step, send, signed_in

pytestmark = pytest.mark.slow
STREET = "440403125"


# --- tokens -------------------------------------------------------------------------------------------


def places_holding(conn: psycopg.Connection[Any], secret: str) -> list[str]:
    """Every table and column of the database whose rows hold `secret`, as text or as bytes."""
    found = []
    columns = conn.execute(
        "SELECT c.table_schema, c.table_name, c.column_name, c.data_type FROM information_schema.columns AS c "
        "JOIN information_schema.tables AS t USING (table_schema, table_name) WHERE t.table_type = 'BASE TABLE' "
        "AND c.table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
    for schema, table, column, kind in columns:
        name = f'"{schema}"."{table}"'
        if kind == "bytea":
            query = f'SELECT 1 FROM {name} WHERE position(convert_to(%s, \'UTF8\') IN "{column}") > 0 LIMIT 1'
        else:
            query = f'SELECT 1 FROM {name} WHERE strpos("{column}"::text, %s) > 0 LIMIT 1'
        if conn.execute(query, (secret,)).fetchone():
            found.append(f"{schema}.{table}.{column}")
    return found


def test_tokens_and_session_ids_are_stored_only_as_hashes(stack: Stack) -> None:
    made = stack.cli("user", "add", f"hash-{uuid.uuid4().hex[:6]}", "--role", "organizer", "--region", STREET)
    token = made.stdout.split("token: ")[1].strip()
    with closing(signed_in(stack.base_url, token)) as browser:  # and a session on the pages
        session = browser.cookies.get("branchflow_session")
    assert session
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        assert places_holding(conn, token) == [] and places_holding(conn, session) == []
        stored = conn.execute("SELECT token_hash FROM branchflow_users WHERE token_hash = %s",
                              (hashlib.sha256(token.encode()).digest(),)).fetchone()
        assert stored is not None  # what is kept is the digest


def test_a_token_is_checked_by_its_hash_and_a_constant_time_comparison(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = stack.token(Role.ORGANIZER, STREET)
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    with stack.client(token) as api:  # the web server runs in this process: the spy sees its comparisons
        assert api.get("/projections").status_code == 200
    digest = hashlib.sha256(token.encode()).digest()
    assert (digest, digest) in [(bytes(a), bytes(b)) for a, b in compared]
    assert all(token not in (a, b) for a, b in compared)  # never the token itself
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        assert authenticate(conn, Presented.of(token[:-1] + ("A" if token[-1] != "A" else "B"))) is None


# --- the audit trail ----------------------------------------------------------------------------------


def test_no_route_of_the_api_or_the_pages_can_change_or_delete_a_recorded_event() -> None:
    app = create_app(cast(Any, None))
    appending = {"/api/v1/organizations", "/api/v1/organizations/{org_id}/actions", "/api/v1/joint-branches",
                 "/cases/new", "/cases/{org_id}/actions", "/login", "/logout"}
    for route in app.routes:
        methods = set(getattr(route, "methods", None) or ())
        assert methods <= {"GET", "HEAD", "POST"}, (getattr(route, "path", route), methods)
        if "POST" in methods:
            assert getattr(route, "path", "") in appending  # each appends events, or signs in and out


def test_changing_methods_are_refused_on_every_path_and_history_only_grows_with_every_kind_of_step(
    stack: Stack,
) -> None:
    organizer, supervisor = stack.token(Role.ORGANIZER, STREET), stack.token(Role.SUPERVISOR, STREET)
    start = date.today() - timedelta(days=1000)

    def on(days: int) -> str:
        return (start + timedelta(days=days)).isoformat()

    person = {"gender": "female", "birth_date": "1990-04-05", "education": "bachelor"}
    steps: list[tuple[int, dict[str, Any], bool]] = [  # (day, step, taken by the supervisor)
        (1, {"action": "report_headcount", "employees": 150, "above_scale": True}, False),
        *[(2 + n, {**member_step(f"审计{n}"), "relation_transferred": n < 3}, False) for n in range(4)],
        (6, {"action": "transfer_in", "member_id": "P4"}, False),
        (7, {"action": "assign_instructor", "name": "指导员甲"}, False),
        (8, {"action": "withdraw_instructor"}, False),
        (9, {"action": "record_applicant", "name": "申请人乙", **person}, False),
        (10, {"action": "talk_to_applicant", "person_id": "P5"}, False),
        (11, {"action": "designate_activist", "person_id": "P5"}, False),
        (12, {"action": "record_applicant", "name": "申请人丙", **person}, False),
        (13, {"action": "withdraw_candidate", "person_id": "P6"}, False),
        (30, {"action": "request_formal_branch", "name": "审计测试党支部"}, False),
        (40, {"action": "approve_formal_branch"}, True),
        (50, {"action": "elect_branch_committee", "secretary": "审计0"}, False),
        (60, {"action": "form_youth_league"}, False),
        (70, {"action": "rate_five_goods", **dict.fromkeys(
            ("leadership_team", "member_team", "working_mechanism", "development_results", "mass_reputation"),
            True)}, True),
        (80, {"action": "check_ten_haves", **dict.fromkeys(
            ("plaque", "office_facilities", "activity_room", "e_education_equipment", "working_rules", "archives",
             "party_flag", "leader_portraits", "notice_board", "official_seal"), True)}, False),
        (200, {"action": "review_activist", "person_id": "P5"}, False),
        (400, {"action": "confirm_development_target", "person_id": "P5"}, False),
        (405, {"action": "record_political_review", "person_id": "P5", "result": "passed"}, False),
        (410, {"action": "record_training", "person_id": "P5", "started_on": on(410), "ended_on": on(410),
               "class_hours": 24}, False),
        (420, {"action": "admit_probationary", "person_id": "P5", "introducer_ids": ["P1", "P2"]}, False),
        (440, {"action": "approve_probationary", "person_id": "P5"}, True),
        (450, {"action": "correct_facts", "corrects": 1, "changes": {"employees": 160}}, False),
        (460, {"action": "correct_member", "member_id": "P1", "changes": {"education": "postgraduate"}}, False),
        (800, {"action": "convert_to_formal", "person_id": "P5"}, False),
        (810, {"action": "transfer_out", "member_id": "P4"}, False),
        (900, {"action": "close_case", "reason": "企业注销"}, False),
    ]
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        created = api.post("/organizations", json=registration(
            f"{STREET}001", founded_on=on(-100), occurred_on=on(0)))
        assert created.status_code == 201, created.text
        case = created.json()["id"]
        trail = history(api, case)
        for day, step, by_supervisor in steps:
            client = sup if by_supervisor else api
            if step["action"] == "correct_member":  # corrects the event that recorded P1, wherever it sits
                step = {**step, "corrects": next(e["sequence"] for e in trail if e["type"] == "MemberAdded")}
            answer = client.post(f"/organizations/{case}/actions", json={**step, "occurred_on": on(day)})
            assert answer.status_code == 200, (step, answer.text)
            longer = history(api, case)
            assert longer[:len(trail)] == trail and len(longer) > len(trail), step["action"]  # appended only
            trail = longer
            for method in ("DELETE", "PUT", "PATCH"):
                for path in (f"/organizations/{case}", f"/organizations/{case}/history",
                             f"/organizations/{case}/actions"):
                    assert client.request(method, path).status_code == 405
        assert history(api, case) == trail
        assert {e["type"] for e in trail} >= {"FactsCorrected", "MemberCorrected", "CaseClosed"}
        assert trail[0]["data"]["employees"] == 120  # the registration still says what it said
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        before = conn.execute("SELECT * FROM branchflow_events ORDER BY notification_id").fetchall()
        for command in (("rebuild-projections",), ("verify", "--wait", "60")):  # operators' commands
            done = stack.cli(*command)
            assert done.returncode == 0, done.stdout + done.stderr
        after = conn.execute("SELECT * FROM branchflow_events ORDER BY notification_id").fetchall()
    assert after[:len(before)] == before


# --- personal data -------------------------------------------------------------------------------------

BIRTH_DATE = "1971-03-29"


async def search_attributes_and_memos(client: Client, query: str) -> list[str]:
    found = []
    async for listed in client.list_workflows(query):
        described = await client.get_workflow_handle(listed.id, run_id=listed.run_id).describe()
        found.append(f"{listed.id} {described.search_attributes} {await described.memo()}")
    return found


def test_no_name_or_birth_date_reaches_search_attributes_or_any_log(
    running: Deployment, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    marker = uuid.uuid4().hex[:6]
    names = [f"隐私{marker}{n}" for n in range(3)]
    with running.client(running.token(Role.ORGANIZER, STREET)) as api:
        case = send(api, Command("/organizations", registration(f"{STREET}002"))).final.body["id"]
        path = f"/organizations/{case}/actions"
        assert send(api, Command(path, {**member_step(names[0]), "birth_date": BIRTH_DATE})).applied
        applicant = {"action": "record_applicant", "name": names[1], "gender": "male", "birth_date": BIRTH_DATE,
                     "education": "bachelor"}
        assert send(api, Command(path, applicant)).applied  # a development workflow of its own starts
        assert send(api, Command(path, {"action": "talk_to_applicant", "person_id": "P2"})).applied
        again = send(api, Command(path, {"action": "talk_to_applicant", "person_id": "P2"}))
        assert again.final.status == 409  # refused in the workflow
        young = send(api, Command(path, {**member_step(names[2]), "birth_date": "2015-01-01"}))
        assert young.final.body.get("rule") == "member_under_18"  # refused by the domain, in the activity
        running.worker.kill()  # a crash, and what the parts log about it
        running.worker.start()
        assert send(api, Command(path, {"action": "assign_instructor", "name": f"指导员{marker}"})).applied

    async def attributes() -> list[str]:
        client = await connect(running.temporal_address)
        return await search_attributes_and_memos(client, f"WorkflowId STARTS_WITH 'organization-{case}'")

    described = asyncio.run(attributes())
    assert len(described) >= 2  # the case's workflow and the applicant's development workflow
    logs = running.logs() + (running.root / "temporal" / "temporal.log").read_text(errors="replace")
    logs += (running.root / "postgres" / "postgres.log").read_text(errors="replace") + caplog.text
    for text in (*names, f"指导员{marker}", BIRTH_DATE):
        assert not [d for d in described if text in d], f"{text} in search attributes or memo"
        assert text not in logs, f"{text} in a log"
