"""Rows read through a user's column mapping (settlements/mapping.py)."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator

from settlements import cells
from settlements.formats.common import Batches
from settlements.mapping import DIRECTIONS, ColumnMapping
from settlements.model import ParsedFile, SettlementFileError, SettlementLine
from settlements.table import delimiter_of


def mapped_line(
    line: int,
    value: Callable[[str], str],
    mapping: ColumnMapping,
    currency: str,
    raw: dict[str, str],
) -> SettlementLine:
    """One line; ``value(field)`` is the cell the mapping names for the field."""
    kind = value("type")
    line_type = mapping.types.get(kind.casefold(), "other")
    direction = DIRECTIONS.get(line_type, 0)
    if value("currency"):
        currency = cells.currency(value("currency"), line, "currency")

    def amount(name: str, sign: int = direction) -> int:
        text = value(name)
        if not text.strip():
            return 0
        if mapping.amounts == "major":
            parsed = cells.decimal_minor(text, currency, line, name)
        else:
            parsed = cells.integer_minor(text, line, name)
        return cells.signed_by_type(parsed, sign, line, name)

    net = amount("net")
    fee = amount("fee", -1)
    gross = amount("gross") if value("gross") else net - fee
    reference = value("operation_ref")
    if line_type == "refund" and value("refund_ref"):
        reference = value("refund_ref")
    return SettlementLine(
        line_no=line,
        line_type=line_type,
        provider_type=kind,
        net=net,
        currency=currency,
        gross=gross,
        gross_currency=currency,
        fee=fee,
        order_ref=value("order_ref") or None,
        operation_ref=reference or None,
        provider_payment_ref=value("provider_payment_ref") or None,
        provider_operation_ref=value("provider_operation_ref") or None,
        occurred_at=cells.timestamp(value("occurred_at"), line, "occurred_at"),
        booked_at=cells.timestamp(value("booked_at"), line, "booked_at"),
        raw=raw,
    )


def getter(
    mapping: ColumnMapping, row: list[str], names: list[str]
) -> Callable[[str], str]:
    """The cell a field names: by position, or by header name."""

    def value(field: str) -> str:
        where = mapping.columns.get(field)
        if where is None:
            return ""
        index = names.index(str(where).casefold()) if mapping.header else int(where)
        return row[index].strip() if index < len(row) else ""

    return value


def parse_csv(text: str, mapping: ColumnMapping, provider: str) -> ParsedFile:
    """A whole CSV read through the mapping.

    A batch per ``batch_id`` column value, or one named after the file's checksum.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise SettlementFileError(1, None, "the file is empty")
    reader = csv.reader(lines, delimiter=delimiter_of(lines[0]), strict=True)
    names = _header(reader, mapping) if mapping.header else []
    fallback = "file-" + hashlib.sha256(text.encode()).hexdigest()[:16]
    batches = Batches(provider)
    count = 0
    try:
        for number, row in enumerate(reader, start=2 if mapping.header else 1):
            if not any(cell.strip() for cell in row) or not _is_record(mapping, row):
                continue
            count += 1
            _add(batches, mapping, number, row, names, fallback)
    except csv.Error as error:
        raise SettlementFileError(reader.line_num, None, f"not CSV: {error}") from None
    except IndexError:
        raise SettlementFileError(reader.line_num, None, "a row is too short") from None
    return batches.parsed(count)


def _header(reader: Iterator[list[str]], mapping: ColumnMapping) -> list[str]:
    names = [name.strip().casefold() for name in next(reader, [])]
    absent = [
        str(where)
        for where in mapping.columns.values()
        if str(where).casefold() not in names
    ]
    if absent:
        raise SettlementFileError(1, absent[0], "the mapping's column is missing")
    return names


def _is_record(mapping: ColumnMapping, row: list[str]) -> bool:
    column = mapping.record_column
    return column is None or row[column].strip() == mapping.record_value


def _add(
    batches: Batches,
    mapping: ColumnMapping,
    number: int,
    row: list[str],
    names: list[str],
    fallback: str,
) -> None:
    value = getter(mapping, row, names)
    currency = mapping.currency or value("currency")
    if not currency:
        raise SettlementFileError(number, "currency", "no currency is named")
    code = cells.currency(currency, number, "currency")
    raw = (
        dict(zip(names, row, strict=False))
        if names
        else {str(i): cell for i, cell in enumerate(row)}
    )
    batch = batches.get(value("batch_id") or fallback, code, number)
    parsed = mapped_line(number, value, mapping, code, raw)
    if parsed.line_type == "payout":
        batch.payout_amount = (batch.payout_amount or 0) - parsed.net
    batch.lines.append(parsed)
