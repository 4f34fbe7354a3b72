"""What an order's state says: lines, balances per line and payment, status.

A mixin of the ``Order`` aggregate (domain/order.py), kept apart so the
aggregate's module holds its events and commands; it only reads the state
the aggregate's events build.
"""

from __future__ import annotations

from domain.errors import UnknownLineError
from domain.money_errors import AmbiguousPaymentError, UnknownPaymentError
from domain.values import Allocation, Balance, Line, OrderStatus

NO_PAYMENT = "(none named)"  # what a request naming no payment is told it lacks


class OrderBalances:
    lines: list[Line]
    retired_line_ids: list[int]

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

    def sole_payment(self) -> str:
        """The one payment the order has (a request that names none means it)."""
        payments = self.payment_ids
        if len(payments) == 1:
            return payments[0]
        if payments:
            raise AmbiguousPaymentError(payments)
        raise UnknownPaymentError(NO_PAYMENT)

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

    def next_line_id(self) -> int:
        used = [line.line_id for line in self.lines] + self.retired_line_ids
        return max(used, default=0) + 1

    def outstanding(self, payment_id: str) -> list[Allocation]:
        return [
            Allocation(line.line_id, outstanding)
            for line in self.lines
            if (outstanding := line.balance(payment_id).outstanding_authorized)
        ]
