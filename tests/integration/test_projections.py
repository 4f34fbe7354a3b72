"""Read models agree with the aggregates, lose nothing, and rebuild identically."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError
from psycopg import sql

from domain.application import OrderLedger
from domain.errors import LedgerError
from domain.risk import MaxIncreaseRiskCheck
from domain.values import Allocation
from projections import runner as runner_module
from projections import wakeup
from tests.builders import fixed_replacement, item
from tests.integration.workload import retried, run_workload


def rows(database_url: str, schema: str, query: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        return conn.execute(query).fetchall()


def assert_projected(
    ledger: OrderLedger, refs: list[str], database_url: str, schema: str
) -> None:
    lines = {
        (r[0], r[1]): r[2:]
        for r in rows(
            database_url,
            schema,
            "SELECT order_id, line_id, gross_amount, authorized, captured, refunded,"
            " released, outstanding_authorized, refundable FROM line_balances",
        )
    }
    payments = {
        (r[0], r[1]): r[2:]
        for r in rows(
            database_url,
            schema,
            "SELECT order_id, payment_id, authorized, captured, refunded, released,"
            " outstanding_authorized, refundable FROM payment_balances",
        )
    }
    summaries = {
        r[0]: r[1:]
        for r in rows(
            database_url,
            schema,
            "SELECT order_id, status, version, authorized, captured, refunded,"
            " released, refundable FROM order_summaries",
        )
    }
    journal: dict[tuple[str, int, str], dict[str, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for order_id, line_id, payment_id, kind, amount in rows(
        database_url,
        schema,
        "SELECT order_id, line_id, payment_id, kind, sum(amount) FROM journal"
        " GROUP BY 1, 2, 3, 4",
    ):
        journal[(order_id, line_id, payment_id)][kind] = int(amount)
    expected_lines = {}
    for ref in refs:
        order = ledger.get_order("acct", ref)
        for line in order.lines:
            b = line.balance()
            expected_lines[(ref, line.line_id)] = (
                line.item.gross_amount,
                b.authorized,
                b.captured,
                b.refunded,
                b.released,
                b.outstanding_authorized,
                order.refundable(line.line_id),
            )
            for pid, pb in line.payments.items():
                sums = journal.get((ref, line.line_id, pid), {})
                assert (
                    sums.get("authorization", 0),
                    sums.get("capture", 0),
                    sums.get("refund", 0),
                    sums.get("release", 0),
                ) == (pb.authorized, pb.captured, pb.refunded, pb.released), (
                    ref,
                    line.line_id,
                    pid,
                )
        for pid in order.payment_ids:
            t = order.totals(pid)
            assert payments[(ref, pid)] == (
                t.authorized,
                t.captured,
                t.refunded,
                t.released,
                t.outstanding_authorized,
                order.total_refundable(pid),
            )
        t = order.totals()
        assert summaries[ref] == (
            str(order.status),
            order.version,
            t.authorized,
            t.captured,
            t.refunded,
            t.released,
            order.total_refundable(),
        )
    assert lines == expected_lines


def test_a_random_workload_is_projected_exactly(
    pg_ledger, projections, database_url, schema
):
    refs = run_workload(pg_ledger, seed=7)
    projections.catch_up()
    assert_projected(pg_ledger, refs, database_url, schema)
    kinds = {
        r[0] for r in rows(database_url, schema, "SELECT DISTINCT kind FROM journal")
    }
    assert kinds == {"authorization", "capture", "refund", "release"}


def test_concurrent_writers_skip_nothing(pg_ledger, projections, database_url, schema):
    refs = [f"C{n}" for n in range(8)]
    for ref in refs:
        pg_ledger.create_order("acct", ref, "EUR", [item(1, 100_000), item(2, 50_000)])
    projections.start()  # following the log while the writers write

    acknowledged: list[str] = []
    rejected: list[str] = []

    def writer(n: int) -> None:
        for i in range(30):
            ref = refs[(n + i) % len(refs)]
            for command, amount in (
                (pg_ledger.authorize, 100),
                (pg_ledger.capture, 50),
            ):
                try:
                    retried(
                        partial(
                            command,
                            "acct",
                            ref,
                            f"P{n}",
                            [Allocation(1 + i % 2, amount)],
                        )
                    )
                except LedgerError as error:
                    rejected.append(error.code)
                else:
                    acknowledged.append(ref)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(writer, range(8)))
    projections.wait(pg_ledger.recorder.max_notification_id() or 0, timeout=60)
    projections.stop()
    assert_projected(pg_ledger, refs, database_url, schema)
    # one journal row per acknowledged command, none lost, none extra
    journal_rows = rows(database_url, schema, "SELECT count(*) FROM journal")[0][0]
    assert journal_rows == len(acknowledged)
    assert len(acknowledged) + len(rejected) == 2 * 8 * 30
    # conflicts are retried: nothing is refused (each capture follows its
    # writer's own authorization of 100)
    assert rejected == []


def test_rebuild_gives_identical_tables_and_redelivery_changes_nothing(
    pg_ledger, projections
):
    run_workload(pg_ledger, seed=11, orders=6, steps=60)
    projections.catch_up()
    before = {
        name: runner.view.checksum() for name, runner in projections.runners.items()
    }
    runner = projections.runners["balances"]
    with pytest.raises(IntegrityError):
        runner.view.process([], 1)  # a batch seen before
    assert runner.view.checksum() == before["balances"]
    for runner in projections.runners.values():
        assert runner.rebuild() > 0  # projected again from an emptied view
    after = {
        name: runner.view.checksum() for name, runner in projections.runners.items()
    }
    assert after == before
    empty_md5 = "d41d8cd98f00b204e9800998ecf8427e"
    assert all(empty_md5 not in checksum for checksum in after.values())


@pytest.mark.parametrize("prefetching", [True, False])
def test_more_orders_interleaved_than_the_folder_keeps_give_the_same_tables(
    pg_ledger, projections, monkeypatch, prefetching
):
    """Orders fall out of the folder's memory between their events (issue 24)."""
    run_workload(pg_ledger, seed=5, orders=12, steps=120)
    projections.catch_up()
    before = {
        name: runner.view.checksum() for name, runner in projections.runners.items()
    }
    loads: list[object] = []
    get = pg_ledger.repository.get
    monkeypatch.setattr(
        pg_ledger.repository, "get", lambda *a, **k: loads.append(a) or get(*a, **k)
    )
    monkeypatch.setattr(runner_module, "REBUILD_ORDERS", 3)
    for runner in projections.runners.values():
        runner.folder.capacity = 3
        runner.folder.prefetching = prefetching
        runner.batch_size = 40
        assert runner.rebuild() > 0
        assert runner.view.checksum() == before[runner.view.name]
    assert (loads == []) is prefetching  # one read a batch, not one an order


