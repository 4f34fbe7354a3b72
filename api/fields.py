"""Field types every surface shares, so SPEC §12's rules are stated once.

Each wraps a domain check (domain/bounds.py, domain/client_map.py): the
schemas refuse what does not fit before a command runs, with the field's
name, and the domain checks again for callers that are not HTTP.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from fastapi import HTTPException
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
)

from domain.bounds import check_path_id, check_time
from domain.client_map import ClientMap, check_metadata
from domain.errors import LedgerError


def _moment(value: datetime) -> datetime:
    try:
        check_time(value, "time")
    except LedgerError:
        msg = "must lie within the years 1970-9999 in UTC"
        raise ValueError(msg) from None
    return value


def query_time(value: datetime | None, name: str) -> datetime | None:
    """A time a query parameter gives: 400 without its offset or out of range."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise HTTPException(400, f"{name} needs a time zone (RFC 3339)")
    try:
        check_time(value, name)
    except LedgerError as error:
        raise HTTPException(400, str(error)) from None
    return value


def _client_map(value: dict[str, Any]) -> ClientMap:
    try:
        return check_metadata(value)
    except LedgerError as error:
        raise ValueError(str(error)) from None


def _path_id(value: str) -> str:
    try:
        return check_path_id(value, "id")
    except LedgerError as error:
        raise ValueError(str(error).removeprefix("id: ")) from None


# An RFC 3339 time with its offset, within 1970-9999 once in UTC.
Moment = Annotated[AwareDatetime, AfterValidator(_moment)]

# A client's own JSON object: any plain JSON, bounded, kept as data.
ClientJson = Annotated[
    dict[str, Any],
    AfterValidator(_client_map),
    PlainSerializer(dict, return_type=dict[str, Any]),
    Field(json_schema_extra={"maxProperties": 50}),
]

# An id that becomes a path segment: no ``/``, ``\\``, ``?``, ``#``, ``%``,
# never ``.`` or ``..``, so the value can be addressed again.
Addressable = AfterValidator(_path_id)
PathId = Annotated[str, Field(min_length=1, max_length=255), Addressable]


# A decimal as JSON writes one, in ASCII digits: not "١٢٣", "１００" or "1_000",
# which Python's Decimal would read as numbers.
_DECIMAL_TEXT: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _decimal_text(value: object) -> object:
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value.strip()):
        msg = "a number in ASCII digits, e.g. 239.41"
        raise ValueError(msg)
    if isinstance(value, float):
        return Decimal(repr(value))  # a caller's float, read as its shortest text
    return value


# An amount or quantity read exactly from its text, never through a float.
DecimalText = Annotated[Decimal, BeforeValidator(_decimal_text)]
