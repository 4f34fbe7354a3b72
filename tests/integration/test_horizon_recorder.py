"""The horizon recorder: no table lock, and still no reader passes over an event."""

from __future__ import annotations

import contextlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from api.bootstrap import open_ledger
from domain.errors import ConcurrentModificationError
from store.recorder import LOCK_NAMESPACE, HorizonRecorder
from tests.builders import alloc, item
from tests.integration.locks import hold_commits, wait_for_advisory_waiter
from tests.integration.workload import run_workload

GATE = 4242  # a one-bigint advisory lock the test holds to keep a commit open


def stored(topic: str, originator_id: uuid.UUID | None = None) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id or uuid.uuid4(),
        originator_version=1,
        topic=topic,
        state=b"{}",
    )


def hold_commits_of(url: str, schema: str, topic: str) -> None:
    """Commits of ``topic`` rows wait for the GATE lock."""
    hold_commits(url, schema, GATE, topic)


def ids(notifications) -> list[int]:
    return [n.id for n in notifications]


def test_a_later_commit_stays_hidden_until_the_earlier_one_commits(
    pg_ledger, database_url, schema
):
    recorder = pg_ledger.recorder
    assert isinstance(recorder, HorizonRecorder)
    hold_commits_of(database_url, schema, "test:slow")
    # The pool is left last: a failed assertion closes the gate connection,
    # releasing its lock, before the pool waits for the held insert.
    with (
        ThreadPoolExecutor(1) as pool,
        psycopg.connect(database_url, autocommit=True) as gate,
    ):
        gate.execute("SELECT pg_advisory_lock(%s)", (GATE,))
        slow = pool.submit(recorder.insert_events, [stored("test:slow")])
        wait_for_advisory_waiter(gate, "objid", GATE, "the held commit")

        # Not blocked by the open transaction: no table lock.
        (fast_id,) = recorder.insert_events([stored("test:fast")])

        # The library's reader would hand out the later row now, and a
        # follower would move past the earlier one for good.
        unsafe = PostgresApplicationRecorder.select_notifications(
            recorder, start=1, limit=10
        )
        assert ids(unsafe) == [fast_id]
        assert ids(recorder.select_notifications(start=1, limit=10)) == []
        assert recorder.max_notification_id() is None
        # Lag still counts the committed event the held writer hides.
        assert recorder.max_committed_id() == fast_id
        assert recorder.oldest_committed_after(0, 0).id == fast_id

        gate.execute("SELECT pg_advisory_unlock(%s)", (GATE,))
        (slow_id,) = slow.result(timeout=30)

    assert slow_id < fast_id
    assert ids(recorder.select_notifications(start=1, limit=10)) == [slow_id, fast_id]
    assert recorder.max_notification_id() == fast_id


def test_a_refused_insert_leaves_no_lock_behind(pg_ledger, database_url):
    recorder = pg_ledger.recorder
    taken = stored("test:x")
    recorder.insert_events([taken])
    with pytest.raises(IntegrityError):
        recorder.insert_events([stored("test:x", taken.originator_id)])

    with psycopg.connect(database_url, autocommit=True) as conn:
        held = conn.execute(
            "SELECT count(*) FROM pg_locks "
            "WHERE locktype = 'advisory' AND classid = %s",
            (LOCK_NAMESPACE,),
        ).fetchone()
    assert held == (0,)
    assert len(recorder.insert_events([stored("test:y")])) == 1


def test_a_follower_sees_every_event_once_in_order_under_concurrent_writers(
    pg_ledger,
):
    recorder = pg_ledger.recorder
    pg_ledger.create_order("acct", "SHARED", "EUR", [item(1, 10**9)])
    pg_ledger.authorize("acct", "SHARED", "P", alloc((1, 10**9)))
    seen: list[int] = []
    writers_done = threading.Event()

    def follow() -> None:
        while True:
            last_round = writers_done.is_set()
            batch = recorder.select_notifications(
                start=(seen[-1] + 1) if seen else 1, limit=37
            )
            seen.extend(ids(batch))
            if last_round and not batch:
                return

    def write(seed: int) -> None:
        run_workload(pg_ledger, seed, orders=4, steps=40)
        for n in range(20):  # contended: every writer on one order
            with contextlib.suppress(ConcurrentModificationError):
                pg_ledger.capture("acct", "SHARED", "P", alloc((1, seed * 100 + n)))

    with ThreadPoolExecutor(9) as pool:
        follower = pool.submit(follow)
        try:
            list(pool.map(write, range(1, 9)))
        finally:
            seen_while_writing = len(seen)
            writers_done.set()
        follower.result(timeout=60)

    everything = PostgresApplicationRecorder.select_notifications(
        recorder, start=1, limit=100_000
    )
    assert seen == ids(everything)
    assert seen_while_writing > 0  # it followed the writers, not only caught up
    assert len(seen) > 300


def test_events_written_under_the_table_lock_stay_readable(pg_settings, database_url):
    old = open_ledger(
        pg_settings.model_copy(update={"recorder": "table-lock"}), database_url
    )
    try:
        assert not isinstance(old.recorder, HorizonRecorder)
        old.create_order("acct", "BEFORE", "EUR", [item(1, 500)])
    finally:
        old.close()

    new = open_ledger(pg_settings, database_url)
    try:
        assert isinstance(new.recorder, HorizonRecorder)
        new.authorize("acct", "BEFORE", "P", alloc((1, 500)))
        notifications = new.recorder.select_notifications(start=1, limit=100)
        assert [n.originator_version for n in notifications] == [1, 2, 3]
        assert new.get_order("acct", "BEFORE").line(1).balance("P").authorized == 500
    finally:
        new.close()


@pytest.mark.parametrize("where", ["another database", "the same database"])
def test_an_open_transaction_that_writes_no_events_holds_nothing_back(
    pg_ledger, server_url, database_url, where
):
    """SPEC §10: an idle BI session in a transaction must not freeze the reads."""
    recorder = pg_ledger.recorder
    url = server_url if where == "another database" else database_url
    with psycopg.connect(url) as idle:  # not autocommit: BEGIN and stay open
        idle.execute("SELECT pg_current_xact_id()")  # takes an xid, as writes do
        (taken,) = recorder.insert_events([stored("test:after-idle")])

        assert ids(recorder.select_notifications(start=1, limit=10)) == [taken]
        assert recorder.max_notification_id() == taken
        assert recorder.max_committed_id() == taken
        idle.rollback()
