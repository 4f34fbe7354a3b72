"""Compare a PSP settlement file with the ledger's captures and refunds.

The file is CSV with the header ``date,order_id,payment_id,kind,amount,currency,
reference``: ``kind`` is ``capture`` or ``refund``, ``amount`` a positive
integer in minor units, ``date`` an ISO date (UTC).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from projections.spreadsheet import safe_row

COLUMNS = ("date", "order_id", "payment_id", "kind", "amount", "currency", "reference")
KINDS = ("capture", "refund")


class SettlementFileError(ValueError):
    """A settlement file the ledger cannot read; names the line."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


@dataclass(frozen=True)
class SettlementRow:
    line: int
    date: date
    order_id: str
    payment_id: str
    kind: str
    amount: int
    currency: str
    reference: str


@dataclass
class Reconciliation:
    matched: list[dict[str, Any]] = field(default_factory=list)
    missing_in_ledger: list[dict[str, Any]] = field(default_factory=list)
    missing_in_file: list[dict[str, Any]] = field(default_factory=list)
    amount_mismatches: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        return asdict(self)

    def to_csv(self, *, differences_only: bool = False) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("result", *COLUMNS, "ledger_amount", "ledger_reference"))
        for result, rows in self.as_dict().items():
            if differences_only and result == "matched":
                continue
            for row in rows:
                writer.writerow(
                    safe_row(
                        (
                            result,
                            *(row.get(c, "") for c in COLUMNS),
                            row.get("ledger_amount", ""),
                            row.get("ledger_reference", ""),
                        )
                    )
                )
        return out.getvalue()


def parse(text: str) -> Iterator[SettlementRow]:
    """The file's rows; a SettlementFileError names the first bad line."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = tuple(reader.fieldnames or ())
        if header != COLUMNS:
            raise SettlementFileError(1, f"the header must be {','.join(COLUMNS)}")
        yield from _rows(reader)
    except csv.Error as error:
        raise SettlementFileError(reader.line_num, f"not CSV: {error}") from None


def _rows(reader: csv.DictReader[str]) -> Iterator[SettlementRow]:
    for number, raw in enumerate(reader, start=2):
        try:
            amount = int(raw["amount"])
            day = date.fromisoformat(raw["date"])
        except (TypeError, ValueError):
            raise SettlementFileError(
                number, "date must be ISO and amount an integer"
            ) from None
        if raw["kind"] not in KINDS:
            raise SettlementFileError(number, f"kind must be one of {', '.join(KINDS)}")
        if amount <= 0:
            raise SettlementFileError(number, "amount must be a positive integer")
        if not raw["order_id"] or not raw["payment_id"]:
            raise SettlementFileError(number, "order_id and payment_id are required")
        yield SettlementRow(
            number,
            day,
            raw["order_id"],
            raw["payment_id"],
            raw["kind"],
            amount,
            raw["currency"],
            raw["reference"] or "",
        )


def reconcile(
    rows: Iterable[SettlementRow], ledger: Iterable[dict[str, Any]]
) -> Reconciliation:
    """Pair file rows with ledger movements (captures, refunds; positive amounts).

    A movement pairs with a row of the same order, payment and kind: first
    by PSP reference, then by date and amount; a pair that agrees on all but
    the amount is a mismatch. What is left over on either side is missing.
    """
    unpaired = [
        {**m, "amount": abs(int(m["amount"])), "date": m["date"]} for m in ledger
    ]
    result = Reconciliation()
    leftovers: list[SettlementRow] = []
    for row in rows:
        match = _take(unpaired, row, by_reference=True) or _take(
            unpaired, row, by_amount=True
        )
        if match is not None:
            result.matched.append(_describe(row, match))
        else:
            leftovers.append(row)
    for row in leftovers:
        match = _take(unpaired, row)
        if match is not None:
            result.amount_mismatches.append(_describe(row, match))
        else:
            result.missing_in_ledger.append(_describe(row, None))
    result.missing_in_file = [
        {
            "date": m["date"].isoformat(),
            "order_id": m["order_id"],
            "payment_id": m["payment_id"],
            "kind": m["kind"],
            "amount": m["amount"],
            "currency": m["currency"],
            "reference": m.get("reference") or "",
        }
        for m in unpaired
    ]
    return result


def _take(
    unpaired: list[dict[str, Any]],
    row: SettlementRow,
    *,
    by_reference: bool = False,
    by_amount: bool = False,
) -> dict[str, Any] | None:
    for index, movement in enumerate(unpaired):
        same = (movement["order_id"], movement["payment_id"], movement["kind"]) == (
            row.order_id,
            row.payment_id,
            row.kind,
        )
        if not same:
            continue
        if by_reference and not (
            row.reference and movement.get("reference") == row.reference
        ):
            continue
        if by_amount and (movement["amount"], movement["date"]) != (
            row.amount,
            row.date,
        ):
            continue
        return unpaired.pop(index)
    return None


def _describe(row: SettlementRow, movement: dict[str, Any] | None) -> dict[str, Any]:
    described: dict[str, Any] = {
        "line": row.line,
        "date": row.date.isoformat(),
        "order_id": row.order_id,
        "payment_id": row.payment_id,
        "kind": row.kind,
        "amount": row.amount,
        "currency": row.currency,
        "reference": row.reference,
    }
    if movement is not None:
        described["ledger_amount"] = movement["amount"]
        described["ledger_reference"] = movement.get("reference")
    return described