def test_lag_counts_what_is_not_yet_projected(pg_ledger, projections):
    pg_ledger.create_order("acct", "L1", "EUR", [item(1, 100)])
    lag = projections.lag()["journal"]
    assert lag.events_behind == 2
    assert lag.seconds_behind > 0
    projections.catch_up()
    assert projections.lag()["journal"].events_behind == 0


def test_a_small_batch_size_gives_the_same_result(pg_ledger, projections):
    run_workload(pg_ledger, seed=3, orders=4, steps=40)
    projections.catch_up()
    expected = projections.runners["journal"].view.checksum()
    runner = projections.runners["journal"]
    runner.batch_size = 7
    assert runner.rebuild() > 0
    assert runner.view.checksum() == expected


def test_a_following_runner_wakes_on_commit_not_on_its_poll_interval(
    pg_ledger, projections, monkeypatch
):
    """Proven asleep first: the runner is inside its 60 s wait before the commit."""
    asleep = threading.Event()

    class WatchedWakeup(wakeup.Wakeup):
        def _listening(self):
            conn = super()._listening()
            asleep.set()  # LISTENing, about to block for up to 60 s
            return conn

    monkeypatch.setattr(runner_module, "Wakeup", WatchedWakeup)
    runner = projections.runners["balances"]
    stop = threading.Event()
    follower = threading.Thread(target=runner.run, args=(stop, 60.0))  # 60 s idle
    follower.start()
    try:
        assert asleep.wait(timeout=30), "the runner never went idle"
        pg_ledger.create_order("acct", "WAKE", "EUR", [item(1, 100)])
        head = pg_ledger.recorder.max_notification_id() or 0
        deadline = time.monotonic() + 10  # far below the idle interval
        while runner.view.position() < head:  # only the follower projects
            assert time.monotonic() < deadline, "the runner slept through a commit"
    finally:
        stop.set()
        follower.join(timeout=70)


def test_a_replacement_after_a_partial_capture_is_projected_exactly(
    pg_ledger, projections, database_url, schema
):
    """SPEC §4.8: the captured line keeps its money in every read model."""
    pg_ledger.create_order("acct", "KEPT", "NOK", [item(1, 1000), item(2, 500)])
    pg_ledger.authorize("acct", "KEPT", "P", [Allocation(1, 1000), Allocation(2, 500)])
    pg_ledger.capture("acct", "KEPT", "P", [Allocation(1, 400)])
    pg_ledger.release("acct", "KEPT", "P", [Allocation(1, 100)])
    new = [item(0, 1000, item_id="SKU-1"), item(0, 300, item_id="NEW")]
    pg_ledger.replace_order(
        "acct", "KEPT", fixed_replacement(new, 1300, 1300), MaxIncreaseRiskCheck(0)
    )
    order = pg_ledger.get_order("acct", "KEPT")
    assert order.line(1).balance().captured == 400
    # SPEC §6: each line ends authorized for its new amount, what was released
    # before included: line 1 may capture 600 more, the new line 300.
    assert order.line(1).balance().outstanding_authorized == 600
    assert order.totals().outstanding_authorized == 900
    projections.catch_up()
    assert_projected(pg_ledger, ["KEPT"], database_url, schema)


def test_the_streamed_checksum_is_the_one_sql_would_give(pg_ledger, projections):
    run_workload(pg_ledger, seed=5, orders=4, steps=30)
    projections.catch_up()
    for runner in projections.runners.values():
        view = runner.view
        expected = []
        with view.datastore.transaction(commit=False) as curs:
            for name in view.tables:
                curs.execute(
                    sql.SQL(
                        "SELECT md5(coalesce(string_agg(t::text, E'\\n'"
                        " ORDER BY t::text), '')) AS sum FROM {} t"
                    ).format(view.table(name))
                )
                expected.append(f"{name}:{curs.fetchone()['sum']}")
        assert view.checksum() == " ".join(expected)
