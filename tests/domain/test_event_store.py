"""The application on a real PostgreSQL: events and snapshots round-trip, receipts, concurrency, atomicity.

Each test gets a fresh schema of the session's server (the `database_url` fixture of tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest

from branchflow.domain.actions import parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.errors import CommandIdReused, ConcurrentChange, DomainError, RuleViolation
from branchflow.domain.organization import Organization, organization_id
from branchflow.domain.receipt import Receipt, receipt_id
from branchflow.domain.rules import PartyOrgType
from branchflow.runtime.event_store import EventRecorder
from branchflow.runtime.postgres import postgres_env
from tests.conftest import both_servers

from .cases import (
    DAY,
    add_members,
    applicant,
    credit_code,
    memory_application,
    organization,
    register,
    registration,
    stamp,
    state,
    with_formal_branch,
)
from .every_event import VERBS

pytestmark = pytest.mark.slow
database_url = both_servers  # on the embedded PostgreSQL 18 and on Debian's stock 15 (a department's)

HEADCOUNT: dict[str, Any] = {"action": "report_headcount", "employees": 60, "above_scale": False}


@pytest.fixture
def store_env(database_url: str) -> Iterator[dict[str, str]]:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield {**postgres_env(database_url), "POSTGRES_SCHEMA": schema}
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def connect(store_env: dict[str, str]) -> Iterator[Callable[..., FormationApplication]]:
    """Opens application instances on the test's schema (each its own connection pool), closed after."""
    opened: list[FormationApplication] = []

    def open_app(**settings: str) -> FormationApplication:
        opened.append(FormationApplication(env={**store_env, **settings}))
        return opened[-1]

    yield open_app
    for app in opened:
        app.close()


@pytest.fixture
def app(connect: Callable[..., FormationApplication]) -> FormationApplication:
    return connect()


def replayed(app: FormationApplication, org_id: UUID) -> Organization:
    """The case from all its stored events, without snapshots."""
    org = None
    for e in app.events.get(org_id):
        org = e.mutate(org)  # type: ignore[attr-defined]
    assert isinstance(org, Organization)
    return org


def versions(app: FormationApplication, org_id: UUID) -> list[int]:
    return [h.sequence for h in app.history(org_id)]


class TestRoundTrip:
    def test_a_save_goes_in_through_branchflows_recorder_and_gets_its_notification_ids(
        self, app: FormationApplication
    ) -> None:
        assert isinstance(app.recorder, EventRecorder)
        org = Organization(stamp=stamp(), **registration().facts())
        org.report_headcount(70, False, stamp())
        recordings = app.save(org)
        assigned = [r.notification.id for r in recordings]
        assert [r.domain_event.originator_version for r in recordings] == [1, 2]
        assert [n.id for n in app.recorder.select_notifications(assigned[0], 10)] == assigned
        assert assigned[1] == assigned[0] + 1 and app.recorder.max_notification_id() == assigned[1]

    def test_every_kind_of_event_is_saved_and_read_back_equal(self, app: FormationApplication) -> None:
        orgs = [build() for build in VERBS.values()]
        app.save(*orgs)
        for org in orgs:
            assert state(app.case(org.id)) == state(org)
        kinds = {h.type for org in orgs for h in app.history(org.id)}
        assert kinds == set(VERBS)

    def test_a_long_case_is_snapshotted_and_reads_back_equal(self, app: FormationApplication) -> None:
        org = with_formal_branch(organization(employees=150), on=date(2023, 1, 5))
        add_members(org, 2, transferred=False)
        applicant(org)
        org.escalate("party_organization_required", "", date(2023, 12, 31), stamp(actor="system"))
        org.rate_five_goods({"member_team": True}, stamp())
        for employees in range(110):
            org.report_headcount(employees, employees % 2 == 0, stamp())
        app.save(org)
        assert app.snapshots is not None
        assert [s.originator_version for s in app.snapshots.get(org.id)] == [100]
        assert state(app.case(org.id)) == state(org) == state(replayed(app, org.id))
        later = app.perform(org.id, parse_action(HEADCOUNT), "organizer-1", DAY)
        assert later.version == org.version + 1 and state(app.case(org.id)) == state(later)

    def test_the_history_keeps_who_when_and_why(self, app: FormationApplication) -> None:
        org_id = register(app)
        app.perform(org_id, parse_action(HEADCOUNT | {"reason": "annual report", "occurred_on": "2024-02-01"}),
                    "organizer-9", DAY)
        entry = app.history(org_id)[-1]
        assert (entry.actor, entry.reason, entry.occurred_on) == ("organizer-9", "annual report", date(2024, 2, 1))
        assert entry.recorded_at.tzinfo is not None


