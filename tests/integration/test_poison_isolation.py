"""One unprojectable event must not stop the read models for anyone else.

Since SPEC §12's bounds no request can store such an event, so the tests write
one past the checks, as old data or a bug would have.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest
from eventsourcing.persistence import OperationalError
from psycopg import sql

from domain.context import RequestContext, acting
from domain.order import Order
from domain.values import Allocation
from projections.setup import Projections, open_views
from tests.builders import item


def save_unprojectable_order(ledger, ref: str, account: str = "acct") -> None:
    """An order whose second line's description holds NUL (text cannot)."""
    with acting(RequestContext(actor="old-data")):
        order = Order.open(account, ref, "EUR", [item(1, 1000)])
        line = item(2, 500)
        order._item_added(line)  # the checks live in add_items, not here
        dirty = replace(line, description="bad\x00text")
        object.__setattr__(order.pending_events[-1], "item", dirty)
        ledger.save(order)


def order_ids(database_url: str, schema: str, table: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        query = sql.SQL("SELECT DISTINCT order_id FROM {}").format(
            sql.Identifier(schema, table)
        )
        return {row[0] for row in conn.execute(query)}


def test_an_unprojectable_event_is_set_aside_and_others_go_on(
    pg_ledger, projections, database_url, schema
):
    pg_ledger.create_order("acct", "BEFORE", "EUR", [item(1, 100)])
    save_unprojectable_order(pg_ledger, "POISON")
    pg_ledger.authorize("acct", "POISON", "P", [Allocation(1, 1000)])
    pg_ledger.create_order("other", "AFTER", "EUR", [item(1, 100)])

    projections.catch_up()

    assert order_ids(database_url, schema, "order_summaries") >= {"BEFORE", "AFTER"}
    assert "AFTER" in order_ids(database_url, schema, "line_balances")
    balances = projections.runners["balances"]
    letters = balances.dead_letters()
    assert "0x00" in letters[0].reason, letters[0].reason
    # The later authorization of the same order is set aside too.
    assert [letter.originator_version for letter in letters] == [3, 4]
    assert balances.lag().events_behind == 0
    # The journal holds no text the event breaks: it projects the whole order.
    journal = projections.runners["journal"]
    assert journal.dead_letters() == []
    assert "POISON" in order_ids(database_url, schema, "journal")


def test_a_rebuild_passes_over_the_bad_event_and_keeps_the_rest(
    pg_ledger, projections, database_url, schema
):
    save_unprojectable_order(pg_ledger, "POISON")
    pg_ledger.create_order("acct", "GOOD", "EUR", [item(1, 100)])
    projections.catch_up()
    runner = projections.runners["balances"]
    before = runner.view.checksum()

    assert runner.rebuild() > 0

    assert runner.view.checksum() == before
    assert "GOOD" in order_ids(database_url, schema, "order_summaries")
    assert [letter.originator_version for letter in runner.dead_letters()] == [3]


def test_a_new_runner_remembers_which_orders_were_set_aside(
    pg_ledger, projections, database_url, schema
):
    save_unprojectable_order(pg_ledger, "POISON")
    projections.catch_up()
    with acting(RequestContext(actor="t")):
        pg_ledger.authorize("acct", "POISON", "P", [Allocation(1, 1000)])
    fresh = Projections(pg_ledger, open_views(database_url, schema))
    try:
        fresh.catch_up()
        versions = [
            letter.originator_version
            for letter in fresh.runners["balances"].dead_letters()
        ]
    finally:
        fresh.close()
    assert versions == [3, 4]


def test_a_rebuild_that_fails_leaves_the_tables_as_they_were(
    pg_ledger, projections, monkeypatch
):
    for n in range(6):
        pg_ledger.create_order("acct", f"R{n}", "EUR", [item(1, 100 + n)])
    projections.catch_up()
    runner = projections.runners["balances"]
    runner.batch_size = 4
    before = runner.view.checksum()
    position = runner.view.position()
    batches = 0
    write = runner.view.write

    def failing_write(curs, folded):
        nonlocal batches
        batches += 1
        if batches == 2:  # the database goes away in the middle of the rebuild
            msg = "server closed the connection unexpectedly"
            raise OperationalError(msg)
        write(curs, folded)

    monkeypatch.setattr(runner.view, "write", failing_write)
    with pytest.raises(OperationalError):
        runner.rebuild()

    assert runner.view.checksum() == before
    assert runner.view.position() == position
    monkeypatch.undo()
    assert runner.rebuild() > 0
    assert runner.view.checksum() == before


def test_projections_status_lists_what_was_set_aside(pg_ledger, database_url, schema):
    import os  # noqa: PLC0415

    from tests.e2e.conftest import ledger as ledger_command  # noqa: PLC0415

    save_unprojectable_order(pg_ledger, "POISON")
    env = {**os.environ, "DATABASE_URL": database_url, "LEDGER_DB_SCHEMA": schema}
    rebuilt = ledger_command(env, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    status = ledger_command(env, "projections", "status")
    assert status.returncode == 0, status.stderr
    assert "balances\t0 events" in status.stdout, status.stdout
    assert "1 set aside" in status.stdout
    assert "0x00" in status.stdout
