"""A sealed snapshot is trusted after a restart without folding (issue 24)."""

from __future__ import annotations

import hashlib
import hmac
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from api.bootstrap import open_ledger
from api.settings import Settings
from domain.application import OrderLedger
from domain.order import order_uuid
from domain.values import Allocation
from projections.audit import ChainVerifier
from store.snapshot_seals import snapshot_key
from tests.builders import item
from tests.integration.test_audit import replace_snapshot_amount

KEY = "a-test-key"


@contextmanager
def restarted(settings: Settings, url: str) -> Iterator[tuple[OrderLedger, list[Any]]]:
    """A ledger opened now, and the folds its snapshot store makes."""
    ledger = open_ledger(settings, url)
    folds: list[Any] = []
    fold = ledger.snapshots.fold

    def counted(aggregate_id: Any, version: int) -> Any:
        folds.append((aggregate_id, version))
        return fold(aggregate_id, version)

    ledger.snapshots.fold = counted
    try:
        yield ledger, folds
    finally:
        ledger.close()


def long_order(settings: Settings, url: str, ref: str = "LONG") -> None:
    """An order of 60 events: snapshotted at version 50."""
    with restarted(settings, url) as (ledger, _):
        ledger.create_order("acct", ref, "EUR", [item(1, 10_000)])
        ledger.authorize("acct", ref, "P", [Allocation(1, 10_000)])
        for _ in range(58):
            ledger.capture("acct", ref, "P", [Allocation(1, 1)])


def keyed(pg_settings: Settings, key: str | None = KEY) -> Settings:
    return pg_settings.model_copy(update={"snapshot_key": key and _secret(key)})


def _secret(key: str) -> Any:
    return Settings(snapshot_key=key).snapshot_key


def test_a_restart_reads_a_sealed_snapshot_without_folding(pg_settings, database_url):
    settings = keyed(pg_settings)
    long_order(settings, database_url)
    with restarted(settings, database_url) as (ledger, folds):
        order = ledger.get_order("acct", "LONG")
        assert order.totals().captured == 58
        assert folds == []
        assert ledger.snapshots.mismatches == 0
        ledger.capture("acct", "LONG", "P", [Allocation(1, 1)])
        assert folds == []


def test_without_the_key_the_snapshot_is_folded_once(pg_settings, database_url):
    long_order(keyed(pg_settings), database_url)
    with restarted(keyed(pg_settings, "another-key"), database_url) as (ledger, folds):
        assert ledger.get_order("acct", "LONG").totals().captured == 58
        ledger.get_order("acct", "LONG")
        assert folds == [(order_uuid("acct", "LONG"), 50)]


def test_a_forged_snapshot_under_a_genuine_seal_is_folded_and_refused(
    pg_settings, database_url, schema
):
    settings = keyed(pg_settings)
    long_order(settings, database_url)
    assert replace_snapshot_amount(database_url, schema, 10000, 999999) == 1
    with restarted(settings, database_url) as (ledger, folds):
        order = ledger.get_order("acct", "LONG")
        assert order.line(1).item.gross_amount == 10_000
        assert len(folds) == 1
        assert ledger.snapshots.mismatches == 1


def test_a_seal_made_without_the_key_is_not_trusted(pg_settings, database_url, schema):
    settings = keyed(pg_settings)
    long_order(settings, database_url)
    replace_snapshot_amount(database_url, schema, 10000, 999999)
    table = sql.Identifier(schema, "ledger_snapshots")
    with psycopg.connect(database_url, autocommit=True) as conn:
        [(originator_id, version, state)] = conn.execute(
            sql.SQL("SELECT originator_id, originator_version, state FROM {}").format(
                table
            )
        ).fetchall()
        digest = hashlib.sha256(bytes(state)).hexdigest()
        guessed = hmac.new(
            b"guessed", f"{originator_id}:{version}:{digest}".encode(), hashlib.sha256
        ).hexdigest()
        conn.execute(
            sql.SQL("UPDATE {} SET seal = %s").format(
                sql.Identifier(schema, "ledger_snapshots_seals")
            ),
            (guessed,),
        )
    with restarted(settings, database_url) as (ledger, _):
        assert ledger.get_order("acct", "LONG").line(1).item.gross_amount == 10_000
        assert ledger.snapshots.mismatches == 1


def test_the_audit_still_folds_a_sealed_snapshot(pg_settings, database_url):
    settings = keyed(pg_settings)
    long_order(settings, database_url)
    with restarted(settings, database_url) as (ledger, folds):
        report = ChainVerifier(ledger).verify(account="acct")
        assert report.broken == []
        assert folds == [(order_uuid("acct", "LONG"), 50)]


def test_the_key_file_is_made_once_and_private(tmp_path: Path):
    path = tmp_path / "keys" / "snapshot.key"
    first = snapshot_key(None, path)
    assert first is not None
    assert len(first) == 64
    assert snapshot_key(None, path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert snapshot_key("configured", path) == b"configured"
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert snapshot_key(None, blocked / "snapshot.key") is None


def test_the_key_file_is_not_in_the_embedded_databases_folder():
    """initdb refuses a folder that is not empty: the key must live elsewhere."""
    settings = Settings()
    assert (
        settings.data_dir.resolve() not in settings.snapshot_key_file.resolve().parents
    )
