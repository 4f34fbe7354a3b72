"""Refunds accounted against the capture: free-amount shares that move.

A shop refunds a goodwill amount as one free line, spread over a capture's
lines; a later refund of a line's own goods may need that line whole. The
share then moves to the capture's other lines (``RefundSharesMoved``), as a
PSP that accounts refunds against the capture would have it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import deepcopy

from domain.money import allocate
from domain.order_balances import OrderBalances
from domain.values import Allocation, CaptureRecord


class RefundShares(OrderBalances):
    # State and methods the aggregate defines (domain/order.py, order_money.py).
    captures: dict[str, CaptureRecord]
    _refund_shares_moved: Callable[[str, str, tuple[Allocation, ...]], None]
    _check_refund: Callable[
        [str, Sequence[Allocation], str | None, CaptureRecord | None], None
    ]

    def _move_shares_for(
        self,
        payment_id: str,
        items: Sequence[Allocation],
        capture_reference: str | None,
    ) -> None:
        """Make room for a refund by moving free shares.

        Tried on a copy first, so a refused refund moves nothing.
        """
        moves = self._room_for(payment_id, items, capture_reference)
        if not moves:
            return
        trial = deepcopy(self)
        for number, moved in moves:
            trial._refund_shares_moved(payment_id, number, moved)  # noqa: SLF001
        trial_capture = (
            trial.captures[capture_reference] if capture_reference is not None else None
        )
        trial._check_refund(payment_id, items, capture_reference, trial_capture)  # noqa: SLF001
        for number, moved in moves:
            self._refund_shares_moved(payment_id, number, moved)

    def _room_for(
        self,
        payment_id: str,
        items: Sequence[Allocation],
        capture_reference: str | None,
    ) -> list[tuple[str, tuple[Allocation, ...]]]:
        """Free-amount shares to move off lines this refund needs whole.

        A line asked for more than it has refundable, whose capture holds free
        shares on it, gives those shares (as much as it lacks) to the
        capture's other lines with room, pro rata by room, largest remainder
        in line order. Nothing moves unless the whole shortage finds room.
        """
        asked = {a.line_id: a.amount for a in items}
        planned: list[tuple[str, tuple[Allocation, ...]]] = []
        for line_id, amount in asked.items():
            short = amount - self.refundable(line_id, payment_id)
            for number, capture in self.captures.items():
                if short <= 0:
                    break
                if capture.payment_id != payment_id or (
                    capture_reference is not None and number != capture_reference
                ):
                    continue
                if capture_reference is not None:
                    short = max(short, amount - capture.remaining(line_id))
                share = min(short, capture.movable_on(line_id))
                moves = self._share_moves(payment_id, capture, line_id, share, asked)
                if moves:
                    planned.append((number, moves))
                    short -= share
        return planned

    def _share_moves(
        self,
        payment_id: str,
        capture: CaptureRecord,
        line_id: int,
        share: int,
        asked: dict[int, int],
    ) -> tuple[Allocation, ...]:
        """``share`` of a line's free refund moved onto the capture's other lines."""
        if share <= 0:
            return ()
        room = {
            other: min(capture.remaining(other), self.refundable(other, payment_id))
            - asked.get(other, 0)
            for other in dict.fromkeys(a.line_id for a in capture.captured)
            if other != line_id and not self.lines_by_id[other].is_reversal
        }
        room = {other: left for other, left in room.items() if left > 0}
        if sum(room.values()) < share:
            return ()
        parts = allocate(share, list(room.values()))
        given = [
            Allocation(other, part)
            for other, part in zip(room, parts, strict=True)
            if part
        ]
        return (Allocation(line_id, -share), *given)
