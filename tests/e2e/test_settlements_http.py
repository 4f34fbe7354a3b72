"""Settlements and reconciliation over HTTP, with the roles of SPEC §13."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from tests.e2e.dintero import NATIVE, chair, create_order, ok, operation
from tests.settlement_files import (
    ADYEN_COLUMNS,
    adyen_row,
    dintero_events,
    dintero_settlement,
    dintero_settlements,
    table,
)

CSV = {"Content-Type": "text/csv"}
JSON = {"Content-Type": "application/json"}


def paid(writer, gross, capture, refund, payment):
    order_id = create_order(writer, [chair(1, gross)])
    ok(operation(writer, order_id, "authorizations", {1: gross}, payment_id=payment))
    captured = ok(
        operation(writer, order_id, "captures", {1: capture}, payment_id=payment)
    )
    refunded = ok(
        operation(writer, order_id, "refunds", {1: refund}, payment_id=payment)
    )
    return order_id, captured["id"], refunded["id"]


def dintero_files(capture_id, refund_id, payment):
    declared = dintero_settlements([dintero_settlement("stl_1", 6000, 1000, 60)])
    # The transaction id is Dintero's, not a payment id the ledger holds: the
    # lines match on the operation ids the ledger answered with.
    events = dintero_events(
        {
            f"P00000000.{payment}": [
                {
                    "settlement_id": "stl_1",
                    "amount": 5940,
                    "event_correlation_id": capture_id,
                    "capture": 6000,
                    "refund": 0,
                    "fee": 60,
                },
                {
                    "settlement_id": "stl_1",
                    "amount": -1000,
                    "event_correlation_id": refund_id,
                    "capture": 0,
                    "refund": 1000,
                    "fee": 0,
                },
            ]
        }
    )
    return declared.encode(), events.encode()


def chargeback_file():
    rows = [
        adyen_row(
            "Chargeback",
            **{
                "Merchant Reference": "WEB-9",
                "Gross Debit (GC)": "30.00",
                "Net Debit (NC)": "30.00",
                "Gross Currency": "NOK",
                "Net Currency": "NOK",
            },
        ),
        adyen_row(
            "Balancetransfer", **{"Net Credit (NC)": "30.00", "Net Currency": "NOK"}
        ),
        adyen_row(
            "MerchantPayout", **{"Net Debit (NC)": "0.00", "Net Currency": "NOK"}
        ),
    ]
    return table(ADYEN_COLUMNS, rows).encode()


def test_import_reconcile_resolve_and_report(writer, finance):
    order_id, capture_id, refund_id = paid(writer, 10_000, 6000, 1000, "PAY-1")
    declared, events = dintero_files(capture_id, refund_id, "PAY-1")
    imports = f"{NATIVE}/settlements/imports"

    assert writer.post(imports, content=declared, headers=JSON).status_code == 403
    first = ok(finance.post(imports, content=declared, headers=JSON), 201)
    again = ok(finance.post(imports, content=declared, headers=JSON), 200)
    assert again["import_id"] == first["import_id"]
    (batch,) = first["batches"]
    assert (batch["provider"], batch["batch_id"], batch["payout_amount"]) == (
        "dintero",
        "stl_1",
        4940,
    )
    ok(
        finance.post(
            imports, content=events, headers=JSON, params={"provider": "dintero"}
        ),
        201,
    )
    ok(
        finance.post(
            imports,
            content=chargeback_file(),
            headers=CSV,
            params={"filename": "batch_5.csv"},
        ),
        201,
    )

    listed = ok(finance.get(f"{NATIVE}/settlements/batches"))["batches"]
    assert {(b["provider"], b["proof"]["status"]) for b in listed} == {
        ("dintero", "balanced"),
        ("adyen", "balanced"),
    }
    run = ok(finance.post(f"{NATIVE}/reconciliation/runs"), 201)
    assert run["match_rate"] == 1.0
    shown = ok(finance.get(f"{NATIVE}/settlements/batches/dintero/stl_1"))
    assert [
        (x["line_type"], x["match"]["status"], x["match"]["order_id"])
        for x in shown["lines"]
    ] == [
        ("capture", "matched", order_id),
        ("refund", "matched", order_id),
    ]
    assert ok(finance.get(f"{NATIVE}/reconciliation/runs/{run['run_id']}"))["results"]

    (chargeback,) = ok(
        finance.get(f"{NATIVE}/reconciliation/exceptions", params={"status": "open"})
    )["exceptions"]
    assert chargeback["category"] == "provider_initiated"
    resolve = f"{NATIVE}/reconciliation/exceptions/{chargeback['id']}/resolve"
    body = {"resolution": "write_off", "note": "dispute lost, goods not returned"}
    assert writer.post(resolve, json=body).status_code == 403
    resolved = ok(finance.post(resolve, json=body))
    assert (resolved["status"], resolved["history"][0]["note"]) == (
        "resolved",
        body["note"],
    )
    assert finance.post(resolve, json=body).status_code == 400  # no longer open
    assert (
        ok(
            finance.get(
                f"{NATIVE}/reconciliation/exceptions", params={"status": "open"}
            )
        )["exceptions"]
        == []
    )

    today = datetime.now(UTC).date()
    window = {"from": "2026-01-01", "to": (today + timedelta(days=1)).isoformat()}
    report = ok(finance.get(f"{NATIVE}/reports/payouts", params=window))
    dintero = next(p for p in report["payouts"] if p["provider"] == "dintero")
    assert (
        dintero["gross"],
        dintero["fees"],
        dintero["net"],
        dintero["matched_share"],
    ) == (5000, -60, 4940, 1.0)
    (period,) = report["period"]
    assert (
        period["ledger_captured"],
        period["ledger_refunded"],
        period["paid_out"],
    ) == (6000, -1000, 4940)
    as_csv = finance.get(
        f"{NATIVE}/reports/payouts", params=window, headers={"Accept": "text/csv"}
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["batch_id"] for r in rows} == {"stl_1", "7"}


def test_refusals_name_line_and_column(finance):
    bad = table(
        ADYEN_COLUMNS, [adyen_row("Settled", **{"Net Credit (NC)": "1.001"})]
    ).encode()
    refused = finance.post(f"{NATIVE}/settlements/imports", content=bad, headers=CSV)
    assert refused.status_code == 422
    problem = refused.json()
    assert (problem["code"], problem["line"], problem["column"]) == (
        "settlement_file_refused",
        2,
        "Net Credit (NC)",
    )
    assert (
        finance.post(
            f"{NATIVE}/settlements/imports",
            content=bad,
            headers={"Content-Type": "image/png"},
        ).status_code
        == 415
    )
    assert ok(finance.get(f"{NATIVE}/settlements/batches"))["batches"] == []
    mapping = finance.put(
        f"{NATIVE}/settlements/mappings/riverty", content=b'{"columns": {"type": 1}}'
    )
    assert mapping.status_code == 400
    saved = ok(
        finance.put(
            f"{NATIVE}/settlements/mappings/riverty",
            content=json.dumps(
                {
                    "columns": {"type": 1, "net": 2},
                    "record": {"column": 0, "value": "D"},
                    "types": {"S": "capture"},
                }
            ).encode(),
        )
    )
    assert saved["version"] == 1
    shown = ok(finance.get(f"{NATIVE}/settlements/mappings/riverty"))
    assert (shown["version"], shown["mapping"]) == (1, saved["mapping"])
    epa = b"H,EUR,500,0,1,PR1,20260304\nD,S,500\n"
    imported = ok(
        finance.post(
            f"{NATIVE}/settlements/imports",
            content=epa,
            headers=CSV,
            params={"provider": "riverty"},
        ),
        201,
    )
    assert imported["batches"][0]["proof_status"] == "balanced"


def test_another_account_sees_nothing(api, finance):
    ok(
        finance.post(
            f"{NATIVE}/settlements/imports", content=chargeback_file(), headers=CSV
        ),
        201,
    )
    with api.client(api.other_writer) as other:
        assert other.get(f"{NATIVE}/settlements/batches").status_code == 404
        assert other.get("/v1/accounts/other/settlements/batches").json() == {
            "batches": []
        }
