"""Riverty's rounding: float noise in a decimal, net totals off by rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import TooManyDecimalsError, TotalsMismatchError
from domain.money import to_minor, without_float_noise
from domain.rules import check_totals
from tests.builders import item


@pytest.mark.parametrize(
    ("sent", "meant"),
    [
        ("-1.5999999999999996", "-1.60"),
        ("16.799999999999997", "16.80"),
        ("0.30000000000000004", "0.30"),
        ("239.41", "239.41"),
        ("12", "12.00"),
    ],
)
def test_float_noise_is_the_cent_it_meant(sent: str, meant: str):
    assert without_float_noise(Decimal(sent), "EUR") == Decimal(meant)


@pytest.mark.parametrize("sent", ["1.005", "1.0000001", "-0.123"])
def test_real_extra_decimals_are_still_refused(sent: str):
    with pytest.raises(TooManyDecimalsError):
        to_minor(without_float_noise(Decimal(sent), "EUR"), "EUR")


@given(
    cents=st.integers(min_value=-(10**12), max_value=10**12),
    noise=st.integers(min_value=-(10**6), max_value=10**6),
)
def test_noise_within_a_billionth_never_moves_a_cent(cents: int, noise: int):
    sent = Decimal(cents).scaleb(-2) + Decimal(noise).scaleb(-15)
    assert to_minor(without_float_noise(sent, "EUR"), "EUR") == cents


def test_net_may_be_off_by_one_unit_per_line_and_gross_never():
    items = [item(1, 1000, tax=200), item(2, 500, tax=100)]  # net 800 + 400
    check_totals(items, 1500, 1202)
    check_totals(items, 1500, 1198)
    with pytest.raises(TotalsMismatchError):
        check_totals(items, 1500, 1203)
    with pytest.raises(TotalsMismatchError):
        check_totals(items, 1501, 1200)
