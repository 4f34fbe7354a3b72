"""Adyen's Settlement details report: one CSV row per journal entry of a batch.

Amounts are unsigned decimals in major units; which of the Debit and Credit
columns is filled gives the direction. The ``MerchantPayout`` row is the
payout, ``Balancetransfer`` rows carry a balance from or to another batch.
"""

from __future__ import annotations

from typing import Final

from settlements import cells
from settlements.formats.common import Batches, parse_rows
from settlements.model import ParsedFile, SettlementFileError, SettlementLine
from settlements.table import Row

TYPES: Final = {
    "settled": "capture",
    "settledexternally": "capture",
    "settledbulk": "capture",
    "refunded": "refund",
    "refundedexternally": "refund",
    "refundedbulk": "refund",
    "refundedreversed": "refund_reversal",
    "chargeback": "chargeback",
    "secondchargeback": "chargeback",
    "chargebackexternally": "chargeback",
    "chargebackreversed": "chargeback_reversal",
    "fee": "fee",
    "misccosts": "fee",
    "paymentcost": "fee",
    "merchantpayout": "payout",
    "balancetransfer": "carry",
    "depositcorrection": "adjustment",
    "invoicededuction": "adjustment",
    "manualcorrected": "adjustment",
    "matchedstatement": "adjustment",
}
FEE_COLUMNS: Final = (
    "Commission (NC)",
    "Markup (NC)",
    "Scheme Fees (NC)",
    "Interchange (NC)",
)
REQUIRED: Final = (
    "Merchant Account",
    "Type",
    "Batch Number",
    "Net Currency",
    "Net Debit (NC)",
    "Net Credit (NC)",
)
# Rows about a payment carry its references; batch rows carry text there.
PAYMENT_TYPES: Final = frozenset(
    {"capture", "refund", "chargeback", "chargeback_reversal", "refund_reversal"}
)


def looks_like(text: str) -> bool:
    head = text[:2000].casefold()
    return "merchant account" in head and "batch number" in head


def parse(text: str) -> ParsedFile:
    return parse_rows("adyen", text, REQUIRED, _add)


def _add(batches: Batches, row: Row) -> None:
    net_currency = cells.currency(row.need("Net Currency"), row.line, "Net Currency")
    line_type = TYPES.get(row.need("Type").casefold(), "other")
    net = _credit_minus_debit(row, "Net Credit (NC)", "Net Debit (NC)", net_currency)
    batch = batches.get(row.need("Batch Number"), net_currency, row.line)
    batch.merchant_account = row.get("Merchant Account") or batch.merchant_account
    booked = cells.timestamp(
        row.get("Booking Date"),
        row.line,
        "Booking Date",
        cells.zone(row.get("Booking Date TimeZone")),
    )
    created = cells.timestamp(
        row.get("Creation Date"),
        row.line,
        "Creation Date",
        cells.zone(row.get("TimeZone")),
    )
    if line_type == "payout":
        batch.payout_amount = (batch.payout_amount or 0) - net
        batch.payout_reference = row.get("Modification Reference") or None
        # The value date as written (older reports have no Booking Date).
        written = "Booking Date" if row.get("Booking Date") else "Creation Date"
        paid = cells.day(row.get(written), row.line, written)
        batch.payout_date = paid or batch.payout_date
    elif line_type == "carry":
        batch.carry_in += max(net, 0)
        batch.carry_out += max(-net, 0)
    gross_currency = row.get("Gross Currency")
    gross = 0
    if gross_currency:
        gross_currency = cells.currency(gross_currency, row.line, "Gross Currency")
        gross = _credit_minus_debit(
            row, "Gross Credit (GC)", "Gross Debit (GC)", gross_currency
        )
    about_payment = line_type in PAYMENT_TYPES
    merchant_modification = row.get("Modification Merchant Reference")
    batch.lines.append(
        SettlementLine(
            line_no=row.line,
            line_type=line_type,
            provider_type=row.get("Type"),
            net=net,
            currency=net_currency,
            gross=gross,
            gross_currency=gross_currency or None,
            fee=-sum(
                cells.optional_decimal_minor(row.get(c), net_currency, row.line, c)
                for c in FEE_COLUMNS
            ),
            exchange_rate=row.get("Exchange Rate") or None,
            order_ref=row.get("Merchant Reference") or None,
            operation_ref=merchant_modification
            if about_payment and merchant_modification not in ("", "<auto>")
            else None,
            provider_payment_ref=row.get("Psp Reference") or None,
            provider_operation_ref=row.get("Modification Reference") or None
            if about_payment
            else None,
            occurred_at=created,
            booked_at=booked,
            raw=row.raw(),
        )
    )


def _credit_minus_debit(row: Row, credit: str, debit: str, code: str) -> int:
    credit_text, debit_text = row.get(credit), row.get(debit)
    if credit_text and debit_text:
        raise SettlementFileError(row.line, debit, f"both {credit!r} and it are set")
    amount = cells.optional_decimal_minor(credit_text, code, row.line, credit)
    amount -= cells.optional_decimal_minor(debit_text, code, row.line, debit)
    if credit_text.startswith("-") or debit_text.startswith("-"):
        raise SettlementFileError(
            row.line, credit, "Adyen writes unsigned amounts: the column is the sign"
        )
    return amount
