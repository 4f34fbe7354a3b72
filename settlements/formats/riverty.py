"""Riverty's Electronic Payment Advice (EPA), one CSV per payout.

The first record is the header ``H``, as documented (docs.riverty.com/bnpl/
documentation/reconciliation_documents): payout currency, Payable Net Amount
(integer cents, what the bank transfer carries), Factoring Fees, Number of
Transactions, Payout Reference, Payment Advice Date. A partner's C-EPA header
(consolidated_settlement_reconciliation) is read too. The transaction lines'
layout was not published: they are read through a column mapping, by default
the layout of our synthetic sample (settlements/mapping.py).
"""

from __future__ import annotations

import csv
from typing import Final

from settlements import cells
from settlements.formats.common import Batches
from settlements.formats.mapped import getter, mapped_line
from settlements.mapping import RIVERTY_DEFAULT, ColumnMapping
from settlements.model import ParsedFile, SettlementBatch, SettlementFileError

EPA_FIELDS: Final = 7
C_EPA_FIELDS: Final = 16
SETTLEMENT_TYPES: Final = frozenset({"NET", "GROSS"})


def looks_like(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    return first.startswith("H,") and len(first.split(",")) >= EPA_FIELDS


def rounding_tolerance(lines: int) -> int:
    """Each line is rounded to cents; the header is exact (Riverty's rule)."""
    return (lines + 1) // 2


def parse(text: str, mapping: ColumnMapping | None = None) -> ParsedFile:
    mapping = mapping or RIVERTY_DEFAULT
    reader = csv.reader(text.lstrip("\ufeff").splitlines(), strict=True)
    try:
        records = list(reader)
    except csv.Error as error:  # a quote left open, say
        raise SettlementFileError(reader.line_num, None, f"not CSV: {error}") from None
    if not records or not records[0] or records[0][0].strip() != "H":
        raise SettlementFileError(1, "Record Type", "the first record must be 'H'")
    batches = Batches("riverty")
    batch, expected = _header(batches, records[0])
    count = 0
    for number, row in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        record = mapping.record_column
        if record is not None and (
            record >= len(row) or row[record].strip() != mapping.record_value
        ):
            raise SettlementFileError(number, "Record Type", "not a transaction line")
        count += 1
        value = getter(mapping, row, [])
        raw = {str(i): cell for i, cell in enumerate(row)}
        batch.lines.append(mapped_line(number, value, mapping, batch.currency, raw))
    if expected is not None and count != expected:
        raise SettlementFileError(
            1,
            "Number of Transactions",
            f"the header counts {expected} transactions, the file has {count}",
        )
    return batches.parsed(count + 1)


def _header(batches: Batches, fields: list[str]) -> tuple[SettlementBatch, int | None]:
    values = [cell.strip() for cell in fields]
    consolidated = len(values) >= C_EPA_FIELDS and values[14] in SETTLEMENT_TYPES
    if len(values) < EPA_FIELDS:
        raise SettlementFileError(1, None, f"the header has {len(values)} fields")
    code = cells.currency(values[1], 1, "Payout Currency")
    if consolidated:
        payout = cells.integer_minor(values[10], 1, "total_settlement_amount")
        count = values[11]
        reference, advice_date = values[12], values[13]
    else:
        payout = cells.integer_minor(values[2], 1, "Payable Net Amount")
        cells.integer_minor(values[3], 1, "Factoring Fees")
        count, reference, advice_date = values[4], values[5], values[6]
    if not reference:
        raise SettlementFileError(1, "Payout Reference", "is empty")
    batch = batches.get(reference, code, 1)
    batch.payout_amount = payout
    batch.payout_reference = reference
    batch.payout_date = cells.day(advice_date, 1, "Payment Advice Date")
    batch.header = {str(i): value for i, value in enumerate(values)}
    expected = (
        cells.integer_minor(count, 1, "Number of Transactions") if count else None
    )
    return batch, expected
