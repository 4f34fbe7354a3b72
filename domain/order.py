"""The Order aggregate: one per (account, order id); its events are the audit record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.audited import AuditedAggregate
from domain.bounds import check_id, check_path_id, reference_key
from domain.context import current_facts
from domain.errors import InvalidItemError
from domain.money import check_currency
from domain.order_money import MoneyCommands
from domain.order_replace import ReplaceCommand
from domain.rules import check_details, check_new_items
from domain.values import (
    Allocation,
    CaptureRecord,
    Item,
    Line,
    Metadata,
    OrderDetails,
    RequestedLine,
    Shipment,
)

ORDER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:order-ledger:order")


def order_uuid(account: str, order_ref: str) -> UUID:
    """Deterministic aggregate id, so a lookup by order id needs no index.

    Order ids are not case-sensitive (some PSPs' order numbers are not, and
    every dialect shares one namespace): ``A-1`` and ``a-1`` are one order.
    """
    return uuid5(ORDER_NAMESPACE, f"{account}\x1f{reference_key(order_ref)}")


def _no_facts(state: dict[str, object]) -> None:
    """Money events before SPEC §10 carried no PSP business time or metadata."""
    state["processed_at"] = None
    state["metadata"] = None


class Order(MoneyCommands, ReplaceCommand, AuditedAggregate):
    # v2 keeps referenced captures, v3 the merchant's details (older snapshots
    # lack them)
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, object]) -> None:
        state["captures"] = {}

    @staticmethod
    def upcast_v2_v3(state: dict[str, object]) -> None:
        state["details"] = None

    class Event(AuditedAggregate.Event):
        """An event of one order."""

    class MoneyEvent(Event):
        """A money event: also the PSP's business time and metadata, if given."""

        processed_at: datetime | None = field(
            default_factory=lambda: current_facts().processed_at, kw_only=True
        )
        metadata: Metadata | None = field(
            default_factory=lambda: current_facts().metadata, kw_only=True
        )

    class Opened(Event, Aggregate.Created):
        account: str
        order_ref: str
        currency: str

    class ItemAdded(Event):
        item: Item

    class ItemReversed(Event):
        item: Item

    class DetailsRecorded(Event):
        details: OrderDetails

    class Authorized(MoneyEvent):
        class_version = 2
        payment_id: str
        items: tuple[Allocation, ...]
        expires_at: datetime

        upcast_v1_v2 = staticmethod(_no_facts)

    class Captured(MoneyEvent):
        class_version = 3
        payment_id: str
        items: tuple[Allocation, ...]
        reference: str | None
        invoice_number: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["invoice_number"] = None

        upcast_v2_v3 = staticmethod(_no_facts)

    class Refunded(MoneyEvent):
        """``requested``: refund lines as sent that named no order line (v4)."""

        class_version = 4
        payment_id: str
        items: tuple[Allocation, ...]
        reference: str | None
        capture_reference: str | None
        requested: tuple[RequestedLine, ...] | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["capture_reference"] = None

        upcast_v2_v3 = staticmethod(_no_facts)

        @staticmethod
        def upcast_v3_v4(state: dict[str, object]) -> None:
            state["requested"] = None

    class AuthorizationReleased(MoneyEvent):
        class_version = 2
        payment_id: str
        items: tuple[Allocation, ...]
        reason: str

        upcast_v1_v2 = staticmethod(_no_facts)

    class RefundSharesMoved(Event):
        """Free-amount refund shares moved between a capture's lines.

        ``items`` are signed changes of the lines' refunded money (they sum to
        zero): the capture, the payment and the order refunded as much as
        before, so a refund of a line's own goods finds its room. History is
        not edited: the earlier refund stays as it was recorded.
        """

        payment_id: str
        capture_reference: str
        items: tuple[Allocation, ...]

    class AuthorizationExtended(Event):
        payment_id: str
        expires_at: datetime

    class ShippingRecorded(Event):
        """A capture's shipment (carrier, tracking); it moves no money."""

        capture_reference: str
        shipment: Shipment

    class PaymentOperationFailed(MoneyEvent):
        class_version = 2
        operation: str
        payment_id: str
        items: tuple[Allocation, ...]
        reason: str | None

        upcast_v1_v2 = staticmethod(_no_facts)

    class OrderReplaced(Event):
        items: tuple[Item, ...]
        payment_id: str | None
        authorization: tuple[Allocation, ...]
        authorized_change: int
        increase: int
        risk_outcome: str | None
        risk_messages: tuple[str, ...]

    class UpdateRejected(Event):
        items: tuple[Item, ...]
        increase: int
        risk_outcome: str
        risk_messages: tuple[str, ...]

    @classmethod
    def open(
        cls,
        account: str,
        order_ref: str,
        currency: str,
        items: Sequence[Item],
        details: OrderDetails | None = None,
    ) -> Order:
        """A new order with its first items (validated before any event)."""
        if not account or not order_ref:
            raise InvalidItemError("order_id", "account and order id are required")
        check_id(account, "account")
        check_path_id(order_ref, "order_id")
        check_currency(currency)
        check_new_items(items, (), ())
        if details:
            check_details(details)
        order = cls._create(
            cls.Opened,
            id=order_uuid(account, order_ref),
            account=account,
            order_ref=order_ref,
            currency=currency,
        )
        if details:
            order._details_recorded(details)  # noqa: SLF001 - its own class
        order._add_checked(items)  # noqa: SLF001 - its own class, before first save
        return order

    @event(Opened)
    def __init__(self, account: str, order_ref: str, currency: str) -> None:
        self.account = account
        self.order_ref = order_ref
        self.currency = currency
        self.lines: list[Line] = []
        self.retired_line_ids: list[int] = []
        self.expiry: dict[str, datetime] = {}
        self.captures: dict[str, CaptureRecord] = {}
        self.details: OrderDetails | None = None

    @event(DetailsRecorded)
    def _details_recorded(self, details: OrderDetails) -> None:
        self.details = details

    # --- item commands -----------------------------------------------------

    def add_items(self, items: Sequence[Item], currency: str | None = None) -> None:
        """Add items and reversal lines in one go; all are checked before any."""
        self.check_order_currency(currency)
        check_new_items(items, self.lines, self.retired_line_ids)
        self._add_checked(items)

    def _add_checked(self, items: Sequence[Item]) -> None:
        for item in items:
            if item.reverses is None:
                self._item_added(item)
            else:
                self._item_reversed(item)

    @event(ItemAdded)
    def _item_added(self, item: Item) -> None:
        self.lines.append(Line(item))

    @event(ItemReversed)
    def _item_reversed(self, item: Item) -> None:
        self.lines.append(Line(item))

    def _move(
        self, payment_id: str, items: Sequence[Allocation], attribute: str
    ) -> None:
        lines = self.lines_by_id
        for allocation in items:
            balance = lines[allocation.line_id].balance_for_update(payment_id)
            setattr(balance, attribute, getattr(balance, attribute) + allocation.amount)

    @event(Authorized)
    def _authorized(
        self, payment_id: str, items: tuple[Allocation, ...], expires_at: datetime
    ) -> None:
        self._move(payment_id, items, "authorized")
        self.expiry[payment_id] = max(
            expires_at, self.expiry.get(payment_id, expires_at)
        )

    @event(Captured)
    def _captured(
        self,
        payment_id: str,
        items: tuple[Allocation, ...],
        reference: str | None,
        invoice_number: str | None,
    ) -> None:
        self._move(payment_id, items, "captured")
        if reference is not None:
            self.captures[reference] = CaptureRecord(
                payment_id, invoice_number, tuple(items)
            )

    @event(Refunded)
    def _refunded(
        self,
        payment_id: str,
        items: tuple[Allocation, ...],
        reference: str | None,
        capture_reference: str | None,
        requested: tuple[RequestedLine, ...] | None = None,
    ) -> None:
        self._move(payment_id, items, "refunded")
        if capture_reference is not None:
            capture = self.captures[capture_reference]
            capture.refunded = (*capture.refunded, *items)
            capture.refunds += 1
            if requested and sum(a.amount for a in items) == sum(
                line.amount for line in requested
            ):  # only a refund wholly of free amounts: its shares are its own
                capture.movable = (*capture.movable, *items)

    @event(RefundSharesMoved)
    def _refund_shares_moved(
        self, payment_id: str, capture_reference: str, items: tuple[Allocation, ...]
    ) -> None:
        self._move(payment_id, items, "refunded")
        capture = self.captures[capture_reference]
        capture.refunded = (*capture.refunded, *items)
        capture.movable = (*capture.movable, *items)

    @event(AuthorizationReleased)
    def _released(
        self, payment_id: str, items: tuple[Allocation, ...], reason: str
    ) -> None:
        self._move(payment_id, items, "released")

    @event(AuthorizationExtended)
    def _authorization_extended(self, payment_id: str, expires_at: datetime) -> None:
        self.expiry[payment_id] = expires_at

    @event(ShippingRecorded)
    def _shipping_recorded(self, capture_reference: str, shipment: Shipment) -> None:
        """Kept in the events only: reads list a capture's shipments from them."""

    @event(PaymentOperationFailed)
    def _payment_operation_failed(
        self,
        operation: str,
        payment_id: str,
        items: tuple[Allocation, ...],
        reason: str | None,
    ) -> None:
        """Moves no money; the event is the record."""

    @event(OrderReplaced)
    def _order_replaced(  # noqa: PLR0913, PLR0917 - the event's fields
        self,
        items: tuple[Item, ...],
        payment_id: str | None,
        authorization: tuple[Allocation, ...],
        authorized_change: int,
        increase: int,
        risk_outcome: str | None,
        risk_messages: tuple[str, ...],
    ) -> None:
        kept = {item.line_id for item in items}
        self.retired_line_ids += [
            line.line_id for line in self.lines if line.line_id not in kept
        ]
        # A line with captured money stays with its balances; only its
        # outstanding authorization is spread again with the new lines'.
        captured = {
            line.line_id: line
            for line in self.lines
            if line.line_id in kept and line.has_captured
        }
        self.lines = [captured.get(item.line_id) or Line(item) for item in items]
        if payment_id is not None:
            for line in captured.values():
                if payment_id in line.payments:
                    balance = line.payments[payment_id]
                    balance.authorized -= balance.outstanding_authorized
            self._move(payment_id, authorization, "authorized")

    @event(UpdateRejected)
    def _update_rejected(
        self,
        items: tuple[Item, ...],
        increase: int,
        risk_outcome: str,
        risk_messages: tuple[str, ...],
    ) -> None:
        """Changes nothing; the event is the record of the refused update."""
