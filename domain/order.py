"""The Order aggregate: one per (account, order id); its events are the audit record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.audited import AuditedAggregate
from domain.bounds import check_amount, check_id, check_optional_id, check_text
from domain.errors import (
    AuthorizationExpiredError,
    CurrencyMismatchError,
    DuplicateReferenceError,
    InvalidItemError,
    NothingOutstandingError,
    ReversalRefundError,
    UnknownCaptureError,
    UnknownLineError,
    UnknownPaymentError,
)
from domain.money import check_currency
from domain.replacement import plan_replacement
from domain.rules import (
    Movement,
    check_new_items,
    check_payment_net,
    check_within,
    resolve_allocations,
)
from domain.values import (
    Allocation,
    Balance,
    CaptureRecord,
    Item,
    Line,
    OrderStatus,
    RiskDecision,
    RiskOutcome,
)

ORDER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:order-ledger:order")


def order_uuid(account: str, order_ref: str) -> UUID:
    """Deterministic aggregate id, so a lookup by order id needs no index."""
    return uuid5(ORDER_NAMESPACE, f"{account}\x1f{order_ref}")


class Order(AuditedAggregate):
    class_version = 2  # v2 keeps referenced captures (snapshots of v1 lack them)

    @staticmethod
    def upcast_v1_v2(state: dict[str, object]) -> None:
        state["captures"] = {}

    class Event(AuditedAggregate.Event):
        """An event of one order."""

    class Opened(Event, Aggregate.Created):
        account: str
        order_ref: str
        currency: str

    class ItemAdded(Event):
        item: Item

    class ItemReversed(Event):
        item: Item

    class Authorized(Event):
        payment_id: str
        items: tuple[Allocation, ...]
        expires_at: datetime

    class Captured(Event):
        class_version = 2
        payment_id: str
        items: tuple[Allocation, ...]
        reference: str | None
        invoice_number: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["invoice_number"] = None

    class Refunded(Event):
        class_version = 2
        payment_id: str
        items: tuple[Allocation, ...]
        reference: str | None
        capture_reference: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["capture_reference"] = None

    class AuthorizationReleased(Event):
        payment_id: str
        items: tuple[Allocation, ...]
        reason: str

    class AuthorizationExtended(Event):
        payment_id: str
        expires_at: datetime

    class PaymentOperationFailed(Event):
        operation: str
        payment_id: str
        items: tuple[Allocation, ...]
        reason: str | None

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
        cls, account: str, order_ref: str, currency: str, items: Sequence[Item]
    ) -> Order:
        """A new order with its first items (validated before any event)."""
        if not account or not order_ref:
            raise InvalidItemError("order_id", "account and order id are required")
        check_id(account, "account")
        check_id(order_ref, "order_id")
        check_currency(currency)
        check_new_items(items, (), ())
        order = cls._create(
            cls.Opened,
            id=order_uuid(account, order_ref),
            account=account,
            order_ref=order_ref,
            currency=currency,
        )
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
        self.requests: dict[str, tuple[str | None, int]] = {}
        self.captures: dict[str, CaptureRecord] = {}

    # --- reads -------------------------------------------------------------

    def line(self, line_id: int) -> Line:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise UnknownLineError(line_id)

    @property
    def lines_by_id(self) -> dict[int, Line]:
        return {line.line_id: line for line in self.lines}

    @property
    def payment_ids(self) -> list[str]:
        return sorted({pid for line in self.lines for pid in line.payments})

    def reversals_of(self, line_id: int) -> list[Line]:
        return [line for line in self.lines if line.item.reverses == line_id]

    def refundable(self, line_id: int, payment_id: str | None = None) -> int:
        """``captured(L) + Σ captured(reversals) − refunded(L)``; 0 on a reversal."""
        line = self.line(line_id)
        if line.is_reversal:
            return 0
        captured = line.balance(payment_id).captured + sum(
            r.balance(payment_id).captured for r in self.reversals_of(line_id)
        )
        return captured - line.balance(payment_id).refunded

    def totals(self, payment_id: str | None = None) -> Balance:
        total = Balance()
        for line in self.lines:
            total += line.balance(payment_id)
        return total

    def total_refundable(self, payment_id: str | None = None) -> int:
        return sum(self.refundable(line.line_id, payment_id) for line in self.lines)

    @property
    def gross_total(self) -> int:
        return sum(line.item.gross_amount for line in self.lines)

    @property
    def status(self) -> OrderStatus:
        balances = [line.balance() for line in self.lines]
        if not any(b.authorized for b in balances):
            return OrderStatus.OPEN
        outstanding = any(b.outstanding_authorized for b in balances)
        if not any(b.captured for b in balances):
            return OrderStatus.AUTHORIZED if outstanding else OrderStatus.CANCELLED
        if outstanding:
            return OrderStatus.PART_CAPTURED
        if self.total_refundable() == 0 and any(b.refunded for b in balances):
            return OrderStatus.REFUNDED
        return OrderStatus.CAPTURED

    # --- item commands -----------------------------------------------------

    def add_items(self, items: Sequence[Item], currency: str | None = None) -> None:
        """Add items and reversal lines in one go; all are checked before any."""
        self._check_currency(currency)
        check_new_items(items, self.lines, self.retired_line_ids)
        self._add_checked(items)

    def next_line_id(self) -> int:
        used = [line.line_id for line in self.lines] + self.retired_line_ids
        return max(used, default=0) + 1

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

    # --- money commands ----------------------------------------------------

    def authorize(
        self,
        payment_id: str,
        items: Sequence[Allocation],
        expires_at: datetime,
        currency: str | None = None,
    ) -> None:
        self._check_currency(currency)
        check_id(payment_id, "payment_id")
        for line, amount in resolve_allocations(items, self.lines_by_id):
            room = (
                line.item.gross_amount
                - line.balance().authorized
                + line.balance().released
            )
            check_within(Movement.AUTHORIZE, line, amount, [(None, room)])
        self._check_payment_net(Movement.AUTHORIZE, payment_id, items)
        self._authorized(payment_id, tuple(items), expires_at)

    def capture(  # noqa: PLR0913, PLR0917
        self,
        payment_id: str,
        items: Sequence[Allocation],
        at: datetime,
        reference: str | None = None,
        currency: str | None = None,
        invoice_number: str | None = None,
    ) -> str | None:
        """Capture outstanding authorization; no items: all of the payment's.

        With an invoice number the capture gets a reference (``<order>-C<n>``)
        that refunds can name. Returns the reference.
        """
        self._check_currency(currency)
        check_id(payment_id, "payment_id")
        check_optional_id(reference, "reference")
        check_optional_id(invoice_number, "invoice_number")
        expires_at = self.expiry.get(payment_id)
        if expires_at is not None and at > expires_at:
            raise AuthorizationExpiredError(payment_id, expires_at.isoformat())
        items = items or self._all_outstanding(payment_id)
        if invoice_number is not None:
            if any(c.invoice_number == invoice_number for c in self.captures.values()):
                raise DuplicateReferenceError("invoice_number", invoice_number)
            reference = reference or f"{self.order_ref}-C{len(self.captures) + 1}"
        if reference is not None and reference in self.captures:
            raise DuplicateReferenceError("reference", reference)
        for line, amount in resolve_allocations(items, self.lines_by_id):
            outstanding = line.balance(payment_id).outstanding_authorized
            limits: list[tuple[str | None, int]] = [(payment_id, outstanding)]
            if line.item.reverses is not None:
                # Capturing a reversal gives captured money back: only what the
                # reversed line still has captured (its refundable) can go.
                original = line.item.reverses
                limits.append((payment_id, -self.refundable(original, payment_id)))
                limits.append((None, -self.refundable(original)))
            check_within(Movement.CAPTURE, line, amount, limits)
        self._check_payment_net(Movement.CAPTURE, payment_id, items)
        self._captured(payment_id, tuple(items), reference, invoice_number)
        return reference

    def refund(
        self,
        payment_id: str,
        items: Sequence[Allocation],
        reference: str | None = None,
        currency: str | None = None,
        capture_reference: str | None = None,
    ) -> str | None:
        """Refund captured money; with ``capture_reference``, only that capture's.

        Naming a capture, no items means all it still has, and the refund gets
        a reference ``<capture>-R<n>``. Returns the reference.
        """
        self._check_currency(currency)
        check_optional_id(reference, "reference")
        check_optional_id(capture_reference, "capture_reference")
        capture = None
        if capture_reference is not None:
            capture = self.captures.get(capture_reference)
            if capture is None:
                raise UnknownCaptureError(capture_reference)
            payment_id = capture.payment_id
            items = items or capture.refundable_items()
            reference = reference or f"{capture_reference}-R{capture.refunds + 1}"
        for line, amount in resolve_allocations(items, self.lines_by_id):
            if line.item.reverses is not None:
                raise ReversalRefundError(line.line_id, line.item.reverses)
            limits = [
                (payment_id, self.refundable(line.line_id, payment_id)),
                (None, self.refundable(line.line_id)),
            ]
            if capture is not None:
                limits.append((capture_reference, capture.remaining(line.line_id)))
            check_within(Movement.REFUND, line, amount, limits)
        check_id(payment_id, "payment_id")
        self._check_payment_net(Movement.REFUND, payment_id, items)
        self._refunded(payment_id, tuple(items), reference, capture_reference)
        return reference

    def _all_outstanding(self, payment_id: str) -> list[Allocation]:
        items = self.outstanding(payment_id)
        if not items:
            raise NothingOutstandingError
        return items

    def release(
        self, payment_id: str, items: Sequence[Allocation], reason: str = "release"
    ) -> None:
        """Free authorization that is not captured (void, cancel, expiry).

        No items: everything still outstanding under the payment.
        """
        check_id(payment_id, "payment_id")
        check_text(reason, "reason", required=True)
        items = items or self._all_outstanding(payment_id)
        self._check_outstanding(Movement.RELEASE, payment_id, items)
        self._check_payment_net(Movement.RELEASE, payment_id, items)
        self._released(payment_id, tuple(items), reason)

    def outstanding(self, payment_id: str) -> list[Allocation]:
        return [
            Allocation(line.line_id, outstanding)
            for line in self.lines
            if (outstanding := line.balance(payment_id).outstanding_authorized)
        ]

    def cancel(self, reason: str = "cancel") -> None:
        """Release every outstanding authorization, under every payment."""
        releases = {pid: self.outstanding(pid) for pid in self.payment_ids}
        releases = {pid: items for pid, items in releases.items() if items}
        if not releases:
            raise NothingOutstandingError
        for payment_id, items in releases.items():
            self._released(payment_id, tuple(items), reason)

    def extend_authorization(self, payment_id: str, expires_at: datetime) -> None:
        if payment_id not in self.expiry:
            raise UnknownPaymentError(payment_id)
        self._authorization_extended(payment_id, expires_at)

    def record_failure(
        self,
        operation: Movement,
        payment_id: str,
        items: Sequence[Allocation],
        reason: str | None = None,
    ) -> None:
        """A PSP reported ``success: false``: kept for audit, moves no money."""
        check_id(payment_id, "payment_id")
        for allocation in items:
            self.line(allocation.line_id)
            check_amount(allocation.amount, "amount")
        self._payment_operation_failed(str(operation), payment_id, tuple(items), reason)

    def _check_outstanding(
        self, movement: Movement, payment_id: str, items: Sequence[Allocation]
    ) -> None:
        for line, amount in resolve_allocations(items, self.lines_by_id):
            outstanding = line.balance(payment_id).outstanding_authorized
            check_within(movement, line, amount, [(payment_id, outstanding)])

    def _check_payment_net(
        self, movement: Movement, payment_id: str, items: Sequence[Allocation]
    ) -> None:
        amount = sum(allocation.amount for allocation in items)
        check_payment_net(movement, payment_id, self.totals(payment_id), amount)

    def _check_currency(self, currency: str | None) -> None:
        if currency is not None and currency != self.currency:
            raise CurrencyMismatchError(currency, self.currency)

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
    ) -> None:
        self._move(payment_id, items, "refunded")
        if capture_reference is not None:
            capture = self.captures[capture_reference]
            capture.refunded = (*capture.refunded, *items)
            capture.refunds += 1

    @event(AuthorizationReleased)
    def _released(
        self, payment_id: str, items: tuple[Allocation, ...], reason: str
    ) -> None:
        self._move(payment_id, items, "released")

    @event(AuthorizationExtended)
    def _authorization_extended(self, payment_id: str, expires_at: datetime) -> None:
        self.expiry[payment_id] = expires_at

    @event(PaymentOperationFailed)
    def _payment_operation_failed(
        self,
        operation: str,
        payment_id: str,
        items: tuple[Allocation, ...],
        reason: str | None,
    ) -> None:
        """Moves no money; the event is the record."""

    # --- replacement -------------------------------------------------------

    def replace(
        self,
        items: Sequence[Item],
        declared_gross: int,
        declared_net: int,
        assess_increase: Callable[[int], RiskDecision],
    ) -> RiskDecision:
        """Replace every item (Riverty ``updateOrder``), risk-checking an increase.

        A decision other than Accepted is recorded as ``UpdateRejected`` and
        leaves lines and authorization as they were.
        """
        plan = plan_replacement(self, items, declared_gross, declared_net)
        decision = RiskDecision(RiskOutcome.ACCEPTED)
        if plan.increase > 0:
            decision = assess_increase(plan.increase)
        if decision.outcome is not RiskOutcome.ACCEPTED:
            self._update_rejected(
                plan.items, plan.increase, str(decision.outcome), decision.messages
            )
            return decision
        self._order_replaced(
            plan.items,
            plan.payment_id,
            plan.authorization,
            plan.authorized_change,
            plan.increase,
            str(decision.outcome) if plan.increase > 0 else None,
            decision.messages,
        )
        return decision

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
        self.lines = [Line(item) for item in items]
        if payment_id is not None:
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
