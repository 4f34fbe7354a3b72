"""Tamper evidence: the chain finds changed, deleted and swapped events.

The database refuses UPDATE, DELETE and TRUNCATE of stored events.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from domain.chain import GENESIS, chain_hash
from domain.order import order_uuid
from domain.values import Allocation
from projections.audit import ChainVerifier
from tests.builders import item

CHANGE_AMOUNT = (
    "UPDATE {table} SET state = convert_to(replace(convert_from(state, 'UTF8'),"
    " '\"amount\":700', '\"amount\":70'), 'UTF8')"
    " WHERE originator_id = %s AND originator_version = %s"
)
DELETE = "DELETE FROM {table} WHERE originator_id = %s AND originator_version = %s"
SWAP_4_AND_5 = (
    "UPDATE {table} t SET state = o.state FROM {table} o"
    " WHERE t.originator_id = o.originator_id AND t.originator_id = %s"
    " AND t.originator_version + o.originator_version = 9"
    " AND t.originator_version IN (4, 5)"
)


def paid(ledger, ref: str) -> None:
    ledger.create_order("acct", ref, "EUR", [item(1, 1_000)])
    ledger.authorize("acct", ref, "P", [Allocation(1, 1_000)])
    ledger.capture("acct", ref, "P", [Allocation(1, 700)])
    ledger.refund("acct", ref, "P", [Allocation(1, 100)])


def statement(template: str, schema: str) -> sql.Composed:
    table = sql.Identifier(schema, "ledger_events")
    return sql.SQL(template).format(table=table)  # type: ignore[arg-type]


def tamper(database_url: str, schema: str, template: str, *params: object) -> None:
    """As the superuser, with the append-only triggers off."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(statement(template, schema), params)


def test_every_event_chains_to_the_previous(pg_ledger):
    paid(pg_ledger, "O1")
    previous = GENESIS
    for event in pg_ledger.order_events("acct", "O1"):
        assert event.__dict__["previous_hash"] == previous
        assert event.__dict__["hash"] == chain_hash(previous, event)
        previous = event.__dict__["hash"]
    report = ChainVerifier(pg_ledger).verify()
    assert (report.orders_checked, report.events_checked, report.broken) == (1, 5, [])


def test_changed_deleted_and_swapped_events_are_each_found(
    pg_ledger, database_url, schema
):
    for ref in ("CHANGED", "DELETED", "SWAPPED", "INTACT"):
        paid(pg_ledger, ref)
    tamper(database_url, schema, CHANGE_AMOUNT, order_uuid("acct", "CHANGED"), 4)
    tamper(database_url, schema, DELETE, order_uuid("acct", "DELETED"), 3)
    tamper(database_url, schema, SWAP_4_AND_5, order_uuid("acct", "SWAPPED"))
    report = ChainVerifier(pg_ledger).verify(account="acct")
    broken = {(b.order_id, b.version): b.reason for b in report.broken}
    assert set(broken) == {("CHANGED", 4), ("DELETED", 4), ("SWAPPED", 4)}
    assert "content" in broken[("CHANGED", 4)]
    assert "missing" in broken[("DELETED", 4)]
    assert report.orders_checked == 4


@pytest.mark.parametrize(
    "template",
    ["UPDATE {table} SET topic = topic", "DELETE FROM {table}", "TRUNCATE {table}"],
)
def test_the_database_refuses_to_change_history(
    pg_ledger, database_url, schema, template
):
    paid(pg_ledger, "O1")
    refused = pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only")
    with psycopg.connect(database_url, autocommit=True) as conn, refused:
        conn.execute(statement(template, schema))
    assert ChainVerifier(pg_ledger).verify().broken == []


def test_events_from_before_hashing_chain_from_genesis(pg_ledger, database_url, schema):
    paid(pg_ledger, "LEGACY")
    strip = (
        "UPDATE {table} SET state = convert_to(("
        "convert_from(state, 'UTF8')::jsonb - 'hash' - 'previous_hash')::text, 'UTF8')"
        " WHERE originator_id = %s AND originator_version <= 2"
    )
    tamper(database_url, schema, strip, order_uuid("acct", "LEGACY"))
    assert ChainVerifier(pg_ledger).verify().broken == []  # legacy prefix, hashed rest
    tamper(
        database_url,
        schema,
        strip.replace("<= 2", "= 4"),
        order_uuid("acct", "LEGACY"),
    )
    [broken] = ChainVerifier(pg_ledger).verify().broken
    assert (broken.version, broken.reason) == (4, "the event carries no hash")


