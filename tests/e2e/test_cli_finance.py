"""``ledger project``, ``projections``, ``report settlement``, ``reconcile``."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from domain.values import Allocation
from projections.setup import Projections, open_views
from tests.builders import item
from tests.e2e.conftest import LEDGER, ledger

TODAY = datetime.now(UTC).date().isoformat()


def seed(pg_ledger) -> None:
    pg_ledger.create_order("acct", "O1", "EUR", [item(1, 5_000)])
    pg_ledger.authorize("acct", "O1", "P1", [Allocation(1, 5_000)])
    pg_ledger.capture("acct", "O1", "P1", [Allocation(1, 3_000)], reference="psp-1")


def test_rebuild_shows_progress_and_reports_checksums(
    env, pg_ledger, database_url, schema
):
    seed(pg_ledger)
    # What the read models hold when projected event by event, as they run.
    projections = Projections(pg_ledger, open_views(database_url, schema))
    try:
        projections.catch_up()
        incremental = {n: r.view.checksum() for n, r in projections.runners.items()}
    finally:
        projections.close()
    first = ledger(env, "projections", "rebuild")
    assert first.returncode == 0, first.stderr
    assert "rebuilding balances" in first.stderr
    # The rebuild from the event store gives the same tables, byte for byte.
    for name, checksum in incremental.items():
        assert f"{name}: {checksum}" in first.stderr.splitlines(), first.stderr
    assert ledger(env, "projections", "rebuild", "nope").returncode == 2
    status = ledger(env, "projections", "status")
    assert "balances\t0 events" in status.stdout


def test_settlement_report_from_the_shell(env, pg_ledger):
    seed(pg_ledger)
    result = ledger(
        env, "report", "settlement", "--account", "acct", "--from", TODAY, "--to", TODAY
    )
    assert result.returncode == 0, result.stderr
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert (row["payment_id"], row["authorized"], row["captured"], row["net"]) == (
        "P1",
        "5000",
        "3000",
        "3000",
    )
    as_json = ledger(
        env,
        "report",
        "settlement",
        "--account",
        "acct",
        "--from",
        TODAY,
        "--to",
        TODAY,
        "--format",
        "json",
    )
    assert json.loads(as_json.stdout)["rows"][0]["captured"] == 3000


def test_reconcile_a_file_from_the_shell(env, pg_ledger, tmp_path):
    seed(pg_ledger)
    settlement = tmp_path / "psp.csv"
    settlement.write_text(
        "date,order_id,payment_id,kind,amount,currency,reference\n"
        f"{TODAY},O1,P1,capture,3000,EUR,psp-1\n"
        f"{TODAY},O1,P1,refund,100,EUR,psp-9\n"
    )
    result = ledger(env, "reconcile", str(settlement), "--account", "acct")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (len(body["matched"]), len(body["missing_in_ledger"])) == (1, 1)
    assert "matched=1" in result.stderr
    broken = tmp_path / "broken.csv"
    broken.write_text("nope\n")
    bad = ledger(env, "reconcile", str(broken), "--account", "acct")
    assert bad.returncode == 2
    assert "header" in bad.stderr


def test_ledger_project_follows_the_log_until_stopped(
    env, pg_ledger, database_url, schema
):
    process = subprocess.Popen(  # noqa: S603
        [LEDGER, "project"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        seed(pg_ledger)
        query = sql.SQL("SELECT count(*) FROM {}.journal").format(
            sql.Identifier(schema)
        )
        deadline = time.monotonic() + 30
        count = 0
        while time.monotonic() < deadline and count < 2:
            try:
                with psycopg.connect(database_url) as conn:
                    count = conn.execute(query).fetchone()[0]
            except psycopg.errors.UndefinedTable:
                count = 0
            time.sleep(0.1)  # polling for the other process's writes, bounded above
        assert count == 2
    finally:
        os.kill(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
