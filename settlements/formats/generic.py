"""The ledger's own simple CSV, read as the ``generic`` provider.

Its header is ``date,order_id,payment_id,kind,amount,currency,reference``: one
batch per file, its payout not declared (the file does not say what the bank
received).
"""

from __future__ import annotations

import hashlib
from typing import Final

from settlements import cells
from settlements.formats.common import Batches
from settlements.model import ParsedFile, SettlementFileError, SettlementLine
from settlements.table import rows

COLUMNS: Final = ("date", "order_id", "payment_id", "kind", "amount", "currency")
SIGNS: Final = {"capture": 1, "refund": -1}


def looks_like(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0].casefold()
    return all(column in first for column in COLUMNS)


def parse(text: str) -> ParsedFile:
    batch_id = "file-" + hashlib.sha256(text.encode()).hexdigest()[:16]
    batches = Batches("generic")
    count = 0
    for row in rows(text, COLUMNS):
        count += 1
        kind = row.need("kind")
        if kind not in SIGNS:
            raise SettlementFileError(row.line, "kind", "must be capture or refund")
        amount = cells.integer_minor(row.need("amount"), row.line, "amount")
        if amount <= 0:
            raise SettlementFileError(row.line, "amount", "must be positive")
        code = cells.currency(row.need("currency"), row.line, "currency")
        signed = amount * SIGNS[kind]
        batches.get(batch_id, code, row.line).lines.append(
            SettlementLine(
                line_no=row.line,
                line_type=kind,
                provider_type=kind,
                net=signed,
                currency=code,
                gross=signed,
                gross_currency=code,
                order_ref=row.need("order_id"),
                operation_ref=row.get("reference") or None,
                provider_payment_ref=row.need("payment_id"),
                occurred_at=cells.timestamp(row.need("date"), row.line, "date"),
                raw=row.raw(),
            )
        )
    return batches.parsed(count)
