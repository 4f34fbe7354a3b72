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


def test_a_capture_snapshot_from_before_movable_shares_has_the_same_digest():
    from domain.snapshots import state_digest  # noqa: PLC0415
    from domain.values import Allocation, CaptureRecord  # noqa: PLC0415

    old = CaptureRecord("P", None, (Allocation(1, 100),), (Allocation(1, 10),), 1)
    folded = CaptureRecord(
        "P", None, (Allocation(1, 100),), (Allocation(1, 10),), 1,
        movable=(Allocation(1, 10),),
    )  # fmt: skip
    assert state_digest({"captures": {"C": old}}) == state_digest(
        {"captures": {"C": folded}}
    )
    assert state_digest({"captures": {"C": old}}) != state_digest(
        {"captures": {"C": CaptureRecord("P", None, (Allocation(1, 100),))}}
    )
