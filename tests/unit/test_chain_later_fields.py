"""A field added to a value after hashing began leaves older hashes intact."""

from __future__ import annotations

from decimal import Decimal

from domain.chain import plain
from domain.client_map import check_metadata
from domain.values import TaxLine


def test_a_tax_line_without_extras_hashes_as_before_they_existed():
    assert plain(TaxLine(1995, Decimal(25))) == {"amount": 1995, "percentage": "25"}


def test_a_tax_line_with_extras_hashes_them():
    extras = check_metadata({"tax_code": "3"}, "tax_lines[0]")
    assert plain(TaxLine(1995, Decimal(25), extras)) == {
        "amount": 1995,
        "percentage": "25",
        "extras": {"tax_code": "3"},
    }
