"""Value objects of an order: items, lines and their balances.

Integers are minor units. ``Balance`` and ``Line`` are the aggregate's mutable
state (snapshotted as they are); ``Item``, ``TaxLine`` and ``Allocation`` are
frozen and travel inside events.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Self

from domain.client_map import ClientMap, check_metadata


class Immutable:
    """A value never changed in place: a copy of an aggregate shares it.

    Every command works on a deep copy of its cached order; copying values
    that cannot change was a fifth of that copy's time.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self


class FlatRecord:
    """A mutable record whose fields are all values: a shallow copy is deep."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return copy(self)


# A client's own map, as events and answers carry it (a ``ClientMap`` once checked).
Metadata = Mapping[str, Any]

# A field added to a value after its events were first hashed: while it holds
# its default the hash chain leaves it out, so older events' hashes hold.
ADDED_LATER: Final = {"added_later": True}
# State a fold recomputes that older snapshots may lack: never compared.
DERIVED: Final = {"derived": True}


@dataclass(frozen=True)
class TaxLine(Immutable):
    amount: int
    percentage: Decimal
    # What else the client said of the tax (a tax code, a tax basis, …), kept
    # and shown again as it came (SPEC §5).
    extras: Metadata | None = field(default=None, metadata=ADDED_LATER)


@dataclass(frozen=True)
class Item(Immutable):
    """What was ordered on one line; ``reverses`` is set on a reversal line."""

    line_id: int
    item_id: str
    description: str
    quantity: Decimal
    gross_amount: int
    tax_lines: tuple[TaxLine, ...] = ()
    item_type: str | None = None
    unit_price: int | None = None
    description_alias: str | None = None
    reverses: int | None = None
    reversed_reason: str | None = None

    @property
    def net_amount(self) -> int:
        return self.gross_amount - sum(tax.amount for tax in self.tax_lines)


@dataclass(frozen=True)
class OrderDetails(Immutable):
    """What a merchant says about an order besides its items."""

    merchant_reference: str | None = None
    merchant_reference_2: str | None = None
    metadata: Metadata | None = None  # kept as a checked ``ClientMap``

    def __post_init__(self) -> None:
        if self.metadata is not None and not isinstance(self.metadata, ClientMap):
            object.__setattr__(self, "metadata", check_metadata(self.metadata))

    def __bool__(self) -> bool:
        return any(
            v is not None
            for v in (self.merchant_reference, self.merchant_reference_2, self.metadata)
        )


@dataclass(frozen=True)
class Allocation(Immutable):
    """An amount moved on one line (signed like the line)."""

    line_id: int
    amount: int


@dataclass
class Balance(FlatRecord):
    """Money moved on one line under one payment."""

    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    released: int = 0

    @property
    def outstanding_authorized(self) -> int:
        return self.authorized - self.released - self.captured

    def __iadd__(self, other: Balance) -> Self:
        self.authorized += other.authorized
        self.captured += other.captured
        self.refunded += other.refunded
        self.released += other.released
        return self


@dataclass
class Line:
    item: Item
    payments: dict[str, Balance] = field(default_factory=dict)

    @property
    def line_id(self) -> int:
        return self.item.line_id

    @property
    def sign(self) -> int:
        """+1, -1, or 0 for a zero line, which can carry no money."""
        return (self.item.gross_amount > 0) - (self.item.gross_amount < 0)

    @property
    def is_reversal(self) -> bool:
        return self.item.reverses is not None

    def balance(self, payment_id: str | None = None) -> Balance:
        """This line's balance under one payment, or summed over all payments."""
        if payment_id is not None:
            return self.payments.get(payment_id, Balance())
        total = Balance()
        for balance in self.payments.values():
            total += balance
        return total

    def balance_for_update(self, payment_id: str) -> Balance:
        return self.payments.setdefault(payment_id, Balance())

    @property
    def has_captured(self) -> bool:
        """Captured money under any payment, even where it nets to zero."""
        return any(balance.captured for balance in self.payments.values())


@dataclass(frozen=True)
class RequestedLine(Immutable):
    """A refund line as the PSP sent it that names no order line.

    Shops refund a free amount as one line (a goodwill ``REFUND`` line); the
    ledger spreads it over the refundable lines and keeps the line as it was
    asked for, beside the spread, with the VAT the shop stated.
    """

    product_id: str
    description: str
    amount: int  # minor units asked for, as a positive magnitude
    vat_percent: Decimal | None = field(default=None, metadata=ADDED_LATER)
    vat_amount: int | None = field(default=None, metadata=ADDED_LATER)  # magnitude


@dataclass(frozen=True)
class Shipment(Immutable):
    """How a capture's goods travel: a carrier and its tracking (or a return)."""

    kind: str  # "shipment" or "return"
    carrier: str
    tracking_id: str
    tracking_url: str | None = None


@dataclass
class CaptureRecord(FlatRecord):
    """One referenced capture, so refunds can be bounded by what it captured."""

    payment_id: str
    invoice_number: str | None
    captured: tuple[Allocation, ...]
    refunded: tuple[Allocation, ...] = ()
    refunds: int = 0
    # What free-amount refunds spread on each line (signed, like ``refunded``):
    # shares a later refund of the line itself may move to the capture's
    # other lines, since a PSP accounts refunds against the capture.
    # Derived from the events, kept for speed: a snapshot taken before it existed
    # lacks it and must still match its events (it is left out of the digest).
    movable: tuple[Allocation, ...] = field(default=(), metadata=DERIVED)

    def movable_on(self, line_id: int) -> int:
        return sum(a.amount for a in self.movable if a.line_id == line_id)

    def remaining(self, line_id: int) -> int:
        """What this capture still has on a line that is not refunded."""
        captured = sum(a.amount for a in self.captured if a.line_id == line_id)
        return captured - sum(a.amount for a in self.refunded if a.line_id == line_id)

    def refundable_items(self) -> list[Allocation]:
        lines = dict.fromkeys(a.line_id for a in self.captured)
        return [Allocation(lid, r) for lid in lines if (r := self.remaining(lid))]


class RiskOutcome(StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"
    NOT_EVALUATED = "NotEvaluated"


@dataclass(frozen=True)
class RiskDecision(Immutable):
    outcome: RiskOutcome
    messages: tuple[str, ...] = ()


class OrderStatus(StrEnum):
    OPEN = "open"
    AUTHORIZED = "authorized"
    PART_CAPTURED = "part_captured"
    CAPTURED = "captured"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
