"""Money in integer minor units; ``Decimal`` only at the edges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Final

from domain.bounds import MAX_MINOR, check_amount, check_quantity
from domain.errors import (
    InvalidAmountError,
    OutOfBoundsError,
    TooManyDecimalsError,
    UnsupportedCurrencyError,
)

EXPONENTS: Final[dict[str, int]] = {"EUR": 2, "NOK": 2, "SEK": 2, "DKK": 2, "CHF": 2}
_MAX_MAJOR: Final = Decimal(MAX_MINOR)  # above any currency's minor-unit bound


def check_currency(currency: str) -> str:
    """Return ``currency`` if the ledger supports it, else raise."""
    if currency not in EXPONENTS:
        raise UnsupportedCurrencyError(currency, sorted(EXPONENTS))
    return currency


def check_minor(amount_minor: object, field: str = "amount") -> int:
    """Return ``amount_minor`` if it is an exact integer (never a float or bool)."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidAmountError(field, repr(amount_minor), "must be an integer")
    return amount_minor


def _as_decimal(value: Decimal | str | int, field: str) -> Decimal:
    if isinstance(value, (float, bool)):
        raise InvalidAmountError(field, repr(value), "floats are never money")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        raise InvalidAmountError(field, repr(value), "not a number") from None
    if not number.is_finite():
        raise InvalidAmountError(field, repr(value), "not a finite number")
    return number


def to_minor(major: Decimal | str | int, currency: str, field: str = "amount") -> int:
    """Convert decimal major units exactly; more decimals than the currency has fail.

    ``to_minor("239.41", "EUR") == 23941``; ``to_minor("1.005", "EUR")`` raises
    :class:`TooManyDecimalsError` instead of rounding.
    """
    exponent = EXPONENTS[check_currency(currency)]
    number = _as_decimal(major, field)
    if abs(number) > _MAX_MAJOR:
        # Refused before scaling: 1e999999 would overflow the decimal context.
        raise OutOfBoundsError(field, str(major), -MAX_MINOR, MAX_MINOR)
    scaled = number.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise TooManyDecimalsError(field, str(major), exponent)
    return int(scaled)


# How far a decimal may be from the currency's grid and still be read as the
# amount a float meant: ``-1.5999999999999996`` is -1.60 (SPEC §6).
FLOAT_NOISE: Final = Decimal("1e-9")


def without_float_noise(
    major: Decimal | str | int, currency: str, field: str = "amount"
) -> Decimal:
    """``major`` rounded to the currency's decimals if it is float noise of them.

    Within ``FLOAT_NOISE`` of a minor unit it is that unit; further away it is
    returned as it is, so :func:`to_minor` refuses the extra decimals.
    """
    exponent = EXPONENTS[check_currency(currency)]
    number = _as_decimal(major, field)
    if abs(number) > _MAX_MAJOR:
        return number  # to_minor refuses it, by its size
    with localcontext() as context:
        context.prec = 100
        nearest = number.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)
        return nearest if abs(number - nearest) <= FLOAT_NOISE else number


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Integer minor units as a ``Decimal`` in major units, for reports only."""
    exponent = EXPONENTS[check_currency(currency)]
    return Decimal(check_minor(amount_minor)).scaleb(-exponent)


def line_amount_minor(
    unit_price: Decimal | str | int,
    quantity: Decimal | str | int,
    currency: str,
    field: str = "unitPrice",
) -> int:
    """``round_half_up(unit_price × quantity, exponent)`` in minor units.

    The unit price itself must be exact to the currency's decimals; the product
    with a decimal quantity is rounded half up (away from zero on a tie).
    """
    exponent = EXPONENTS[check_currency(currency)]
    price_minor = check_amount(to_minor(unit_price, currency, field), field)
    count = check_quantity(_as_decimal(quantity, "quantity"))
    # Enough digits for bigint × integer and the quantity's own decimals:
    # the default 28 would raise InvalidOperation on a large product.
    with localcontext() as context:
        context.prec = 100  # 19 + 10 digits, plus at most 20 decimals
        amount = Decimal(price_minor).scaleb(-exponent) * count
        quantum = Decimal(1).scaleb(-exponent)
        minor = int(amount.quantize(quantum, rounding=ROUND_HALF_UP).scaleb(exponent))
    return check_amount(minor, field)


def allocate(total_minor: int, weights: list[int]) -> list[int]:
    """Split ``total_minor`` over ``weights`` by largest remainder; parts sum to total.

    Ties in the remainder go to the earlier weight, so the result is stable in
    line order.
    """
    check_minor(total_minor, "total")
    if total_minor < 0:
        return [-part for part in allocate(-total_minor, weights)]
    weight_sum = sum(weights)
    if not weights or weight_sum == 0 or min(weights) < 0:
        raise InvalidAmountError("weights", repr(weights), "need non-negative weights")
    floors = [total_minor * w // weight_sum for w in weights]
    remainders = [
        total_minor * w - f * weight_sum for w, f in zip(weights, floors, strict=True)
    ]
    shortfall = total_minor - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in order[:shortfall]:
        floors[index] += 1
    return floors
