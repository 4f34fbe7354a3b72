"""A column mapping: how to read a layout the provider did not fully publish.

A small JSON file per provider, supplied by the user, not code::

    {"columns": {"type": 4, "order_ref": 1, "operation_ref": 2, "refund_ref": 3,
                 "occurred_at": 5, "currency": 6, "gross": 7, "fee": 8, "net": 9},
     "amounts": "minor", "record": {"column": 0, "value": "T"},
     "types": {"SALE": "capture", "REFUND": "refund", "DISPUTE": "chargeback"}}

Columns are 0-based positions, or header names when the file has a header
row (``"header": true``). ``types`` maps the file's row types to the
ledger's line types; a type not named is ``other``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from settlements.model import LINE_TYPES

FIELDS: Final = (
    "batch_id",
    "type",
    "order_ref",
    "operation_ref",
    "refund_ref",
    "provider_payment_ref",
    "provider_operation_ref",
    "occurred_at",
    "booked_at",
    "currency",
    "gross",
    "fee",
    "net",
)
REQUIRED: Final = ("type", "net")
DIRECTIONS: Final = {
    "capture": 1,
    "refund": -1,
    "chargeback": -1,
    "chargeback_reversal": 1,
    "refund_reversal": 1,
    "fee": -1,
    "payout": -1,
}
MAX_BYTES: Final = 16_384


class MappingError(ValueError):
    """A mapping the ledger cannot use; the message says which part."""


@dataclass(frozen=True)
class ColumnMapping:
    columns: dict[str, int | str]
    types: dict[str, str]
    amounts: str = "minor"  # or "major": decimals in the currency's units
    header: bool = False
    record_column: int | None = None
    record_value: str | None = None
    currency: str | None = None  # when no column names it
    raw: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps(self.raw, sort_keys=True)


def load(text: str) -> ColumnMapping:
    """A mapping from its JSON text; a MappingError says what is wrong."""
    if len(text.encode()) > MAX_BYTES:
        msg = f"a mapping is at most {MAX_BYTES} bytes"
        raise MappingError(msg)
    try:
        document = json.loads(text)
    except ValueError as error:
        msg = f"a mapping is JSON: {error}"
        raise MappingError(msg) from None
    if not isinstance(document, dict):
        msg = "a mapping is a JSON object"
        raise MappingError(msg)
    return from_document(document)


def from_document(document: dict[str, Any]) -> ColumnMapping:
    header = document.get("header", False)
    columns = document.get("columns")
    if not isinstance(header, bool) or not isinstance(columns, dict):
        msg = "'columns' must be an object and 'header' true or false"
        raise MappingError(msg)
    unknown = sorted(set(columns) - set(FIELDS))
    missing = [name for name in REQUIRED if name not in columns]
    if unknown or missing:
        msg = (
            f"unknown columns {unknown}, missing {missing}; known: {', '.join(FIELDS)}"
        )
        raise MappingError(msg)
    wanted = str if header else int
    for name, where in columns.items():
        if isinstance(where, bool) or not isinstance(where, wanted):
            kind = "a header name" if header else "a 0-based position"
            msg = f"column {name!r} must be {kind}"
            raise MappingError(msg)
        if isinstance(where, int) and not 0 <= where < 1000:  # noqa: PLR2004
            msg = f"column {name!r} is out of range"
            raise MappingError(msg)
    types = document.get("types", {})
    if not isinstance(types, dict) or not all(
        isinstance(key, str) and value in LINE_TYPES for key, value in types.items()
    ):
        msg = f"'types' maps the file's types to one of {', '.join(LINE_TYPES)}"
        raise MappingError(msg)
    amounts = document.get("amounts", "minor")
    if amounts not in ("minor", "major"):
        msg = "'amounts' is 'minor' or 'major'"
        raise MappingError(msg)
    record = document.get("record") or {}
    if not isinstance(record, dict):
        msg = "'record' is {'column': N, 'value': 'T'}"
        raise MappingError(msg)
    currency = document.get("currency")
    if currency is not None and not isinstance(currency, str):
        msg = "'currency' is an ISO 4217 code"
        raise MappingError(msg)
    return ColumnMapping(
        columns=dict(columns),
        types={key.casefold(): value for key, value in types.items()},
        amounts=amounts,
        header=header,
        record_column=record.get("column"),
        record_value=record.get("value"),
        currency=currency,
        raw=document,
    )


# Riverty's EPA transaction lines were not published where we looked
# (FORMATS.md §2.5, [U]): this default reads the layout of the project's
# synthetic sample. A merchant with a real EPA supplies its own mapping.
RIVERTY_DEFAULT: Final = from_document(
    {
        "columns": {
            "order_ref": 1,
            "operation_ref": 2,
            "refund_ref": 3,
            "type": 4,
            "occurred_at": 5,
            "currency": 6,
            "gross": 7,
            "fee": 8,
            "net": 9,
        },
        "amounts": "minor",
        "record": {"column": 0, "value": "T"},
        "types": {
            "SALE": "capture",
            "REFUND": "refund",
            "DISPUTE": "chargeback",
            "DISPUTE_REVERSAL": "chargeback_reversal",
            "FEE": "fee",
            "ADJUSTMENT": "adjustment",
        },
    }
)