def replace_snapshot_amount(database_url: str, schema: str, old: int, new: int) -> int:
    """DELETE + INSERT, which the triggers allow: a line reading ``new``."""
    table = sql.Identifier(schema, "ledger_snapshots")
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            sql.SQL(
                "DELETE FROM {} RETURNING originator_id, originator_version, topic, "
                "state"
            ).format(table)
        ).fetchall()
        for originator_id, version, topic, state in rows:
            text = bytes(state).decode()
            assert f'"gross_amount":{old}' in text
            forged = text.replace(f'"gross_amount":{old}', f'"gross_amount":{new}')
            conn.execute(
                sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(table),
                (originator_id, version, topic, forged.encode()),
            )
    return len(rows)


def test_a_forged_snapshot_is_found_and_never_read(pg_settings, database_url, schema):
    from api.bootstrap import open_ledger  # noqa: PLC0415

    ledger = open_ledger(pg_settings, database_url)
    try:
        paid(ledger, "SNAP")
        ledger.take_snapshot(order_uuid("acct", "SNAP"))
        ChainVerifier(ledger).verify()  # the genuine snapshot is verified and cached
    finally:
        ledger.close()
    assert replace_snapshot_amount(database_url, schema, 1000, 999999) == 1

    # A fresh process, as after a restart: nothing verified yet.
    ledger = open_ledger(pg_settings, database_url)
    try:
        order = ledger.get_order("acct", "SNAP")
        assert order.line(1).item.gross_amount == 1_000
        assert ledger.snapshots.mismatches == 1
        report = ChainVerifier(ledger).verify()
        [broken] = report.broken
        assert (broken.order_id, broken.version) == ("SNAP", 5)
        assert "snapshot" in broken.reason
    finally:
        ledger.close()


def test_a_draft_is_verified_but_not_counted_as_an_order(pg_ledger):
    paid(pg_ledger, "O1")
    pg_ledger.create_draft("acct", "EUR", [item(1, 100)])
    report = ChainVerifier(pg_ledger).verify()
    assert (report.orders_checked, report.events_checked) == (1, 6)


def test_a_snapshot_from_when_orders_kept_their_keys_still_matches(
    pg_settings, database_url, schema
):
    """Snapshots taken before the keys moved out carry a ``requests`` map."""
    from api.bootstrap import open_ledger  # noqa: PLC0415

    ledger = open_ledger(pg_settings, database_url)
    try:
        paid(ledger, "LEGACY")
        ledger.take_snapshot(order_uuid("acct", "LEGACY"))
    finally:
        ledger.close()
    table = sql.Identifier(schema, "ledger_snapshots")
    with psycopg.connect(database_url, autocommit=True) as conn:
        [(originator_id, version, topic, state)] = conn.execute(
            sql.SQL("DELETE FROM {} RETURNING *").format(table)
        ).fetchall()
        legacy = bytes(state).decode().replace("{", '{"requests":{"k1":["fp",3]},', 1)
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(table),
            (originator_id, version, topic, legacy.encode()),
        )
    ledger = open_ledger(pg_settings, database_url)
    try:
        assert ledger.get_order("acct", "LEGACY").totals().captured > 0
        assert ledger.snapshots.mismatches == 0
        assert ChainVerifier(ledger).verify().broken == []
    finally:
        ledger.close()


def test_an_accounts_audit_reads_that_accounts_events_only(pg_ledger):
    paid(pg_ledger, "MINE-1")
    pg_ledger.create_draft("acct", "EUR", [item(1, 100)])
    for n in range(12):
        pg_ledger.create_order("other", f"O-{n}", "EUR", [item(1, 1_000)])
        pg_ledger.authorize("other", f"O-{n}", "P", [Allocation(1, 1_000)])
    read: list[int] = []
    mine = ChainVerifier(pg_ledger).verify(account="acct", progress=read.append)
    assert sum(read) == 5 + 1  # the order's five events and the draft's one
    assert (mine.orders_checked, mine.events_checked, mine.broken) == (1, 6, [])
    whole = ChainVerifier(pg_ledger).verify()
    assert (whole.orders_checked, whole.events_checked) == (13, 6 + 12 * 3)
