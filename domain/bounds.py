"""What fits (SPEC §12): the one definition both dialects and the domain check.

Every value an event stores is written again later: to ``bigint`` and
``integer`` columns of the read models, to ``text`` columns (PostgreSQL
refuses NUL), into CSV exports. A value that does not fit there would be
accepted once and then fail every projection and report for good, so it is
refused before any event exists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from domain.errors import InvalidAmountError, InvalidTextError, OutOfBoundsError

MAX_MINOR: Final = 2**63 - 1  # PostgreSQL bigint, after every sum
MAX_INT4: Final = 2**31 - 1  # PostgreSQL integer: line ids, quantities
# A per-line default a deployment can lower or raise (LEDGER_MAX_LINE_AMOUNT):
# ten billion in major units, far beyond any real order line.
DEFAULT_MAX_LINE_MINOR: Final = 10**12
MAX_ID_LENGTH: Final = 255  # ids and references: order, item, payment, capture
MAX_TEXT_LENGTH: Final = 4096  # descriptions, reasons
MAX_QUANTITY_DECIMALS: Final = 20  # a float's 1/3 has 16; bounds decimal work
# C0 and C1 controls (NUL included) and lone surrogates, which UTF-8 cannot hold.
_FORBIDDEN: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def check_int(value: object, field: str, low: int, high: int) -> int:
    """An exact integer (never a bool or float) within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmountError(field, repr(value), "must be an integer")
    if not low <= value <= high:
        raise OutOfBoundsError(field, str(value), low, high)
    return value


def check_amount(value: object, field: str, limit: int = MAX_MINOR) -> int:
    """A signed amount in minor units whose magnitude is at most ``limit``."""
    return check_int(value, field, -limit, limit)


def check_sum(values: Iterable[int], field: str) -> int:
    """The sum of magnitudes fits ``bigint``, so every partial sum does too."""
    total = sum(abs(value) for value in values)
    if total > MAX_MINOR:
        raise OutOfBoundsError(field, str(total), -MAX_MINOR, MAX_MINOR)
    return total


def check_quantity(value: Decimal, field: str = "quantity") -> Decimal:
    """A finite quantity above zero that fits a PostgreSQL ``integer``."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise OutOfBoundsError(field, repr(value), 0, MAX_INT4)
    if not 0 < value <= MAX_INT4:
        raise OutOfBoundsError(field, str(value), 0, MAX_INT4)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_QUANTITY_DECIMALS:
        reason = f"more than {MAX_QUANTITY_DECIMALS} decimal places"
        raise InvalidAmountError(field, str(value), reason)
    return value


def check_text(
    value: object,
    field: str,
    *,
    max_length: int = MAX_TEXT_LENGTH,
    required: bool = False,
) -> str:
    """A string without control characters, within ``max_length``.

    ``required``: also non-blank and without surrounding whitespace, as ids
    and order numbers must be (a trailing space would make a second order).
    """
    if not isinstance(value, str):
        raise InvalidTextError(field, f"{type(value).__name__} is not a string")
    if len(value) > max_length:
        raise InvalidTextError(field, f"longer than {max_length} characters")
    if _FORBIDDEN.search(value):
        raise InvalidTextError(field, "contains a control character")
    if required and (not value.strip() or value != value.strip()):
        raise InvalidTextError(field, "blank or surrounded by whitespace")
    return value


def check_id(value: object, field: str) -> str:
    return check_text(value, field, max_length=MAX_ID_LENGTH, required=True)


# Characters a path segment cannot carry as they are (SPEC §12).
_UNADDRESSABLE: Final = re.compile(r"[/\\?#%]")


def check_path_id(value: object, field: str) -> str:
    """An id that is also a path segment, so it can be addressed again."""
    text = check_id(value, field)
    if _UNADDRESSABLE.search(text) or text in {".", ".."}:
        raise InvalidTextError(field, "cannot hold / \\ ? # % or be . or ..")
    return text


def reference_key(value: str) -> str:
    """An id as it is looked up: composed (NFC) and in any case (SPEC §12).

    Order numbers and capture numbers are not case-sensitive, and a composed
    and a decomposed ``Å`` are one character: twins under this key are one id.
    """
    return unicodedata.normalize("NFC", value).casefold()


def check_optional_id(value: str | None, field: str) -> str | None:
    return None if value is None else check_id(value, field)


def check_optional_text(value: str | None, field: str) -> str | None:
    return None if value is None else check_text(value, field)


EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def check_time(value: datetime, field: str) -> datetime:
    """An aware time within 1970-9999 in UTC, as every column and format holds it.

    ``0001-01-01T00:00:00+01:00`` is year 0 in UTC, which Python and
    PostgreSQL's date filters cannot hold; answers would fail for good.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTextError(field, "a time needs its UTC offset")
    try:
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc <= LATEST:
        raise InvalidTextError(field, "must lie within 1970-9999 in UTC")
    return in_utc
