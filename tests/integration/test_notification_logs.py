"""Several notification logs on one PostgreSQL, one per range of order-id hashes.

The step before a distributed PostgreSQL (docs/scaling.md): writers to
different logs share no lock, each log is projected in order by its own
position, and the read models come out exactly as with one log.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from api.bootstrap import open_ledger
from projections.setup import Projections, open_views
from projections.views import upstream
from store.recorder import LOCK_NAMESPACE, HorizonRecorder
from tests.integration.locks import wait_for_advisory_waiter
from tests.integration.test_projections import assert_projected, rows
from tests.integration.workload import run_workload

LOGS = 4


@pytest.fixture
def sharded_ledger(pg_settings, database_url):
    ledger = open_ledger(
        pg_settings.model_copy(update={"notification_logs": LOGS}), database_url
    )
    try:
        yield ledger
    finally:
        ledger.close()


def event_in_log(recorder: HorizonRecorder, log: int) -> StoredEvent:
    while recorder.log_of(originator_id := uuid.uuid4()) != log:
        pass
    return StoredEvent(
        originator_id=originator_id, originator_version=1, topic="test:x", state=b"{}"
    )


def test_a_writer_waits_only_for_writers_to_its_own_log(sharded_ledger, database_url):
    recorder = sharded_ledger.recorder
    assert isinstance(recorder, HorizonRecorder)
    log_zero = recorder.lock_keys(0)
    # The pool is left last: a failed assertion closes the holder connection,
    # releasing its lock, before the pool waits for the blocked insert.
    with (
        ThreadPoolExecutor(1) as pool,
        psycopg.connect(database_url, autocommit=True) as holder,
    ):
        holder.execute("SELECT pg_advisory_lock(%s, %s)", log_zero)
        # Another log's writer goes straight through.
        assert len(recorder.insert_events([event_in_log(recorder, 1)])) == 1
        blocked = pool.submit(recorder.insert_events, [event_in_log(recorder, 0)])
        wait_for_advisory_waiter(holder, "classid", LOCK_NAMESPACE, "log 0's writer")
        assert not blocked.done()
        holder.execute("SELECT pg_advisory_unlock(%s, %s)", log_zero)
        assert len(blocked.result(timeout=30)) == 1


def test_concurrent_writers_over_four_logs_project_exactly_and_rebuild_identically(
    sharded_ledger, database_url, schema
):
    projections = Projections(sharded_ledger, open_views(database_url, schema))
    try:
        projections.start()  # one runner per read model, stepping through each log

        def write(seed: int) -> list[str]:
            return run_workload(sharded_ledger, seed, orders=6, steps=60)

        with ThreadPoolExecutor(6) as pool:
            refs = [ref for refs in pool.map(write, range(6)) for ref in refs]
        projections.wait_for_head(timeout=60)
        projections.stop()

        per_log = dict(
            rows(
                database_url,
                schema,
                "SELECT log_id, max(notification_id) FROM ledger_events GROUP BY 1",
            )
        )
        assert sorted(per_log) == list(range(LOGS))  # every log has events
        for runner in projections.runners.values():
            assert {log: runner.view.position(log) for log in per_log} == per_log
        assert_projected(sharded_ledger, refs, database_url, schema)

        followed = {name: r.view.checksum() for name, r in projections.runners.items()}
        for runner in projections.runners.values():
            runner.rebuild()
        rebuilt = {name: r.view.checksum() for name, r in projections.runners.items()}
        assert rebuilt == followed
    finally:
        projections.close()


def test_each_log_has_its_own_tracking_row(sharded_ledger, database_url, schema):
    projections = Projections(sharded_ledger, open_views(database_url, schema))
    try:
        run_workload(sharded_ledger, 7, orders=8, steps=20)
        projections.catch_up()
        names = {
            row[0]
            for row in rows(
                database_url,
                schema,
                "SELECT application_name FROM balances_tracking"
                " WHERE application_name LIKE 'ledger%'",
            )
        }
        assert names == {upstream(log) for log in range(LOGS)}
        with psycopg.connect(database_url) as conn:
            tracked = conn.execute(
                sql.SQL(
                    "SELECT count(*) FROM {}.journal_tracking"
                    " WHERE application_name LIKE 'ledger%%'"
                ).format(sql.Identifier(schema))
            ).fetchone()
        assert tracked == (LOGS,)
    finally:
        projections.close()


def test_several_logs_need_the_horizon_recorder(pg_settings, database_url):
    settings = pg_settings.model_copy(
        update={"notification_logs": 2, "recorder": "table-lock"}
    )
    with pytest.raises(ValueError, match="horizon"):
        open_ledger(settings, database_url)
