"""The settlement file parser and the pairing rules, without a database."""

from datetime import date
from pathlib import Path

import pytest

from projections.reconciliation import SettlementFileError, parse, reconcile

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "settlement.csv"


def movement(order, amount, kind="capture", reference=None, day=date(2026, 11, 2)):
    return {
        "date": day,
        "order_id": order,
        "payment_id": "P",
        "kind": kind,
        "amount": amount,
        "currency": "NOK",
        "reference": reference,
    }


def test_the_shipped_example_parses():
    rows = list(parse(EXAMPLE.read_text()))
    assert [r.kind for r in rows] == ["capture", "capture", "refund"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-11-02,O,P,chargeback,1,NOK,r", "kind"),
        ("2026-11-02,O,P,capture,0,NOK,r", "positive"),
        ("02/11/2026,O,P,capture,1,NOK,r", "ISO"),
        ("2026-11-02,,P,capture,1,NOK,r", "order_id"),
    ],
)
def test_bad_rows_name_their_line(line, message):
    text = "date,order_id,payment_id,kind,amount,currency,reference\n" + line + "\n"
    with pytest.raises(SettlementFileError, match=f"line 2: .*{message}"):
        list(parse(text))


def test_pairs_by_reference_then_by_amount_then_reports_mismatches():
    text = (
        "date,order_id,payment_id,kind,amount,currency,reference\n"
        "2026-11-02,A,P,capture,100,NOK,ref-a\n"
        "2026-11-02,B,P,capture,200,NOK,\n"
        "2026-11-02,C,P,capture,301,NOK,\n"
        "2026-11-02,D,P,refund,5,NOK,\n"
    )
    ledger = [
        movement("A", 100, reference="ref-a"),
        movement("B", 200),
        movement("C", 300),
        movement("E", 7),
    ]
    result = reconcile(parse(text), ledger)
    assert [m["order_id"] for m in result.matched] == ["A", "B"]
    assert [(m["order_id"], m["ledger_amount"]) for m in result.amount_mismatches] == [
        ("C", 300)
    ]
    assert [m["order_id"] for m in result.missing_in_ledger] == ["D"]
    assert [m["order_id"] for m in result.missing_in_file] == ["E"]


@pytest.mark.parametrize("text", ["\r0", 'date,"x\n', "\x00"])
def test_text_that_is_not_csv_is_a_file_error(text):
    with pytest.raises(SettlementFileError):
        list(parse(text))


def test_csv_cells_a_spreadsheet_would_run_are_neutralised():
    from projections.reconciliation import Reconciliation  # noqa: PLC0415
    from projections.reports import settlement_csv  # noqa: PLC0415

    row = {
        "date": "2026-01-01",
        "currency": "EUR",
        "payment_id": '=HYPERLINK("http://x","y")',
        "authorized": -100,
        "captured": 0,
        "refunded": 0,
        "released": 0,
        "net": -100,
    }
    text = settlement_csv([row])
    assert "'=HYPERLINK" in text
    assert ",-100," in text  # numbers stay numbers
    result = Reconciliation(missing_in_file=[{"payment_id": "@SUM(A1)", "amount": 5}])
    assert "'@SUM(A1)" in result.to_csv()
