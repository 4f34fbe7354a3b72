"""Klarna's settlement report (CSV, one per payout) and Settlements API JSON.

The CSV is in major units, the API in minor units. Each transaction's type
documents its direction ((+) SALE, (−) FEE, RETURN, REVERSAL, …); a file may
write magnitudes or signed amounts, and a sign against the type is refused.
A fee's VAT (``tax_amount``) is part of the deduction. The payout total is in
the API's payout object (``totals.settlement_amount``) or, when the report is
configured to carry it, a ``total_settlement_amount`` column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from settlements import cells
from settlements.formats.common import Batches, parse_rows
from settlements.model import ParsedFile, SettlementFileError, SettlementLine
from settlements.table import Row

# type -> (line type, documented direction)
TYPES: Final = {
    "SALE": ("capture", 1),
    "FEE": ("fee", -1),
    "RETURN": ("refund", -1),
    "REVERSAL": ("chargeback", -1),
    "REVERSAL_MERCHANT_PROTECTION": ("chargeback_reversal", 1),
    "FEE_REFUND": ("fee", 1),
    "TAX": ("fee", -1),
    "HOLDBACK": ("reserve", -1),
    "RELEASE": ("reserve", 1),
    "COMMISSION": ("adjustment", 1),
    "CREDIT": ("adjustment", 1),
    "CHARGE": ("adjustment", -1),
    "CORRECTION": ("adjustment", 0),
}
REQUIRED: Final = ("payment_reference", "type", "amount", "posting_currency")


def looks_like(text: str) -> bool:
    head = text[:2000].casefold()
    return "payment_reference" in head and "posting_currency" in head


def parse_csv(text: str) -> ParsedFile:
    return parse_rows("klarna", text, REQUIRED, _add_row)


def _add_row(batches: Batches, row: Row) -> None:
    code = cells.currency(row.need("posting_currency"), row.line, "posting_currency")

    def minor(column: str) -> int:
        return cells.optional_decimal_minor(row.get(column), code, row.line, column)

    batch = batches.get(row.need("payment_reference"), code, row.line)
    batch.merchant_account = row.get("merchant_id") or batch.merchant_account
    batch.payout_date = cells.day(row.get("payout_date"), row.line, "payout_date")
    if row.get("total_settlement_amount"):
        batch.payout_amount = minor("total_settlement_amount")
    fields = {
        "type": row.need("type"),
        "detailed_type": row.get("detailed_type"),
        "amount": minor("amount"),
        "tax_amount": minor("tax_amount"),
        "capture_date": row.get("capture_date"),
        "merchant_reference1": row.get("merchant_reference1"),
        "merchant_capture_reference": row.get("merchant_capture_reference"),
        "merchant_refund_reference": row.get("merchant_refund_reference"),
        "order_id": row.get("order_id"),
        "capture_id": row.get("capture_id"),
        "refund_id": row.get("refund_id"),
    }
    batch.lines.append(_line(row.line, fields, code, row.raw()))


def _line(
    line: int, fields: Mapping[str, Any], code: str, raw: dict[str, str]
) -> SettlementLine:
    kind = str(fields["type"]).upper()
    if kind not in TYPES:
        line_type, direction = "other", 0
    else:
        line_type, direction = TYPES[kind]
    amount = cells.signed_by_type(fields["amount"], direction, line, "amount")
    tax = cells.signed_by_type(fields["tax_amount"], direction, line, "tax_amount")
    moves_goods = line_type in ("capture", "refund", "chargeback")
    reference = (
        fields["merchant_capture_reference"]
        if line_type == "capture"
        else fields["merchant_refund_reference"]
        if line_type == "refund"
        else None
    )
    return SettlementLine(
        line_no=line,
        line_type=line_type,
        provider_type="/".join(p for p in (kind, fields["detailed_type"] or "") if p),
        net=amount + tax,
        currency=code,
        gross=amount if moves_goods else 0,
        gross_currency=code if moves_goods else None,
        fee=0 if moves_goods else amount + tax,
        order_ref=cells.text_or_none(fields["merchant_reference1"]),
        operation_ref=cells.text_or_none(reference),
        provider_payment_ref=cells.text_or_none(fields["order_id"]),
        provider_operation_ref=cells.text_or_none(
            fields["capture_id"] or fields["refund_id"]
        ),
        occurred_at=cells.timestamp(
            str(fields["capture_date"] or ""), line, "capture_date"
        ),
        raw=raw,
    )


def parse_json(document: Mapping[str, Any]) -> ParsedFile:
    """A payout, a page of payouts, or a page of transactions (minor units)."""
    batches = Batches("klarna")
    payouts = document.get("payouts")
    if "totals" in document:
        payouts = [document]
    for number, payout in enumerate(payouts or [], start=1):
        _payout(batches, number, payout)
    transactions = document.get("transactions")
    if not isinstance(transactions, list):
        transactions = []  # a payout links its transactions by URL
    for number, item in enumerate(transactions, start=1):
        _transaction(batches, number, item)
    return batches.parsed(len(payouts or []) + len(transactions))


def _payout(batches: Batches, number: int, payout: Any) -> None:  # noqa: ANN401 - JSON
    if not isinstance(payout, dict) or not isinstance(payout.get("totals"), dict):
        raise SettlementFileError(number, "totals", "a payout without totals")
    totals = payout["totals"]
    code = cells.currency(str(payout.get("currency_code", "")), number, "currency_code")
    reference = cells.text_or_none(payout.get("payment_reference"))
    if reference is None:
        raise SettlementFileError(number, "payment_reference", "is empty")
    batch = batches.get(reference, code, number)
    batch.payout_amount = cells.json_minor(
        totals.get("settlement_amount"), number, "totals.settlement_amount"
    )
    # A repaid debt was carried in negative; a new debt is carried out negative.
    batch.carry_in = -cells.json_minor(
        totals.get("repay_amount", 0), number, "repay_amount"
    )
    batch.carry_out = -cells.json_minor(
        totals.get("deposit_amount", 0), number, "deposit_amount"
    )
    batch.payout_date = cells.day(
        str(payout.get("payout_date", "")), number, "payout_date"
    )
    batch.merchant_account = cells.text_or_none(payout.get("merchant_id"))
    batch.header = {key: str(value) for key, value in totals.items()}


def _transaction(batches: Batches, number: int, item: Any) -> None:  # noqa: ANN401
    if not isinstance(item, dict):
        raise SettlementFileError(number, None, "a transaction must be an object")
    code = cells.currency(str(item.get("currency_code", "")), number, "currency_code")
    reference = cells.text_or_none(item.get("payment_reference"))
    if reference is None:
        raise SettlementFileError(number, "payment_reference", "is empty")
    batch = batches.get(reference, code, number)
    fields = {
        "type": str(item.get("type", "")),
        "detailed_type": cells.text_or_none(item.get("detailed_type")),
        "amount": cells.json_minor(item.get("amount"), number, "amount"),
        "tax_amount": cells.json_minor(item.get("vat_amount", 0), number, "vat_amount"),
        "capture_date": item.get("capture_date"),
        "merchant_reference1": item.get("merchant_reference1"),
        "merchant_capture_reference": item.get("merchant_capture_reference"),
        "merchant_refund_reference": item.get("merchant_refund_reference"),
        "order_id": item.get("order_id"),
        "capture_id": item.get("capture_id"),
        "refund_id": item.get("refund_id"),
    }
    raw = {key: str(value) for key, value in item.items() if value is not None}
    batch.lines.append(_line(number, fields, code, raw))
