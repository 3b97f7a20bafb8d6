"""The projection runner: reads the application's notification log in pages, one transaction per page.

eventsourcing's own `ProjectionRunner` calls `process_event` once per event, one transaction each (about
1,650 events/s here); this runner uses the same parts (the application's recorder's table and its mapper,
the library's tracking recorder, its LISTEN/NOTIFY channel) but hands the writer a whole page with the page's
last position, and reads the next page while the writer commits the last.

Gaps. Notification ids are drawn from a sequence when a writer inserts, and become visible when it commits.
With `POSTGRES_ENABLE_DB_FUNCTIONS` (branchflow's setting) the recorder inserts without its table lock, so two
writers may commit out of id order, and a rolled-back insert leaves a hole for ever. A reader that moved past
a hole which a slower writer fills later would skip that writer's events. So at a hole the runner notes the
transactions then inserting into the events table and projects past the hole only when they have all ended
(every id below what it had read is then final); meanwhile it projects nothing beyond the hole.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import TopicError, resolve_topic
from psycopg import sql
from psycopg.rows import tuple_row
from tenacity import RetryCallState, Retrying, wait_exponential

from branchflow.domain.application import FormationApplication
from branchflow.domain.organization import Organization
from branchflow.projections.batch import Batch
from branchflow.projections.schema import TRACKING
from branchflow.projections.writer import CasesView, StalePosition

log = logging.getLogger(__name__)

# The runner that holds this session lock (on its listening connection) is the one that projects its event
# store; a second `run_forever` on it waits, and takes over when the first ends or dies (its connection, and the
# lock, go). Keyed (LEAD_LOCK_CLASS, hashtext(schema)): one lead per schema, so deployments on other schemas of the
# same database each have theirs. Not the pages' transaction lock, which `rebuild` and `catch_up` take.
LEAD_LOCK_CLASS = 0x62666C6C  # "bfll"
DEFAULT_PAGE_SIZE = 5000  # fewer, larger pages: less summary upkeep per event (measured best of 2k/5k/10k)
_LAST_ID = 2**63 - 1


@functools.cache
def _projected(topic: str) -> bool:
    """Whether the read models read events of this topic: only the Organization aggregate's (a case's).
    Receipts (answers to a repeated command), members' relations and credit code claims are left undecoded
    (a sixth of the city's notifications; BENCHMARKS.md "Catch-up after the periods"); they still move the
    position. A topic that does not resolve is handed on, so that the mapper fails on it as it did before."""
    try:
        found = resolve_topic(topic)
    except TopicError:
        return True
    return isinstance(found, type) and issubclass(found, Organization.Event)


@dataclass(frozen=True)
class _Hole:
    after: int  # the position the hole follows
    upto: int  # the largest id read before the writers below were noted
    writers: frozenset[str]  # virtual transaction ids inserting into the events table at that moment


class Projector:
    """Keeps the read models up to date: `catch_up()` once, or `run_forever()` until `stop()`."""

    def __init__(
        self, env: Mapping[str, str] | None = None, *, app: FormationApplication | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self._owns_app = app is None
        self.app = app or FormationApplication(env)
        recorder = self.app.recorder
        if not isinstance(recorder, PostgresApplicationRecorder) or not isinstance(self.app.factory, PostgresFactory):
            raise TypeError("the projections need the PostgreSQL event store (eventsourcing.postgres)")
        self.recorder = recorder
        self.datastore = self.app.factory.datastore
        self.page_size = page_size
        self.events_table = sql.Identifier(self.datastore.schema, recorder.events_table_name).as_string()
        self.view = CasesView(self.datastore, mapper=self.app.mapper, thresholds=self.app.thresholds,
                              application_name=self.app.name, events_table=self.events_table)
        self.view.create_table()
        self._hole: _Hole | None = None
        self._stopping = threading.Event()
        self.leading = False  # whether `run_forever` holds the lead (LEAD_LOCK_CLASS, its schema) now
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="projection-commit")

    # --- figures ----------------------------------------------------------------------------------

    def position(self) -> int:
        """The last notification id projected (0 before the first)."""
        return self.view.position() or 0

    def lag(self) -> int:
        """Events recorded and not yet projected."""
        with self.datastore.get_connection() as conn:
            row = conn.execute(f"SELECT count(*) AS n FROM {self.events_table} WHERE notification_id > %s",
                               (self.position(),)).fetchone()
        assert row is not None
        return int(row["n"])

    def wait(self, notification_id: int, timeout: float = 5.0) -> None:
        """Blocks until the event with this notification id is projected (TimeoutError after `timeout`)."""
        self.view.wait(self.app.name, notification_id, timeout=timeout)

    # --- running ----------------------------------------------------------------------------------

    def catch_up(self, timeout: float = 10.0) -> int:
        """Projects every event recorded so far and returns how many notifications it consumed. At a hole
        it waits up to `timeout` seconds for the writers still in flight, then returns (lag shows the rest)."""
        deadline, consumed = time.monotonic() + timeout, 0
        while True:
            done, at_head = self._run(deadline)
            consumed += done
            if at_head or time.monotonic() > deadline or self._stopping.is_set():
                return consumed

    def run_forever(self, poll_interval: float = 1.0) -> None:
        """Projects until `stop()`; wakes on the recorder's NOTIFY, or every `poll_interval` seconds.
        A failure is logged and retried with a pause that doubles from half a second up to a minute (the
        lag shows it meanwhile), and is half a second again after the next success."""
        listener: psycopg.Connection[Any] | None = None

        def project() -> None:
            nonlocal listener
            if listener is None:
                listener = self._listen()
                if not self._lead(listener, poll_interval):
                    return  # stopped while another runner led
            _, at_head = self._run(time.monotonic() + poll_interval)
            if at_head:
                self._wait_for_notify(listener, poll_interval)

        def failed(attempt: RetryCallState) -> None:
            nonlocal listener
            error = attempt.outcome.exception() if attempt.outcome is not None else None
            log.error("projection: failed; trying again in %.1f s", attempt.upcoming_sleep, exc_info=error)
            if listener is not None:
                listener.close()  # and with it the lead: taken again, or waited for, on the next try
                listener = None
                self.leading = False

        retrying = Retrying(wait=wait_exponential(multiplier=0.5, max=60), sleep=self._pause,
                            stop=lambda _: self._stopping.is_set(), before_sleep=failed,
                            retry_error_callback=lambda _: None)  # stopped while failing: just end
        try:
            while not self._stopping.is_set():
                retrying(project)
        finally:
            if listener is not None:
                listener.close()
            self.leading = False

    def _pause(self, seconds: float) -> None:
        """A pause between tries that `stop()` cuts short."""
        self._stopping.wait(seconds)

    def stop(self) -> None:
        """Ends `run_forever` and any catch-up under way after its current page; a stopped projector stays so."""
        self._stopping.set()

    def rebuild(self, timeout: float = 600.0) -> int:
        """Drops the read models and the position, then projects the whole log again from zero."""
        self.view.reset()
        self._hole = None
        consumed = self.catch_up(timeout=timeout)
        self.view.vacuum()
        return consumed

    def close(self) -> None:
        """Stops, and closes the application unless it was given."""
        self.stop()
        self._committer.shutdown()
        if self._owns_app:
            self.app.close()

    # --- pages --------------------------------------------------------------------------------------

    def _run(self, deadline: float) -> tuple[int, bool]:
        """Projects pages until the head (True) or until `deadline` at a hole, or `stop()` (False); returns
        the number of notifications committed too. Two stages overlap: while one page commits (in the
        committer thread, mostly waiting on the database), the next is read, decoded and prepared."""
        position = self.view.position()
        cursor, previous, pending = position or 0, None, None
        consumed, at_head = 0, False
        try:
            while not self._stopping.is_set():
                page = self._read(cursor)
                if page is None:  # at a hole
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
                    continue
                if not page:
                    at_head = True
                    break
                events = [(self.app.mapper.to_domain_event(n), n.id) for n in page if _projected(n.topic)]
                try:
                    batch = self.view.prepare(events, previous)
                except OriginatorVersionError:
                    # Rows newer than the page: another runner moved on meanwhile (else a real fault).
                    if pending is not None:
                        consumed, pending = consumed + pending.result(), None
                    if (found := self.view.position()) != position:
                        raise StalePosition(position, found) from None
                    raise
                if pending is not None:
                    consumed += pending.result()
                pending = self._committer.submit(self._commit, batch, position, page[-1].id, len(page))
                previous, position, cursor = batch, page[-1].id, page[-1].id
        except StalePosition as stale:
            log.info("projection: %s; reading again", stale)
            at_head = False
        finally:
            if pending is not None:
                try:
                    consumed += pending.result()
                except StalePosition as stale:
                    log.info("projection: %s; reading again", stale)
                    at_head = False
        return consumed, at_head

    def _commit(self, batch: Batch, expected: int | None, position: int, size: int) -> int:
        self.view.commit(batch, expected, position)
        return size

    def _select(self, after: int, upto: int | None = None) -> list[Notification]:
        """The recorder's `select_notifications`, with binary rows: about half its cost per notification."""
        with self.datastore.get_connection() as conn, conn.cursor(binary=True, row_factory=tuple_row) as curs:
            curs.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {self.events_table} WHERE notification_id > %s AND notification_id <= %s "
                "ORDER BY notification_id LIMIT %s", (after, upto or _LAST_ID, self.page_size), prepare=True)
            return [Notification(id=i, originator_id=o, originator_version=v, topic=t, state=s)
                    for i, o, v, t, s in curs.fetchall()]

    def _read(self, after: int) -> Sequence[Notification] | None:
        page = self._select(after)
        contiguous = next((i for i, n in enumerate(page) if n.id != after + 1 + i), len(page))
        if contiguous == len(page):
            self._hole = None
            return page
        if contiguous > 0:
            return page[:contiguous]
        if self._hole is None or self._hole.after != after:
            # The page was read before the writers are noted: every id up to page[-1] was drawn by then.
            self._hole = _Hole(after, page[-1].id, self._writers())
        if self._hole.writers & self._writers():
            return None
        upto, self._hole = self._hole.upto, None
        return self._select(after, upto)

    def _writers(self) -> frozenset[str]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT virtualtransaction FROM pg_locks WHERE locktype = 'relation' "
                "AND relation = %s::regclass AND mode = 'RowExclusiveLock' AND granted "
                "AND pid IS DISTINCT FROM pg_backend_pid()", (self.events_table,)).fetchall()
        return frozenset(str(r["virtualtransaction"]) for r in rows)

    def _listen(self) -> psycopg.Connection[Any]:
        settings = self.datastore.pool.kwargs
        assert isinstance(settings, dict)
        kwargs = {key: value for key, value in settings.items() if key != "row_factory"}
        conn = psycopg.connect(autocommit=True, **kwargs)
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.recorder.channel_name)))
        return conn

    def _lead(self, listener: psycopg.Connection[Any], poll_interval: float) -> bool:
        """Waits until this runner holds the lead; False if stopped first. Only `run_forever` leads: a
        `catch_up` or `rebuild` beside it stays safe through the pages' position check, as before."""
        self.leading = False
        while not self._stopping.is_set():
            row = listener.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                                   (LEAD_LOCK_CLASS, self.datastore.schema)).fetchone()
            if row is not None and row[0]:
                self.leading = True
                return True
            self._stopping.wait(poll_interval)
        return False

    def _wait_for_notify(self, listener: psycopg.Connection[Any], poll_interval: float) -> None:
        deadline = time.monotonic() + poll_interval
        while not self._stopping.is_set() and (left := deadline - time.monotonic()) > 0:
            for _ in listener.notifies(timeout=min(left, 0.2), stop_after=1):
                return


def lag(conn: psycopg.Connection[Any], application_name: str = FormationApplication.name) -> int:
    """Events recorded and not yet projected, read with a connection whose search path finds both the
    event store's and the projections' tables (for the API; `Projector.lag` is the same figure)."""
    with conn.cursor(row_factory=tuple_row) as cursor:  # whatever rows the connection makes
        row = cursor.execute(sql.SQL(
            "SELECT count(*) FROM {} WHERE notification_id > "
            "coalesce((SELECT max(notification_id) FROM {} WHERE application_name = %s), 0)").format(
                sql.Identifier(application_name.lower() + "_events"), sql.Identifier(TRACKING)),
            (application_name,)).fetchone()
    assert row is not None
    return int(row[0])
