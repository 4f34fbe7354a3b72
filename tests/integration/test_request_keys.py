"""Idempotency keys beside the events, not in the order (issue 15, item 4)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from api.bootstrap import open_ledger
from domain.context import RequestContext
from domain.errors import IdempotencyConflictError
from domain.order import order_uuid
from tests.builders import alloc, item

CAPTURES = 120  # more than two snapshot intervals (50)


def keyed(key: str) -> RequestContext:
    return RequestContext(idempotency_key=key)


def snapshot_sizes(url: str, schema: str, order_id: object) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT length(state) FROM {} WHERE originator_id = %s"
                " ORDER BY originator_version"
            ).format(sql.Identifier(schema, "ledger_snapshots")),
            (order_id,),
        ).fetchall()
    return [int(r[0]) for r in rows]


@pytest.mark.parametrize("recorder", ["horizon", "table-lock"])
def test_a_hot_orders_snapshots_do_not_grow_with_its_keys(
    pg_settings, database_url, recorder
):
    settings = pg_settings.model_copy(update={"recorder": recorder})
    ledger = open_ledger(settings, database_url)
    try:
        ledger.authorize_order(
            "acct", "HOT", "EUR", [item(1, 1_000_000)], (1_000_000, 1_000_000), "P"
        )
        opened = ledger.get_order("acct", "HOT").version
        for n in range(CAPTURES):
            ledger.capture(
                "acct", "HOT", "P", alloc((1, 1)), context=keyed(f"capture-{n:04d}")
            )
        sizes = snapshot_sizes(
            database_url, settings.db_schema, order_uuid("acct", "HOT")
        )
        assert len(sizes) >= 2
        assert max(sizes) - min(sizes) < 200  # 50 more keys would add ~4 KB each
        # Every key is still recognised: the first one, long past two snapshots.
        again = ledger.capture(
            "acct", "HOT", "P", alloc((1, 1)), context=keyed("capture-0000")
        )
        assert again.replayed
        assert again.version == opened + 1
        with pytest.raises(IdempotencyConflictError):
            ledger.capture(
                "acct", "HOT", "P", alloc((1, 2)), context=keyed("capture-0001")
            )
        assert ledger.get_order("acct", "HOT").totals().captured == CAPTURES
    finally:
        ledger.close()


def test_a_store_from_before_the_table_is_filled_from_its_events(
    pg_settings, database_url
):
    ledger = open_ledger(pg_settings, database_url)
    try:
        ledger.authorize_order(
            "acct", "OLD", "EUR", [item(1, 1_000)], (1_000, 1_000), "P"
        )
        first = ledger.capture(
            "acct", "OLD", "P", alloc((1, 300)), context=keyed("k-1")
        ).version
        ledger.capture("acct", "OLD", "P", alloc((1, 200)), context=keyed("k-2"))
    finally:
        ledger.close()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(  # as a store made before this table existed
            sql.SQL("DROP TABLE {}").format(
                sql.Identifier(pg_settings.db_schema, "ledger_events_requests")
            )
        )
    reopened = open_ledger(pg_settings, database_url)
    try:
        retry = reopened.capture(
            "acct", "OLD", "P", alloc((1, 300)), context=keyed("k-1")
        )
        assert retry.replayed
        assert retry.version == first
        second = reopened.capture(
            "acct", "OLD", "P", alloc((1, 200)), context=keyed("k-2")
        )
        assert (second.replayed, second.version) == (True, first + 1)
        assert reopened.get_order("acct", "OLD").totals().captured == 500
    finally:
        reopened.close()


def test_the_key_is_written_with_the_events_or_not_at_all(pg_ledger):
    """A command refused by the rules writes neither events nor its key."""
    pg_ledger.authorize_order("acct", "R", "EUR", [item(1, 100)], (100, 100), "P")
    with pytest.raises(Exception, match="exceed"):
        pg_ledger.capture("acct", "R", "P", alloc((1, 500)), context=keyed("too-much"))
    ok = pg_ledger.capture("acct", "R", "P", alloc((1, 100)), context=keyed("too-much"))
    assert not ok.replayed  # the refused request left no key behind


@pytest.mark.parametrize("recorder", ["horizon", "table-lock"])
def test_a_retry_is_answered_whether_acting_again_would_fail_or_succeed(
    pg_settings, database_url, recorder
):
    """The first attempt acts without a lookup; the key table catches a retry."""
    ledger = open_ledger(
        pg_settings.model_copy(update={"recorder": recorder}), database_url
    )
    try:
        ledger.authorize_order("acct", "T", "EUR", [item(1, 100)], (100, 100), "P")
        first = ledger.capture("acct", "T", "P", alloc((1, 60)), context=keyed("a"))
        # Acting again would succeed (40 are left): the save refuses the key.
        again = ledger.capture("acct", "T", "P", alloc((1, 60)), context=keyed("a"))
        assert (again.replayed, again.version) == (True, first.version)
        rest = ledger.capture("acct", "T", "P", alloc((1, 40)), context=keyed("b"))
        # Acting again would fail (nothing is left): the error finds the key.
        retried = ledger.capture("acct", "T", "P", alloc((1, 40)), context=keyed("b"))
        assert (retried.replayed, retried.version) == (True, rest.version)
        with pytest.raises(IdempotencyConflictError):
            ledger.capture("acct", "T", "P", alloc((1, 1)), context=keyed("b"))
        assert ledger.get_order("acct", "T").totals().captured == 100
    finally:
        ledger.close()


def test_a_key_newer_than_the_read_aggregate_reads_again(pg_ledger):
    """A twin request committed between the aggregate's read and its key's."""
    from domain.unit_of_work import StaleReadError  # noqa: PLC0415

    pg_ledger.authorize_order("acct", "S", "EUR", [item(1, 100)], (100, 100), "P")
    stale = pg_ledger.get_order("acct", "S")
    first = pg_ledger.capture("acct", "S", "P", alloc((1, 10)), context=keyed("twin"))
    fresh = pg_ledger.get_order("acct", "S")
    context = keyed("twin").with_fingerprint(fresh_fingerprint(pg_ledger, first))
    with pytest.raises(StaleReadError):
        pg_ledger.replayed(stale, context)
    assert pg_ledger.replayed(fresh, context) == first.version


def fresh_fingerprint(ledger, result) -> str:
    [event] = ledger.command_events("acct", "S", result.version)
    return str(event.request_fingerprint)
