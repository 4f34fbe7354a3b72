from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import (
    InvalidAmountError,
    TooManyDecimalsError,
    UnsupportedCurrencyError,
)
from domain.money import (
    EXPONENTS,
    allocate,
    check_minor,
    line_amount_minor,
    to_major,
    to_minor,
)


class TestToMinor:
    @pytest.mark.parametrize(
        ("major", "minor"),
        [
            ("239.41", 23941),
            ("285", 28500),
            ("0.1", 10),
            ("-398.00", -39800),
            (Decimal("1.10"), 110),
        ],
    )
    def test_exact_conversion(self, major, minor):
        assert to_minor(major, "EUR") == minor

    def test_three_decimals_is_the_400_007_error(self):
        with pytest.raises(TooManyDecimalsError) as info:
            to_minor("400.007", "EUR", field="grossUnitPrice")
        assert info.value.code == "too_many_decimals"
        assert info.value.extensions()["field"] == "grossUnitPrice"

    def test_trailing_zeros_beyond_two_decimals_are_exact(self):
        assert to_minor("1.500", "NOK") == 150

    @pytest.mark.parametrize("bad", [1.5, "abc", "NaN", "Infinity", True])
    def test_floats_and_non_numbers_are_rejected(self, bad):
        with pytest.raises(InvalidAmountError):
            to_minor(bad, "EUR")

    def test_unknown_currency_is_rejected(self):
        with pytest.raises(UnsupportedCurrencyError) as info:
            to_minor("1", "USD")
        assert info.value.code == "unsupported_currency"

    def test_the_five_currencies(self):
        assert set(EXPONENTS) == {"EUR", "NOK", "SEK", "DKK", "CHF"}

    @given(st.integers(min_value=-(10**15), max_value=10**15))
    def test_round_trip_through_major_units(self, minor):
        assert to_minor(to_major(minor, "SEK"), "SEK") == minor


class TestCheckMinor:
    @pytest.mark.parametrize("bad", [1.0, True, "100", None, Decimal(1)])
    def test_only_int_is_money(self, bad):
        with pytest.raises(InvalidAmountError):
            check_minor(bad)


class TestLineAmount:
    def test_rounds_half_up(self):
        # 0.05 × 0.5 = 0.025 → 0.03
        assert line_amount_minor("0.05", "0.5", "EUR") == 3

    def test_rounds_half_away_from_zero_for_negative(self):
        assert line_amount_minor("-0.05", "0.5", "EUR") == -3

    def test_integer_quantity_is_exact(self):
        assert line_amount_minor("99.95", 3, "EUR") == 29985

    def test_unit_price_with_three_decimals_is_rejected(self):
        with pytest.raises(TooManyDecimalsError):
            line_amount_minor("1.005", 1, "EUR")


class TestAllocate:
    @given(
        st.integers(min_value=-(10**9), max_value=10**9),
        st.lists(
            st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20
        ).filter(any),
    )
    def test_parts_sum_to_the_whole(self, total, weights):
        parts = allocate(total, weights)
        assert sum(parts) == total
        assert len(parts) == len(weights)

    def test_remainder_goes_to_earlier_lines_on_a_tie(self):
        assert allocate(100, [1, 1, 1]) == [34, 33, 33]

    def test_zero_weights_are_rejected(self):
        with pytest.raises(InvalidAmountError):
            allocate(10, [0, 0])
