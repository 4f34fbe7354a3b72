"""One model for every provider's settlement report (FORMATS.md §7).

Amounts are signed integers in minor units, positive towards the merchant:
a capture's gross is positive, a refund's negative, a fee negative. ``net``
is in the settlement currency; ``gross`` in the payment's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

PROVIDERS: Final = ("adyen", "klarna", "stripe", "dintero", "riverty", "generic")

LINE_TYPES: Final = (
    "capture",
    "refund",
    "fee",
    "chargeback",
    "chargeback_reversal",
    "refund_reversal",
    "payout",
    "carry",
    "reserve",
    "adjustment",
    "other",
)
# Lines that move money between the batch and the bank, not between the
# merchant and the provider: left out of the batch's sum of nets.
OUTSIDE_THE_SUM: Final = frozenset({"payout", "carry"})
# Money the provider moved on its own (disputes): their own category.
PROVIDER_INITIATED: Final = frozenset(
    {"chargeback", "chargeback_reversal", "refund_reversal"}
)
# The line types the ledger records as operations of its own.
LEDGER_KINDS: Final = frozenset({"capture", "refund"})


class SettlementFileError(ValueError):
    """A file the ledger refuses whole; names the line and the column."""

    def __init__(self, line: int, column: str | None, reason: str) -> None:
        where = f"line {line}" + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {reason}")
        self.line = line
        self.column = column
        self.reason = reason


@dataclass(frozen=True)
class SettlementLine:
    line_no: int
    line_type: str
    provider_type: str
    net: int
    currency: str
    gross: int = 0
    gross_currency: str | None = None
    fee: int = 0
    exchange_rate: str | None = None  # decimal text, as the file wrote it
    order_ref: str | None = None
    operation_ref: str | None = None
    provider_payment_ref: str | None = None
    provider_operation_ref: str | None = None
    occurred_at: datetime | None = None
    booked_at: datetime | None = None
    raw: dict[str, str] = field(default_factory=dict)


@dataclass
class SettlementBatch:
    """One payout (or the part of it one file tells)."""

    provider: str
    batch_id: str
    currency: str
    payout_amount: int | None = None  # None: this file does not declare it
    payout_date: date | None = None
    payout_reference: str | None = None
    merchant_account: str | None = None
    carry_in: int = 0
    carry_out: int = 0
    header: dict[str, str] = field(default_factory=dict)
    lines: list[SettlementLine] = field(default_factory=list)


@dataclass
class ParsedFile:
    provider: str
    batches: list[SettlementBatch]
    rows: int


def batch_proof(
    lines_net: int, carry_in: int, carry_out: int, payout: int | None, tolerance: int
) -> dict[str, object]:
    """Σ net + carry-in − carry-out against the payout: the batch's proof."""
    computed = lines_net + carry_in - carry_out
    if payout is None:
        status, difference = "undeclared", None
    else:
        difference = computed - payout
        if difference == 0:
            status = "balanced"
        elif abs(difference) <= tolerance:
            status = "within_rounding"
        else:
            status = "unbalanced"
    return {
        "lines_net": lines_net,
        "carry_in": carry_in,
        "carry_out": carry_out,
        "computed_payout": computed,
        "payout_amount": payout,
        "difference_minor": difference,
        "status": status,
        "balanced": status in ("balanced", "within_rounding"),
    }
