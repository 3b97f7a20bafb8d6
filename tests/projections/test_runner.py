"""The projection runner: exactly once through crashes, concurrent runners and writers still in flight;
a rebuild gives the very tables that incremental processing gave; the lag is visible."""

from __future__ import annotations

import contextlib
import json
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic

from bench.synthetic import CityBuilder
from branchflow.domain.application import FormationApplication
from branchflow.domain.credit_codes import CreditCodeClaim
from branchflow.domain.errors import DomainError
from branchflow.domain.organization import Organization
from branchflow.domain.receipt import BatchReceipt, Receipt
from branchflow.domain.registration import Registration
from branchflow.domain.relations import Relation
from branchflow.projections import Projector, lag, schema
from branchflow.projections.batch import SNAPSHOT_EVERY
from branchflow.projections.rows import case_row, case_row_from_db
from branchflow.projections.runner import _projected
from branchflow.projections.schema import TABLES
from branchflow.projections.summaries import summaries_disagree
from branchflow.projections.writer import CasesView
from tests.conftest import both_servers
from tests.domain.cases import DAY, add_members, facts, organization, stamp

from .conftest import fresh_schema, save

# The runner's transactions, advisory lock and rebuilds on the embedded PostgreSQL 18 and on Debian's stock 15 (a
# department's): the one projection module run on both (conftest.py says why).
database_url = both_servers


def tables(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {name: sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr) for name in TABLES}


def city(app: FormationApplication, cases: int, seed: int = 1) -> None:
    save(app, (org for batch in CityBuilder(seed=seed).batches(cases) for org in batch))


def later_steps(app: FormationApplication, seed: int, count: int) -> None:
    """Random further steps on random cases: facts, members, coverage, corrections, closing."""
    rng = random.Random(seed)
    ids = [UUID(str(n.originator_id)) for n in app.recorder.select_notifications(start=1, limit=10**6)
           if n.originator_version == 1 and "Organization" in n.topic]
    steps: list[Callable[[Organization], object]] = [
        lambda o: o.report_headcount(rng.randrange(0, 300), rng.random() < 0.5, stamp()),
        lambda o: add_members(o, rng.randrange(1, 4)),
        lambda o: o.transfer_out(next(m for m in o.members.values() if m.present).id, stamp()),
        lambda o: o.assign_instructor("Instructor Zhao", stamp()),
        lambda o: o.affiliate("Village branch", stamp()),
        lambda o: o.correct_facts(1, {"region_code": f"4404{rng.randrange(1, 11):02d}001001"}, stamp()),
        lambda o: o.close_case(stamp()),
    ]
    changed = []
    for case_id in rng.sample(ids, count):
        org = app.case(case_id)
        for step in rng.sample(steps, 2):
            with contextlib.suppress(DomainError, StopIteration):
                step(org)
        changed.append(org)
    save(app, changed, per_save=50)


