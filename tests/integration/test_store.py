"""Orders round-trip through the PostgreSQL event store, snapshots included."""

from __future__ import annotations

from decimal import Decimal
from functools import reduce

import psycopg
import pytest
from psycopg import sql

from api.bootstrap import open_ledger
from api.settings import Settings
from domain.application import OrderLedger
from domain.money_errors import OverCaptureError
from domain.order import Order
from tests.builders import alloc, item, state_of


def replayed_without_snapshots(ledger: OrderLedger, order: Order) -> Order:
    events = list(ledger.events.get(order.id))
    return reduce(lambda agg, event: event.mutate(agg), events, None)  # type: ignore[arg-type,return-value]


def test_an_order_round_trips_through_postgres(pg_ledger, pg_settings, database_url):
    pg_ledger.create_order("acct", "O1", "NOK", [item(1, 39800, tax=7960, quantity=2)])
    pg_ledger.authorize("acct", "O1", "PID_123", alloc((1, 39800)))
    pg_ledger.capture("acct", "O1", "PID_123", alloc((1, 39800)), reference="C1")
    pg_ledger.add_items("acct", "O1", [item(2, -39800, reverses=1), item(3, 39800)])

    reopened = open_ledger(pg_settings, database_url)
    try:
        order = reopened.get_order("acct", "O1")
        events = reopened.order_events("acct", "O1")
    finally:
        reopened.close()
    assert [type(e).__name__ for e in events] == [
        "Opened",
        "ItemAdded",
        "Authorized",
        "Captured",
        "ItemReversed",
        "ItemAdded",
    ]
    assert order.line(1).item.quantity == Decimal(2)
    assert order.line(1).item.tax_lines[0].amount == 7960
    assert order.line(2).item.reverses == 1
    assert order.line(1).balance("PID_123").captured == 39800
    assert state_of(order) == state_of(pg_ledger.get_order("acct", "O1"))


def test_events_are_rows_of_the_ledger_table(pg_ledger, pg_settings, database_url):
    pg_ledger.create_order("acct", "O1", "EUR", [item(1, 100)])
    query = sql.SQL(
        "SELECT originator_version, topic FROM {}.ledger_events"
        " ORDER BY notification_id"
    ).format(sql.Identifier(pg_settings.db_schema))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(query).fetchall()
    assert [v for v, _ in rows] == [1, 2]
    assert rows[0][1].endswith("Order.Opened")


def test_long_orders_are_snapshotted_and_read_the_same(pg_ledger):
    pg_ledger.create_order(
        "acct", "O1", "SEK", [item(i, 100 + i) for i in range(1, 41)]
    )
    for line_id in range(1, 6):  # versions 42-46
        pg_ledger.authorize("acct", "O1", "P", alloc((line_id, 100 + line_id)))
    for line_id in range(1, 6):  # 47-51: referenced captures end up in the snapshot
        pg_ledger.capture(
            "acct", "O1", "P", alloc((line_id, 100)), reference=f"I{line_id}"
        )
    pg_ledger.refund("acct", "O1", "P", [], capture_reference="I1")
    order = pg_ledger.get_order("acct", "O1")
    assert pg_ledger.snapshots is not None
    versions = [s.originator_version for s in pg_ledger.snapshots.get(order.id)]
    assert versions == [50]
    assert order.captures["I1"].refunds == 1
    assert state_of(order) == state_of(replayed_without_snapshots(pg_ledger, order))


def test_reads_as_of_a_version_and_a_time(pg_ledger):
    pg_ledger.create_order("acct", "O1", "DKK", [item(1, 100)])
    created_at = pg_ledger.order_events("acct", "O1")[-1].timestamp
    pg_ledger.authorize("acct", "O1", "P", alloc((1, 100)))
    assert pg_ledger.get_order("acct", "O1", as_of=created_at).totals().authorized == 0
    assert pg_ledger.get_order("acct", "O1", version=3).totals().authorized == 100


def test_the_ledger_lives_in_its_own_schema(database_url, schema):
    other = Settings(database_url=database_url, db_schema=schema + "_b")
    first = open_ledger(
        Settings(database_url=database_url, db_schema=schema), database_url
    )
    second = open_ledger(other, database_url)
    try:
        first.create_order("acct", "O1", "CHF", [item(1, 100)])
        assert second._find("acct", "O1") is None
    finally:
        first.close()
        second.close()


def test_commands_survive_the_server_dropping_every_connection(pg_ledger, database_url):
    """The first dead connection has the pool test the idle ones; the retry works."""
    pg_ledger.create_order("acct", "DROP", "EUR", [item(1, 1000)])
    with psycopg.connect(database_url, autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        ).fetchone()
    assert dropped is not None
    assert dropped[0] >= 1

    pg_ledger.authorize("acct", "DROP", "P", alloc((1, 1000)))
    assert pg_ledger.get_order("acct", "DROP").line(1).balance("P").authorized == 1000


def test_a_cached_order_sees_another_processs_writes(
    pg_ledger, pg_settings, database_url
):
    """Issue 15: two ledgers (two workers) on one database, each caching the order.

    The second reads only what is newer than its copy, so it sees the first's
    capture and cannot capture past the authorization.
    """
    assert pg_settings.aggregate_cache > 0
    other = open_ledger(pg_settings, database_url)
    try:
        pg_ledger.create_order("acct", "CACHED", "SEK", [item(1, 1000)])
        pg_ledger.authorize("acct", "CACHED", "P", alloc((1, 1000)))
        assert other.get_order("acct", "CACHED").totals().captured == 0  # cached
        pg_ledger.capture("acct", "CACHED", "P", alloc((1, 600)))
        assert other.get_order("acct", "CACHED").totals().captured == 600
        with pytest.raises(OverCaptureError):
            other.capture("acct", "CACHED", "P", alloc((1, 401)))
        other.capture("acct", "CACHED", "P", alloc((1, 400)))
        assert pg_ledger.get_order("acct", "CACHED").totals().captured == 1000
    finally:
        other.close()


def test_a_command_works_on_a_copy_of_the_cached_order(pg_ledger):
    """A rejected command leaves nothing behind in the cache."""
    pg_ledger.create_order("acct", "COPY", "SEK", [item(1, 1000)])
    pg_ledger.authorize("acct", "COPY", "P", alloc((1, 1000)))
    with pytest.raises(OverCaptureError):
        pg_ledger.capture("acct", "COPY", "P", alloc((1, 1001)))
    order = pg_ledger.get_order("acct", "COPY")
    assert order.totals().captured == 0
    assert not order.pending_events
