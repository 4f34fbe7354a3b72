"""The money commands of an order: authorize, capture, refund, release.

A mixin of the ``Order`` aggregate (domain/order.py): each public method
checks a request against the state (SPEC §4, per line and per payment) and
then calls the aggregate's ``@event`` method that records it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from uuid import UUID, uuid5

from domain.bounds import (
    check_amount,
    check_id,
    check_optional_id,
    check_path_id,
    check_text,
    check_time,
    reference_key,
)
from domain.errors import CurrencyMismatchError
from domain.money_errors import (
    AuthorizationExpiredError,
    DuplicateReferenceError,
    NothingOutstandingError,
    NothingRefundableError,
    ReversalRefundError,
    UnknownCaptureError,
    UnknownPaymentError,
)
from domain.refund_shares import RefundShares
from domain.rules import (
    Movement,
    check_payment_net,
    check_within,
    resolve_allocations,
)
from domain.values import Allocation, CaptureRecord, RequestedLine, Shipment

Allocations = tuple[Allocation, ...]
# A generated capture or refund number has nine digits, as PSPs' numbers
# commonly do, within every documented length (≤ 19).
_NUMBER_BASE = 100_000_000
_NUMBER_SPAN = 900_000_000


class MoneyCommands(RefundShares):
    # State and event methods the aggregate defines (domain/order.py).
    id: UUID
    version: int
    order_ref: str
    currency: str
    expiry: dict[str, datetime]
    captures: dict[str, CaptureRecord]
    _authorized: Callable[[str, Allocations, datetime], None]
    _captured: Callable[[str, Allocations, str | None, str | None], None]
    _refunded: Callable[..., None]
    _released: Callable[[str, Allocations, str], None]
    _authorization_extended: Callable[[str, datetime], None]
    _shipping_recorded: Callable[[str, Shipment], None]
    _payment_operation_failed: Callable[[str, str, Allocations, str | None], None]

    def authorize(
        self,
        payment_id: str,
        items: Sequence[Allocation],
        expires_at: datetime,
        currency: str | None = None,
    ) -> None:
        self.check_order_currency(currency)
        if payment_id not in self.expiry:
            check_path_id(payment_id, "payment_id")  # a new one is addressed later
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
        *,
        numbered: bool = False,
    ) -> str | None:
        """Capture outstanding authorization; no items: all of the payment's.

        A ``numbered`` capture, or one with an invoice number, gets a reference
        refunds can name: ``reference`` if given, else a new number. Returns it.
        """
        self.check_order_currency(currency)
        check_id(payment_id, "payment_id")
        if reference is not None:
            check_path_id(reference, "reference")
        if invoice_number is not None:
            check_path_id(invoice_number, "invoice_number")
        expires_at = self.expiry.get(payment_id)
        if expires_at is not None and at > expires_at:
            raise AuthorizationExpiredError(payment_id, expires_at.isoformat())
        invoices = {
            reference_key(c.invoice_number)
            for c in self.captures.values()
            if c.invoice_number is not None
        }
        if invoice_number is not None and reference_key(invoice_number) in invoices:
            raise DuplicateReferenceError("invoice_number", invoice_number)
        if reference is None and (numbered or invoice_number is not None):
            reference = self.new_number("capture", self.captures)
        if reference is not None and self.find_capture(reference) is not None:
            raise DuplicateReferenceError("reference", reference)
        items = items or self._all_outstanding(payment_id)
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

    def refund(  # noqa: PLR0913 - the request's fields
        self,
        payment_id: str,
        items: Sequence[Allocation],
        reference: str | None = None,
        currency: str | None = None,
        capture_reference: str | None = None,
        *,
        numbered: bool = False,
        taken: Collection[str] = (),
        requested: Sequence[RequestedLine] = (),
    ) -> str | None:
        """Refund captured money; with ``capture_reference``, only that capture's.

        Naming a capture, no items means all it still has. A ``numbered``
        refund gets ``reference`` or a new number, none of
        ``taken``; naming no capture, no items means everything refundable,
        and the refund is recorded per capture it comes from, each with a
        number of its own. Returns the (first) reference.
        """
        self.check_order_currency(currency)
        if reference is not None:
            check_path_id(reference, "reference")
        check_optional_id(capture_reference, "capture_reference")
        if (
            numbered
            and reference is not None
            and reference_key(reference) in {reference_key(number) for number in taken}
        ):
            raise DuplicateReferenceError("refund_number", reference)
        capture = None
        if capture_reference is not None:
            found = self.find_capture(capture_reference)
            if found is None:
                raise UnknownCaptureError(capture_reference)
            capture_reference, capture = found
            payment_id = capture.payment_id
            items = items or capture.refundable_items()
            if not numbered:
                reference = reference or f"{capture_reference}-R{capture.refunds + 1}"
        elif numbered:
            items = items or self._all_refundable(payment_id)
        self._move_shares_for(payment_id, items, capture_reference)
        self._check_refund(payment_id, items, capture_reference, capture)
        asked = tuple(requested) or None
        if not numbered:
            self._refunded(
                payment_id, tuple(items), reference, capture_reference, asked
            )
            return reference
        parts = (
            [(capture_reference, list(items))]
            if capture is not None
            else self._split_over_captures(payment_id, items)
        )
        used = set(taken)
        numbers = []
        for index, (from_capture, part) in enumerate(parts):
            number = reference if index == 0 and reference else None
            number = number or self.new_number("refund", used)
            used.add(number)
            numbers.append(number)
            self._refunded(
                payment_id,
                tuple(part),
                number,
                from_capture,
                asked if not index else None,
            )
        return numbers[0]

    def _check_refund(
        self,
        payment_id: str,
        items: Sequence[Allocation],
        capture_reference: str | None,
        capture: CaptureRecord | None,
    ) -> None:
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

    def refundable_items(self, payment_id: str) -> list[Allocation]:
        """Every original line's refundable amount under a payment, in line order."""
        return [
            Allocation(line.line_id, refundable)
            for line in self.lines
            if not line.is_reversal
            and (refundable := self.refundable(line.line_id, payment_id))
        ]

    def _all_refundable(self, payment_id: str) -> list[Allocation]:
        items = self.refundable_items(payment_id)
        if not items:
            raise NothingRefundableError
        return items

    def _split_over_captures(
        self, payment_id: str, items: Sequence[Allocation]
    ) -> list[tuple[str | None, list[Allocation]]]:
        """A refund's lines taken from the payment's captures, oldest first.

        What no capture holds (money captured without a number) is the last
        part, under no capture.
        """
        left = {item.line_id: item.amount for item in items}
        parts: list[tuple[str | None, list[Allocation]]] = []
        for number, capture in self.captures.items():
            if capture.payment_id != payment_id:
                continue
            part = []
            for line_id, amount in left.items():
                held = capture.remaining(line_id)
                if amount * held <= 0:
                    continue
                taken = amount if abs(amount) <= abs(held) else held
                part.append(Allocation(line_id, taken))
                left[line_id] = amount - taken
            if part:
                parts.append((number, part))
        rest = [
            Allocation(line_id, amount) for line_id, amount in left.items() if amount
        ]
        if rest:
            parts.append((None, rest))
        return parts

    def find_capture(self, reference: str) -> tuple[str, CaptureRecord] | None:
        """The capture under ``reference`` as it is looked up: any case, any form."""
        record = self.captures.get(reference)
        if record is not None:
            return reference, record
        key = reference_key(reference)
        for number, capture in self.captures.items():
            if reference_key(number) == key:
                return number, capture
        return None

    def new_number(self, kind: str, taken: Collection[str]) -> str:
        """A new nine-digit capture or refund number, not in ``taken``.

        Derived from the order's id and version, so replaying the events
        gives the same numbers.
        """
        salt = self.version
        while True:
            salt += 1
            digest = uuid5(self.id, f"{kind}:{salt}").int
            number = str(_NUMBER_BASE + digest % _NUMBER_SPAN)
            if number not in taken:
                return number

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

    def cancel(self, reason: str = "cancel") -> None:
        """Release every outstanding authorization, under every payment."""
        releases = {pid: self.outstanding(pid) for pid in self.payment_ids}
        releases = {pid: items for pid, items in releases.items() if items}
        if not releases:
            raise NothingOutstandingError
        for payment_id, items in releases.items():
            self._released(payment_id, tuple(items), reason)

    def record_shipping(self, capture_reference: str, shipment: Shipment) -> None:
        """A shipment of a capture's goods, on the capture as it is looked up."""
        for field, text in (
            ("kind", shipment.kind),
            ("carrier", shipment.carrier),
            ("tracking_id", shipment.tracking_id),
        ):
            check_text(text, field, max_length=200, required=True)
        if shipment.tracking_url is not None:
            check_text(shipment.tracking_url, "tracking_url", max_length=2083)
        found = self.find_capture(capture_reference)
        if found is None:
            raise UnknownCaptureError(capture_reference)
        self._shipping_recorded(found[0], shipment)

    def extend_authorization(self, payment_id: str, expires_at: datetime) -> None:
        check_time(expires_at, "expires_at")
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

    def check_order_currency(self, currency: str | None) -> None:
        if currency is not None and currency != self.currency:
            raise CurrencyMismatchError(currency, self.currency)