class TestLag:
    def test_the_lag_counts_the_events_recorded_and_not_yet_projected(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        orgs = [organization(), organization()]
        add_members(orgs[0], 2)
        save(app, orgs)
        assert projector.lag() == 4 and lag(conn) == 4
        assert projector.catch_up() == 4
        assert projector.lag() == 0 and lag(conn) == 0
        add_members(orgs[1], 3)
        save(app, orgs[1:])
        assert projector.lag() == 3 and lag(conn) == 3

    def test_events_of_other_aggregates_move_the_position_on(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        registration = Registration.model_validate({**facts(), "command_id": "import-row-1"})
        # Saves a receipt and the credit code's claim too.
        app.register_organization(registration, "organizer-1", stamp().occurred_on)
        projector.catch_up()
        assert projector.position() == app.recorder.max_notification_id() == 3
        assert conn.execute("SELECT count(*) FROM cases").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM audit").fetchone() == (1,)


def test_every_event_of_a_case_is_decoded_and_those_of_the_other_aggregates_are_not() -> None:
    """The runner decodes only what the read models read (runner._projected): an Organization event left out
    would vanish from every table without an error (ApplicantRecorded, declared in member_development.py, is one
    of Organization's too)."""
    of_a_case = [v for v in vars(Organization).values() if isinstance(v, type) and issubclass(v, DomainEvent)]
    assert len(of_a_case) > 40 and Organization.ApplicantRecorded in of_a_case
    assert all(_projected(get_topic(e)) for e in of_a_case)
    others: list[type] = [e for a in (Receipt, BatchReceipt, CreditCodeClaim, Relation) for e in (a.Event, a.Created)]
    assert not any(_projected(get_topic(e)) for e in others)

class TestRebuild:
    def test_small_pages_over_time_and_a_rebuild_from_zero_give_the_same_tables(
        self, app: FormationApplication, conn: psycopg.Connection[Any]
    ) -> None:
        incremental = Projector(app=app, page_size=7)  # pages split cases' events across transactions
        city(app, 150)
        incremental.catch_up()
        for round_ in range(3):
            later_steps(app, seed=round_, count=40)
            incremental.catch_up()
        assert incremental.lag() == 0
        before = tables(conn)
        assert summaries_disagree(conn) == []

        rebuilt = Projector(app=app, page_size=5000)
        assert rebuilt.rebuild() == app.recorder.max_notification_id()
        assert tables(conn) == before
        incremental.close()
        rebuilt.close()


    def test_a_new_case_in_date_order_gives_the_same_tables_in_one_page_as_one_event_a_page(
        self, app: FormationApplication, conn: psycopg.Connection[Any]
    ) -> None:
        """In one page the new case takes the one per-event pass (`batch._in_date_order`): its snapshot and its
        periods, a date's rows after its last event, are those of pages of one event, each extending the last."""
        org = organization(region_code="440403009001")
        for n in range(SNAPSHOT_EVERY + 4):
            add_members(org, 1, on=DAY + timedelta(days=n // 3))  # three members a day
        save(app, [org])
        one_a_page = Projector(app=app, page_size=1)
        one_a_page.catch_up()
        before = tables(conn)
        whole = Projector(app=app)
        assert whole.rebuild() == SNAPSHOT_EVERY + 5
        assert tables(conn) == before
        assert len(before["case_periods"]) == (SNAPSHOT_EVERY + 4 + 2) // 3
        assert [r[1] for r in before["case_states"]] == [SNAPSHOT_EVERY]
        one_a_page.close()
        whole.close()

    def test_a_rebuild_while_a_runner_runs_ends_with_the_same_tables(
        self, app: FormationApplication, env: dict[str, str], conn: psycopg.Connection[Any]
    ) -> None:
        city(app, 100)
        running = Projector(env, page_size=20)
        thread = threading.Thread(target=running.run_forever, kwargs={"poll_interval": 0.2})
        thread.start()
        rebuilder = Projector(env)
        try:
            rebuilder.rebuild()
            later_steps(app, seed=9, count=20)
            running.wait(app.recorder.max_notification_id() or 0, timeout=30)
        finally:
            running.close()
            thread.join(10)
        after = tables(conn)
        assert summaries_disagree(conn) == [] and rebuilder.lag() == 0
        assert rebuilder.rebuild() > 0 and tables(conn) == after
        rebuilder.close()


    def test_a_long_case_is_taken_up_from_its_last_snapshot_and_the_events_after_it(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        org = organization()
        for employees in range(44):
            org.report_headcount(employees, False, stamp())
        save(app, [org])
        Projector(app=app, page_size=7).catch_up()
        assert conn.execute("SELECT version FROM case_states").fetchall() == [(40,)]
        later = app.case(org.id)
        add_members(later, 2)
        save(app, [later])
        projector.catch_up()  # loads version 40 from case_states, then events 41 to 45
        with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            row = case_row_from_db(cur.execute("SELECT * FROM cases").fetchone() or {})
        assert row == case_row(app.case(org.id), app.thresholds) and row.version == 47

    def test_read_models_of_another_layout_are_made_anew_and_rebuilt(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        save(app, [organization()])
        projector.catch_up()
        conn.execute("ALTER TABLE cases DROP COLUMN instructor")  # as an older version of this code made it
        conn.execute("COMMENT ON TABLE cases IS 'an older layout'")
        upgraded = Projector(app=app)
        assert upgraded.position() == 0 and upgraded.lag() == 1
        upgraded.catch_up()
        assert conn.execute("SELECT instructor FROM cases").fetchall() == [(None,)]  # the column is back, row rebuilt
        upgraded.close()


    def test_read_models_counted_by_an_earlier_revision_of_the_rules_are_rebuilt(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        """The same tables, counted as older code counted: rows it would keep wrong are made again."""
        save(app, [organization()])
        projector.catch_up()
        earlier = schema.LAYOUT.replace(f"counting {schema.COUNTING_REVISION}",
                                        f"counting {schema.COUNTING_REVISION - 1}")
        assert earlier != schema.LAYOUT
        conn.execute(f"COMMENT ON TABLE cases IS '{earlier}'")
        conn.execute("UPDATE cases SET formed = NOT formed")  # what the old rule counted, say
        upgraded = Projector(app=app)
        assert upgraded.position() == 0 and upgraded.lag() == 1
        upgraded.catch_up()
        assert conn.execute("SELECT formed FROM cases").fetchall() == [(False,)]
        upgraded.close()


class TestExactlyOnce:
    def test_a_failure_between_the_rows_and_the_commit_leaves_no_trace(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        city(app, 30)
        projector.catch_up()
        before, position = tables(conn), projector.position()
        later_steps(app, seed=5, count=10)

        def crash(*_: Any) -> None:
            raise RuntimeError("the power went out")

        monkeypatch.setattr(CasesView, "_insert_tracking", crash)
        with pytest.raises(RuntimeError, match="power"):
            projector.catch_up()
        assert (tables(conn), projector.position()) == (before, position)

        monkeypatch.undo()
        projector.catch_up()
        after = tables(conn)
        assert projector.rebuild() > 0 and tables(conn) == after

    def test_a_runner_killed_in_the_middle_of_a_transaction_and_restarted_double_counts_nothing(
        self, app: FormationApplication, env: dict[str, str], conn: psycopg.Connection[Any]
    ) -> None:
        city(app, 200)
        child = subprocess.Popen([sys.executable, "-c", KILLED_RUNNER, json.dumps(env)], stdout=subprocess.PIPE,
                                 text=True)
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "rows written, not committed"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        projector = Projector(app=app, page_size=50)
        assert projector.position() == 100  # the two pages committed before the kill
        projector.catch_up()
        after = tables(conn)
        assert summaries_disagree(conn) == []
        assert projector.rebuild() > 0 and tables(conn) == after
        projector.close()

    def test_two_runners_at_once_double_count_nothing(
        self, app: FormationApplication, env: dict[str, str], conn: psycopg.Connection[Any]
    ) -> None:
        city(app, 150)
        runners = [Projector(env, page_size=size) for size in (13, 29)]
        errors: list[BaseException] = []

        def run(runner: Projector) -> None:
            try:
                runner.catch_up()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=run, args=(r,)) for r in runners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == [] and runners[0].lag() == 0
        both = tables(conn)
        assert runners[0].rebuild() > 0 and tables(conn) == both
        for runner in runners:
            runner.close()


# Projects pages of 50 notifications; in the third page's transaction, after every row is written and
# before the position and the commit, it says so and waits to be killed.
KILLED_RUNNER = """
import json, sys, time
from branchflow.projections import Projector
from branchflow.projections.writer import CasesView

insert_tracking, calls = CasesView._insert_tracking, []

def hang_on_the_third(self, curs, tracking):
    calls.append(tracking.application_name == "branchflow")
    if calls.count(True) == 3:
        print("rows written, not committed", flush=True)
        time.sleep(60)
    insert_tracking(self, curs, tracking)

CasesView._insert_tracking = hang_on_the_third
Projector(json.loads(sys.argv[1]), page_size=50).catch_up()
"""


class TestWritersInFlight:
    def test_an_uncommitted_writer_holds_the_projection_at_its_hole_until_it_commits(
        self, app: FormationApplication, projector: Projector, env: dict[str, str], database_url: str,
        conn: psycopg.Connection[Any],
    ) -> None:
        save(app, [organization()])
        projector.catch_up()
        slow, quick = organization(name="slow writer"), organization(name="quick writer")
        with psycopg.connect(database_url) as writer:  # a transaction that draws an id and waits
            insert_uncommitted(writer, app, env, slow)
            save(app, [quick])  # a later id, committed first
            projector.catch_up(timeout=0.3)
            assert names(conn) == ["Organization"] and projector.lag() == 1
            writer.commit()
        projector.catch_up()
        assert names(conn) == ["Organization", "quick writer", "slow writer"] and projector.lag() == 0

    def test_a_rolled_back_writer_leaves_a_hole_for_ever_and_the_projection_passes_it(
        self, app: FormationApplication, projector: Projector, env: dict[str, str], database_url: str,
        conn: psycopg.Connection[Any],
    ) -> None:
        with psycopg.connect(database_url) as writer:
            insert_uncommitted(writer, app, env, organization(name="never"))
            writer.rollback()
        save(app, [organization(name="after the hole")])
        assert projector.catch_up(timeout=5) == 1
        assert names(conn) == ["after the hole"] and projector.position() == 2


def insert_uncommitted(writer: psycopg.Connection[Any], app: FormationApplication, env: dict[str, str],
                       org: Any) -> None:
    stored = app.mapper.to_stored_event(org.collect_events()[0])
    writer.execute(
        f'INSERT INTO "{env["POSTGRES_SCHEMA"]}".branchflow_events (originator_id, originator_version, topic, state) '
        "VALUES (%s, %s, %s, %s)", (stored.originator_id, stored.originator_version, stored.topic, stored.state))


def names(conn: psycopg.Connection[Any]) -> list[str]:
    return [n.split(" ")[0] if n.startswith("Organization") else n
            for (n,) in conn.execute("SELECT name FROM cases ORDER BY name").fetchall()]


class TestRunningForever:
    def test_the_runner_wakes_on_new_events_and_stops_when_asked(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        thread = threading.Thread(target=projector.run_forever, kwargs={"poll_interval": 30})
        thread.start()
        try:
            recordings = app.save(organization(name="woken"))
            projector.wait(recordings[-1].notification.id, timeout=5)
            assert names(conn) == ["woken"]
        finally:
            projector.stop()
            thread.join(5)
        assert not thread.is_alive()

    def test_a_second_runner_waits_while_the_first_leads_and_takes_over_when_it_ends(
        self, app: FormationApplication, env: dict[str, str], conn: psycopg.Connection[Any]
    ) -> None:
        first, second = Projector(env), Projector(env)
        threads = [threading.Thread(target=p.run_forever, kwargs={"poll_interval": 0.1}) for p in (first, second)]
        threads[0].start()
        try:
            first.wait(app.save(organization(name="led by the first"))[-1].notification.id, timeout=10)
            assert first.leading
            threads[1].start()
            select, reads = second._select, []

            def counted(after: int, upto: int | None = None) -> Any:
                reads.append(after)  # a waiting runner reads nothing
                return select(after, upto)

            second._select = counted  # type: ignore[method-assign]
            first.wait(app.save(organization(name="still the first"))[-1].notification.id, timeout=10)
            threading.Event().wait(0.5)
            assert not second.leading and reads == []
            first.stop()
            threads[0].join(10)
            second.wait(app.save(organization(name="taken over"))[-1].notification.id, timeout=10)
            assert second.leading and reads and names(conn) == ["led by the first", "still the first", "taken over"]
        finally:
            for projector, thread in zip((first, second), threads, strict=True):
                projector.close()
                if thread.ident is not None:  # started
                    thread.join(10)
        assert not any(t.is_alive() for t in threads)

    def test_runners_of_two_schemas_of_one_database_each_lead_their_own(
        self, app: FormationApplication, env: dict[str, str], database_url: str
    ) -> None:
        """The lead is one per event store (schema), not per database: a runner on `public` kept the runners of
        two other schemas waiting (the scale-out review)."""
        with fresh_schema(database_url) as other_env:
            other_app = FormationApplication(other_env)
            runners = [Projector(env), Projector(other_env)]
            threads = [threading.Thread(target=p.run_forever, kwargs={"poll_interval": 0.1}) for p in runners]
            for thread in threads:
                thread.start()
            try:
                for runner, saving in zip(runners, (app, other_app), strict=True):
                    runner.wait(saving.save(organization(name="its own"))[-1].notification.id, timeout=10)
                assert all(runner.leading for runner in runners)
            finally:
                for runner, thread in zip(runners, threads, strict=True):
                    runner.close()
                    thread.join(10)
                other_app.close()
        assert not any(t.is_alive() for t in threads)

    def test_a_failing_runner_tries_again_after_growing_pauses_and_then_projects(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        select, failures, pauses = projector._select, [psycopg.OperationalError("the server went away")] * 3, []

        def flaky(after: int, upto: int | None = None) -> Any:
            if failures:
                raise failures.pop()
            return select(after, upto)

        def pause(seconds: float) -> None:
            pauses.append(seconds)

        monkeypatch.setattr(projector, "_select", flaky)
        monkeypatch.setattr(projector, "_pause", pause)
        recordings = app.save(organization(name="after the outage"))
        thread = threading.Thread(target=projector.run_forever, kwargs={"poll_interval": 0.2})
        thread.start()
        try:
            projector.wait(recordings[-1].notification.id, timeout=10)
            assert names(conn) == ["after the outage"]
        finally:
            projector.stop()
            thread.join(5)
        assert pauses == [0.5, 1.0, 2.0] and not thread.is_alive()


def test_a_case_with_twice_the_snapshot_interval_of_events_in_one_batch_keeps_one_state(
    app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any],
) -> None:
    """The demo's long-lived branches (elections every term) reach 40 events before their first projection."""
    org = organization(region_code="440403009001")
    add_members(org, 2 * SNAPSHOT_EVERY + 1)
    save(app, [org])
    projector.catch_up()
    assert conn.execute("SELECT version FROM case_states WHERE id = %s", (org.id,)).fetchall() == [
        (2 * SNAPSHOT_EVERY,)]  # the batch's latest state at the interval
    assert conn.execute("SELECT formal_members FROM cases WHERE id = %s", (org.id,)).fetchone() == (
        2 * SNAPSHOT_EVERY + 1,)