class TestReceipts:
    def test_the_same_command_id_twice_writes_one_set_of_events_and_gives_the_same_answer(
        self, app: FormationApplication
    ) -> None:
        org_id = register(app)
        first = app.perform(org_id, parse_action(HEADCOUNT | {"command_id": "c-1"}), "o", DAY)
        again = app.perform(org_id, parse_action(HEADCOUNT | {"command_id": "c-1"}), "o", DAY)
        assert (again.id, again.version) == (first.id, first.version) == (org_id, 2)
        assert versions(app, org_id) == [1, 2]

    def test_a_retried_registration_writes_once(self, connect: Callable[..., FormationApplication]) -> None:
        one, other = connect(), connect()
        r = registration(command_id="register-1")
        first = one.register_organization(r, "organizer-1", DAY)
        again = other.register_organization(r, "organizer-1", DAY)
        assert (again.id, again.version) == (first.id, 1) and versions(one, first.id) == [1]

    def test_the_same_command_racing_itself_is_applied_once(
        self, connect: Callable[..., FormationApplication], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        apps = [connect(), connect()]
        org_id = register(apps[0])
        step = parse_action(HEADCOUNT | {"command_id": "c-race"})
        results = race(apps, monkeypatch, lambda a: a.perform(org_id, step, "o", DAY))
        assert [r.version for r in results] == [2, 2]  # the loser gets the winner's answer
        assert versions(apps[0], org_id) == [1, 2]


    def test_a_receipt_stored_before_ids_were_bound_to_requests_still_answers_its_retry(
        self, app: FormationApplication
    ) -> None:
        org_id = register(app)
        org = app.case(org_id)
        org.report_headcount(61, False, stamp())
        # The receipt as branchflow wrote it before issue 14: no class_version, no fingerprint, no refusal.
        old = Receipt(scope=str(org_id), command_id="c-old", versions={str(org_id): 2}, fingerprint=None,
                      refusal=None)
        stored = app.mapper.to_stored_event(old.collect_events()[0])
        state = json.loads(stored.state)
        for key in ("class_version", "fingerprint", "refusal"):
            state.pop(key, None)
        app.save(org)
        app.recorder.insert_events([dataclasses.replace(stored, state=json.dumps(state).encode())])
        receipt: Receipt = app.repository.get(receipt_id(str(org_id), "c-old"))
        assert (receipt.fingerprint, receipt.refusal, receipt.versions) == (None, None, {str(org_id): 2})
        again = app.perform(org_id, parse_action(HEADCOUNT | {"command_id": "c-old"}), "o", DAY)
        assert again.version == 2 and versions(app, org_id) == [1, 2]  # answered, not applied again

    def test_a_new_receipt_binds_its_id_and_a_refusal_spends_it(self, app: FormationApplication) -> None:
        org_id = register(app)
        app.perform(org_id, parse_action(HEADCOUNT | {"command_id": "c-2"}), "o", DAY)
        with pytest.raises(CommandIdReused):
            app.perform(org_id, parse_action(HEADCOUNT | {"command_id": "c-2", "employees": 61}), "o", DAY)
        with pytest.raises(CommandIdReused):
            app.perform(org_id, parse_action(HEADCOUNT | {"command_id": "c-2"}), "someone else", DAY)
        transfer = parse_action({"action": "transfer_in", "member_id": "P9", "command_id": "c-3"})
        with pytest.raises(DomainError):
            app.perform(org_id, transfer, "o", DAY)
        with pytest.raises(CommandIdReused):
            app.perform(org_id, parse_action(HEADCOUNT | {"command_id": "c-3"}), "o", DAY)
        assert versions(app, org_id) == [1, 2]


def race(apps: list[FormationApplication], monkeypatch: pytest.MonkeyPatch,
         command: Callable[[FormationApplication], Any]) -> list[Any]:
    """Runs the command on each app at once; both load the case before either saves."""
    barrier = threading.Barrier(len(apps))
    for a in apps:
        load = a.case

        def case_then_wait(
            org_id: UUID, version: int | None = None, load: Callable[..., Organization] = load
        ) -> Organization:
            org = load(org_id, version)
            if version is None:  # the load for the step, not the read of an earlier answer
                barrier.wait(timeout=20)
            return org

        monkeypatch.setattr(a, "case", case_then_wait)
    with ThreadPoolExecutor(len(apps)) as pool:
        futures = [pool.submit(command, a) for a in apps]
    outcomes: list[Any] = []
    for f in futures:
        error = f.exception()
        outcomes.append(error if error is not None else f.result())
    return outcomes


class TestConcurrency:
    def test_two_writers_of_one_case_one_wins_the_other_is_told_and_nothing_is_lost(
        self, connect: Callable[..., FormationApplication], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        apps = [connect(), connect()]
        org_id = register(apps[0])
        steps: list[dict[str, Any]] = [HEADCOUNT | {"employees": 70},
                                       {"action": "assign_instructor", "name": "Instructor Li"}]
        outcomes = race(apps, monkeypatch, lambda a: a.perform(org_id, parse_action(steps[apps.index(a)]), "o", DAY))
        losers = [o for o in outcomes if isinstance(o, ConcurrentChange)]
        winners = [o for o in outcomes if isinstance(o, Organization)]
        assert len(losers) == len(winners) == 1 and winners[0].version == 2
        assert versions(apps[0], org_id) == [1, 2]
        monkeypatch.undo()
        loser = apps[outcomes.index(losers[0])]
        retried = loser.perform(org_id, parse_action(steps[apps.index(loser)]), "o", DAY)
        assert retried.version == 3 and versions(apps[0], org_id) == [1, 2, 3]
        final = apps[0].case(org_id)
        assert final.employees == 70 and final.instructor == "Instructor Li"  # both steps are in


    def test_two_cases_transferring_one_relation_in_at_once_one_wins_on_postgresql(
        self, connect: Callable[..., FormationApplication], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Issue 18: both read the relation free; the store's (id, version) uniqueness lets one commit."""
        apps = [connect(), connect()]
        person = {"action": "add_member", "name": "Li Lei", "gender": "male", "birth_date": "1990-05-20",
                  "education": "bachelor", "status": "formal", "id_number": "440403199005201236"}
        cases = [register(apps[0]) for _ in apps]
        for org_id in cases:
            apps[0].perform(org_id, parse_action(person | {"relation_transferred": False}), "o", DAY)
        barrier = threading.Barrier(len(apps))
        for a in apps:
            def read_then_wait(key: str, read: Callable[[str], Any] = a.relation) -> Any:
                found = read(key)
                barrier.wait(timeout=20)
                return found

            monkeypatch.setattr(a, "relation", read_then_wait)
        transfer = parse_action({"action": "transfer_in", "member_id": "P1"})
        with ThreadPoolExecutor(len(apps)) as pool:
            futures = [pool.submit(a.perform, c, transfer, "o", DAY) for a, c in zip(apps, cases, strict=True)]
        outcomes = [f.exception() or f.result() for f in futures]
        monkeypatch.undo()
        assert sorted(type(o).__name__ for o in outcomes) == ["ConcurrentChange", "Organization"]
        winner = cases[[isinstance(o, Organization) for o in outcomes].index(True)]
        held = apps[0].relation("id/440403199005201236")
        assert held is not None and held.organization_id == str(winner)
        assert [apps[0].case(c).members["P1"].relation_transferred for c in cases] == [c == winner for c in cases]


class TestCreditCodeClaims:
    """A registration claims its credit code in the case's own transaction, as a correction claims the code it
    gives: a correction and a registration of one code, each having found it free, cannot both take it (the
    registration wrote no claim, so both were saved and two cases held one code)."""

    @pytest.mark.parametrize("first", ["registration", "correction"])
    def test_a_code_taken_between_the_check_and_the_save_is_refused_as_taken(
        self, connect: Callable[..., FormationApplication], monkeypatch: pytest.MonkeyPatch, first: str
    ) -> None:
        apps = [connect(), connect()]  # the API's two writers: the registration's and the case's activities
        other = register(apps[1])
        code = credit_code()
        new = registration(credit_code=code)
        commands: dict[str, Callable[[], Any]] = {
            "registration": lambda: apps[0].register_organization(new, "o", DAY),
            "correction": lambda: apps[1].perform(other, parse_action({
                "action": "correct_facts", "corrects": 1, "changes": {"credit_code": code}}), "o", DAY)}
        later = "correction" if first == "registration" else "registration"
        late = apps[1] if later == "correction" else apps[0]
        checked = late._claimant  # the later command's last read of who holds the code

        def check_then_let_the_other_in(*read: Any) -> Any:
            found = checked(*read)
            monkeypatch.undo()
            commands[first]()  # found the code free too, and saved
            return found

        monkeypatch.setattr(late, "_claimant", check_then_let_the_other_in)
        with pytest.raises(RuleViolation) as refused:
            commands[later]()
        assert refused.value.rule == "credit_code_taken"
        holder = apps[0].holder(code)
        assert holder == (other if first == "correction" else organization_id(code, "", ""))
        held = [o for o in (other, organization_id(code, "", "")) if has_case(apps[0], o)]
        assert [apps[0].case(o).credit_code for o in held].count(code) == 1


def has_case(app: FormationApplication, org_id: UUID) -> bool:
    return any(True for _ in app.recorder.select_events(org_id, limit=1))


class TestJointBranch:
    def test_forming_a_joint_branch_writes_every_organizations_event(self, app: FormationApplication) -> None:
        ids = [register(app, 2), register(app, 1)]
        app.form_joint_branch("Street joint branch", ids, PartyOrgType.BRANCH, stamp(), "joint-1")
        assert [app.history(i)[-1].type for i in ids] == ["JointBranchJoined"] * 2
        again = app.form_joint_branch("Street joint branch", ids, PartyOrgType.BRANCH, stamp(), "joint-1")
        assert [o.version for o in again] == [4, 3] and [len(app.history(i)) for i in ids] == [4, 3]

    def test_if_one_organization_fails_the_check_nothing_is_written_for_any(self, app: FormationApplication) -> None:
        ids = [register(app, 2), register(app, 1), register(app, 3)]
        with pytest.raises(RuleViolation, match="standalone_required"):
            app.form_joint_branch("Street joint branch", ids, PartyOrgType.BRANCH, stamp(), "joint-1")
        assert [len(app.history(i)) for i in ids] == [3, 2, 4]

    def test_if_one_organization_changed_meanwhile_nothing_is_written_for_any(
        self, connect: Callable[..., FormationApplication], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app, other = connect(), connect()
        ids = [register(app, 2), register(app, 1)]
        load = app.case

        def load_while_another_writes(org_id: UUID, version: int | None = None) -> Organization:
            org = load(org_id, version)
            if org_id == ids[1]:
                other.perform(org_id, parse_action(HEADCOUNT), "organizer-2", DAY)
            return org

        monkeypatch.setattr(app, "case", load_while_another_writes)
        with pytest.raises(ConcurrentChange):
            app.form_joint_branch("Street joint branch", ids, PartyOrgType.BRANCH, stamp(), None)
        assert [h.type for h in other.history(ids[0])][-1] == "MemberAdded"
        assert [h.type for h in other.history(ids[1])][-1] == "HeadcountReported"


def test_the_thresholds_come_from_the_settings(connect: Callable[..., FormationApplication]) -> None:
    app = connect(BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS="2")
    org_id = register(app, 2)
    org = app.perform(org_id, parse_action({"action": "request_formal_branch", "name": "Branch"}), "o", DAY)
    assert org.formal_request is not None


def test_a_case_registered_before_subtypes_reads_with_its_kinds_default() -> None:
    """Stored data is sacred: a version-1 Registered event (no subtype, no committee) is upcast on reading."""
    app = memory_application()
    economic, social = register(app), register(app, kind="social", registered=False)
    recorder = app.recorder
    for case_id in (economic, social):
        (stored,) = [s for s in recorder.select_events(case_id) if s.originator_version == 1]
        state = app.mapper.transcoder.decode(stored.state)
        for name in ("subtype", "responsible_committee", "class_version"):
            state.pop(name, None)
        old = dataclasses.replace(stored, state=app.mapper.transcoder.encode(state))
        upcast = app.mapper.to_domain_event(old)
        assert isinstance(upcast, Organization.Registered)
        assert upcast.responsible_committee is None
        assert upcast.subtype == ("private" if case_id == economic else "social_association")
        registered = upcast.mutate(None)
        assert registered is not None and registered.subtype == upcast.subtype


def test_a_snapshot_taken_before_subtypes_reads_with_its_kinds_default() -> None:
    state: dict[str, Any] = {"kind": "social"}
    Organization.upcast_v1_v2(state)
    assert state == {"kind": "social", "subtype": "social_association", "responsible_committee": None}
