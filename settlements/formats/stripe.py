"""Stripe's itemized payout reconciliation report (``…itemized.5``).

One row per balance transaction, grouped by ``automatic_payout_id``; amounts in
major units, ``gross`` and ``net`` signed (+ towards the merchant), ``fee``
positive when paid, and ``net = gross − fee``. The payout total is declared
only when the payout's own balance transaction is a row.
"""

from __future__ import annotations

from typing import Final

from settlements import cells
from settlements.formats.common import Batches, parse_rows
from settlements.model import ParsedFile, SettlementFileError, SettlementLine
from settlements.table import Row

# reporting_category -> (line type, documented direction of gross)
CATEGORIES: Final = {
    "charge": ("capture", 1),
    "partial_capture_reversal": ("capture", -1),
    "refund": ("refund", -1),
    "refund_failure": ("refund_reversal", 1),
    "dispute": ("chargeback", -1),
    "dispute_reversal": ("chargeback_reversal", 1),
    "fee": ("fee", 0),
    "tax": ("fee", 0),
    "payout": ("payout", -1),
    "payout_reversal": ("payout", 1),
    "other_adjustment": ("adjustment", 0),
}
REQUIRED: Final = (
    "automatic_payout_id",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
)
ORDER_COLUMNS: Final = ("payment_metadata[order_id]", "payment_metadata[order]")


def looks_like(text: str) -> bool:
    head = text[:2000].casefold()
    return "automatic_payout_id" in head and "reporting_category" in head


def parse(text: str) -> ParsedFile:
    return parse_rows("stripe", text, REQUIRED, _add)


def _add(batches: Batches, row: Row) -> None:
    code = cells.currency(row.need("currency"), row.line, "currency")
    category = row.need("reporting_category").casefold()
    line_type, direction = CATEGORIES.get(category, ("other", 0))
    gross = cells.decimal_minor(row.need("gross"), code, row.line, "gross")
    if gross * direction < 0:
        raise SettlementFileError(
            row.line, "gross", f"a {category} row's gross must have the other sign"
        )
    fee = cells.decimal_minor(row.need("fee"), code, row.line, "fee")
    net = cells.decimal_minor(row.need("net"), code, row.line, "net")
    if net != gross - fee:
        raise SettlementFileError(row.line, "net", "net is not gross − fee")
    batch = batches.get(row.need("automatic_payout_id"), code, row.line)
    batch.payout_date = cells.day(
        row.get("automatic_payout_effective_at"),
        row.line,
        "automatic_payout_effective_at",
    )
    if line_type == "payout":
        batch.payout_amount = (batch.payout_amount or 0) - net
        batch.payout_reference = row.get("source_id") or None
    facing_currency, facing = code, gross
    if row.get("customer_facing_currency") and row.get("customer_facing_amount"):
        facing_currency = cells.currency(
            row.get("customer_facing_currency"), row.line, "customer_facing_currency"
        )
        facing = cells.decimal_minor(
            row.get("customer_facing_amount"),
            facing_currency,
            row.line,
            "customer_facing_amount",
        )
    order = next((row.get(c) for c in ORDER_COLUMNS if row.get(c)), "")
    batch.lines.append(
        SettlementLine(
            line_no=row.line,
            line_type=line_type,
            provider_type=category,
            net=net,
            currency=code,
            gross=facing,
            gross_currency=facing_currency,
            fee=-fee,
            order_ref=order or None,
            provider_payment_ref=row.get("payment_intent_id") or None,
            provider_operation_ref=row.get("source_id") or None,
            occurred_at=cells.timestamp(
                row.get("created_utc") or row.get("created"), row.line, "created_utc"
            ),
            booked_at=cells.timestamp(
                row.get("available_on_utc"), row.line, "available_on_utc"
            ),
            raw=row.raw(),
        )
    )
