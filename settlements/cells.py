"""Reading one cell of a report: amounts, currencies, times, exactly or not at all.

Every error names the line and the column, so a refused file says where.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache, lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import get_currency_precision, list_currencies

from settlements.model import SettlementFileError

DECIMAL: Final = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
INTEGER: Final = re.compile(r"[+-]?[0-9]+")
# Ten billion in major units a cell: a file's sum of millions of cells still
# fits the bigint it is summed into.
MAX_MINOR: Final = 10**12
# The abbreviations Adyen writes in its TimeZone columns that are not zone keys.
ABBREVIATIONS: Final = {
    "BST": 1,
    "CEST": 2,
    "EEST": 3,
    "PDT": -7,
    "PST": -8,
    "EDT": -4,
    "CDT": -5,
    "MDT": -6,
}


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency(text: str, line: int, column: str) -> str:
    code = text.strip().upper()
    if code not in _currencies():
        raise SettlementFileError(line, column, f"{text!r} is not an ISO 4217 currency")
    return code


@cache
def exponent(code: str) -> int:
    return int(get_currency_precision(code))


def decimal_minor(text: str, code: str, line: int, column: str) -> int:
    """A decimal amount in major units (``"-38.81"``) as signed minor units."""
    cell = text.strip()
    if not DECIMAL.fullmatch(cell):
        raise SettlementFileError(line, column, f"{text!r} is not a decimal amount")
    places = exponent(code)
    whole, _, fraction = cell.partition(".")
    fraction = fraction.rstrip("0")
    if len(fraction) > places:
        raise SettlementFileError(
            line, column, f"{text!r} has more decimals than {code} has minor units"
        )
    sign = -1 if whole.startswith("-") else 1
    units = abs(int(whole)) * 10**places + int(fraction.ljust(places, "0") or "0")
    return _bounded(sign * units, line, column)


def integer_minor(text: str, line: int, column: str) -> int:
    """An amount already in minor units (``"282732"``)."""
    cell = text.strip()
    if not INTEGER.fullmatch(cell):
        raise SettlementFileError(line, column, f"{text!r} is not an integer amount")
    return _bounded(int(cell), line, column)


def json_minor(value: object, line: int, column: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettlementFileError(line, column, f"{value!r} is not an integer amount")
    return _bounded(value, line, column)


def _bounded(value: int, line: int, column: str) -> int:
    if abs(value) > MAX_MINOR:
        raise SettlementFileError(line, column, "the amount is out of range")
    return value


def optional_decimal_minor(text: str, code: str, line: int, column: str) -> int:
    return decimal_minor(text, code, line, column) if text.strip() else 0


def signed_by_type(value: int, direction: int, line: int, column: str) -> int:
    """The amount with the direction its row type documents (+1, −1; 0: either).

    A file may write magnitudes or signed amounts; a sign against the type is
    a contradiction the ledger refuses instead of guessing.
    """
    if direction == 0 or value == 0:
        return value
    if value > 0 > direction:  # a magnitude, as the type says
        return -value
    if value < 0 < direction:
        raise SettlementFileError(
            line, column, "the amount's sign contradicts the row's type"
        )
    return value


@cache
def zone(name: str) -> timezone | ZoneInfo:
    label = name.strip()
    if not label:
        return UTC
    if label.upper() in ABBREVIATIONS:
        return timezone(timedelta(hours=ABBREVIATIONS[label.upper()]))
    try:
        return ZoneInfo(label)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _as_written(text: str, line: int, column: str) -> datetime | None:
    """ISO 8601, ``YYYY-MM-DD HH:MM:SS``, ``YYYY-MM-DD`` or ``YYYYMMDD``."""
    cell = text.strip()
    if not cell:
        return None
    try:
        return _parsed(cell)
    except ValueError:
        raise SettlementFileError(line, column, f"{text!r} is not a date") from None


@lru_cache(maxsize=4096)  # a report repeats its booking and payout dates
def _parsed(cell: str) -> datetime:
    if re.fullmatch(r"[0-9]{8}", cell):
        parsed = datetime.strptime(cell, "%Y%m%d")  # noqa: DTZ007 - as written
    else:
        parsed = datetime.fromisoformat(cell)
    if not 1970 <= parsed.year <= 9998:  # noqa: PLR2004 - SPEC §12's range
        msg = "out of range"
        raise ValueError(msg)
    return parsed


def timestamp(
    text: str, line: int, column: str, tz: timezone | ZoneInfo = UTC
) -> datetime | None:
    """The instant, in UTC; a time without a zone is in ``tz``."""
    parsed = _as_written(text, line, column)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def day(text: str, line: int, column: str) -> date | None:
    """The date as the file wrote it, in its own zone: a payout's value date."""
    parsed = _as_written(text, line, column)
    return parsed.date() if parsed else None


def text_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
