"""``ledger settlements …`` and ``ledger reconcile`` from the shell."""

from __future__ import annotations

import json

from domain.values import Allocation
from tests.builders import item
from tests.e2e.conftest import ledger
from tests.settlement_files import ADYEN_COLUMNS, adyen_row, adyen_settled, table


def test_import_reconcile_and_work_the_queue(env, pg_ledger, tmp_path):
    pg_ledger.create_order("acct", "O1", "EUR", [item(1, 5_000)])
    pg_ledger.authorize("acct", "O1", "P1", [Allocation(1, 5_000)])
    pg_ledger.capture("acct", "O1", "P1", [Allocation(1, 3_000)], reference="C1")
    report = tmp_path / "settlement_detail_report_batch_3.csv"
    report.write_text(
        table(
            ADYEN_COLUMNS,
            [
                {**adyen_settled("O1", "C1", "30.00", "0.30"), "Batch Number": "3"},
                {**adyen_settled("WEB-1", "W1", "10.00", "0.10"), "Batch Number": "3"},
                adyen_row("MerchantPayout", "3", **{"Net Debit (NC)": "39.60"}),
            ],
        )
    )
    imported = ledger(env, "settlements", "import", str(report), "--account", "acct")
    assert imported.returncode == 0, imported.stderr
    assert "read 3 rows of adyen" in imported.stderr
    assert "wrote 3 lines, 1 batches" in imported.stderr
    assert json.loads(imported.stdout)["batches"][0]["balanced"] is True
    again = ledger(env, "settlements", "import", str(report), "--account", "acct")
    assert "already imported" in again.stderr
    assert json.loads(again.stdout)["created"] is False

    run = ledger(env, "reconcile", "--account", "acct")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["statuses"]["matched"] == 1
    queue = json.loads(
        ledger(
            env, "settlements", "exceptions", "--account", "acct", "--status", "open"
        ).stdout
    )
    (stranger,) = queue["exceptions"]
    assert stranger["category"] == "settled_not_in_ledger"
    refused = ledger(
        env,
        "settlements",
        "resolve",
        stranger["id"],
        "--account",
        "acct",
        "--resolution",
        "write_off",
        "--note",
        "",
    )
    assert refused.returncode == 2
    assert "note" in refused.stderr
    done = ledger(
        env,
        "settlements",
        "resolve",
        stranger["id"],
        "--account",
        "acct",
        "--resolution",
        "timing",
        "--note",
        "next batch",
    )
    assert json.loads(done.stdout)["status"] == "resolved"
    payouts = ledger(env, "settlements", "payouts", "--account", "acct")
    assert payouts.stdout.splitlines()[1].startswith("adyen,3,EUR,")


def test_a_bad_report_is_refused_with_its_line(env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        table(ADYEN_COLUMNS, [adyen_row("Settled", **{"Net Credit (NC)": "x"})])
    )
    result = ledger(env, "settlements", "import", str(bad), "--account", "acct")
    assert result.returncode == 2
    assert "line 2, column 'Net Credit (NC)'" in result.stderr
