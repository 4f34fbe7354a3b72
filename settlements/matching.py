"""Pairing settlement lines with the ledger's captures and refunds (SPEC §13).

In order: a person's match; the ledger's operation reference (a capture
number, an operation id, a credit-note number), or a provider reference the
ledger holds as one; the payment the ledger holds with the amount; the order,
kind and gross amount, unique within the order, within a date window (a
settlement is booked days after the capture, never the same instant). One
ledger capture may settle in several lines, and one line may cover several
operations. Pure: the same inputs give the same outcome.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from settlements.model import LEDGER_KINDS, PROVIDER_INITIATED

WINDOW_BEFORE: Final = timedelta(days=1)
WINDOW_AFTER: Final = timedelta(days=45)


@dataclass(frozen=True)
class Movement:
    """One capture or refund event of the ledger (its lines summed)."""

    key: str
    order_id: str
    payment_id: str
    kind: str
    amount: int  # positive, minor units
    currency: str
    occurred_at: datetime
    reference: str | None = None
    operation_id: str | None = None  # the id the API answered the operation with


@dataclass(frozen=True)
class Line:
    line_id: str
    batch: str
    line_type: str
    gross: int
    gross_currency: str | None
    when: datetime | None
    order_ref: str | None = None
    operation_ref: str | None = None
    provider_payment_ref: str | None = None
    provider_operation_ref: str | None = None


@dataclass(frozen=True)
class LineResult:
    status: str
    movements: tuple[str, ...] = ()
    order_id: str | None = None
    operation: str | None = None
    difference: int | None = None
    by_hand: bool = False


@dataclass
class _Item:
    """Lines settled as one: a charge and its partial-capture reversal."""

    lines: list[Line]
    kind: str

    @property
    def first(self) -> Line:
        return self.lines[0]

    @property
    def settled(self) -> int:
        total = sum(line.gross for line in self.lines)
        return total if self.kind == "capture" else -total

    def ref(self, name: str) -> str | None:
        return next((getattr(x, name) for x in self.lines if getattr(x, name)), None)


@dataclass
class Outcome:
    lines: dict[str, LineResult] = field(default_factory=dict)
    unsettled: list[Movement] = field(default_factory=list)


def fold(text: str | None) -> str | None:
    return text.strip().casefold() if text and text.strip() else None


def match(
    lines: Sequence[Line],
    movements: Sequence[Movement],
    by_hand: Mapping[str, Sequence[str]] | None = None,
) -> Outcome:
    """Each line's outcome, and the movements no line settled."""
    outcome = Outcome()
    items = _items(lines, outcome)
    free = {m.key: m for m in movements}
    pairs: dict[str, list[_Item]] = defaultdict(list)
    hand = by_hand or {}
    rest = []
    for item in items:
        keys = [k for line in item.lines for k in hand.get(line.line_id, ())]
        if keys:
            _settle(
                outcome, item, [free.pop(k) for k in keys if k in free], by_hand=True
            )
        else:
            rest.append(item)
    rest = _by_reference(rest, free, pairs)
    for key, paired in pairs.items():
        movement = free.pop(key)
        _settle(outcome, paired, [movement])
    groups = _grouped(movements)
    for same, differ in (("provider_payment_ref", False), ("order_ref", True)):
        rest = [
            item
            for item in rest
            if not _by_amount(item, free, groups, outcome, same, differ=differ)
        ]
    for item in rest:
        for line in item.lines:
            outcome.lines[line.line_id] = LineResult("not_in_ledger")
    outcome.unsettled = sorted(free.values(), key=lambda m: (m.occurred_at, m.key))
    return outcome


def _items(lines: Sequence[Line], outcome: Outcome) -> list[_Item]:
    items: list[_Item] = []
    charges: dict[tuple[str, str], _Item] = {}
    reversals = []
    for line in lines:
        if line.line_type in LEDGER_KINDS:
            if line.line_type == "capture" and line.gross < 0:
                reversals.append(line)
                continue
            item = _Item([line], line.line_type)
            items.append(item)
            if line.line_type == "capture" and line.provider_payment_ref:
                charges.setdefault((line.batch, line.provider_payment_ref), item)
        elif line.line_type in PROVIDER_INITIATED:
            outcome.lines[line.line_id] = LineResult("provider_initiated")
        elif line.line_type == "fee":
            outcome.lines[line.line_id] = LineResult("fee")
        else:
            outcome.lines[line.line_id] = LineResult("batch_movement")
    for line in reversals:
        charge = charges.get((line.batch, line.provider_payment_ref or ""))
        if charge is not None:
            charge.lines.append(line)
        else:
            items.append(_Item([line], "capture"))
    return items


def _by_reference(
    items: list[_Item], free: dict[str, Movement], pairs: dict[str, list[_Item]]
) -> list[_Item]:
    """Lines naming an operation the ledger knows; several may name one."""
    index: dict[tuple[str, str], str] = {}
    for movement in free.values():
        for name in (movement.reference, movement.operation_id):
            reference = fold(name)
            if reference:
                index.setdefault((movement.kind, reference), movement.key)
    rest = []
    for item in items:
        key = next(
            (
                index[item.kind, ref]
                for name in ("operation_ref", "provider_operation_ref")
                if (ref := fold(item.ref(name))) and (item.kind, ref) in index
            ),
            None,
        )
        if key is None:
            rest.append(item)
        else:
            pairs[key].append(item)
    return rest


def _in_window(item: _Item, movement: Movement) -> bool:
    when = min((x.when for x in item.lines if x.when), default=None)
    if when is None:
        return True
    return (
        movement.occurred_at - WINDOW_BEFORE
        <= when
        <= movement.occurred_at + WINDOW_AFTER
    )


Groups = dict[tuple[str, str, str], list[Movement]]


def _grouped(movements: Sequence[Movement]) -> Groups:
    """Movements by (which key, kind, its value), in time order: one look-up a line."""
    groups: Groups = defaultdict(list)
    for m in sorted(movements, key=lambda m: (m.occurred_at, m.key)):
        groups["order_ref", m.kind, m.order_id].append(m)
        groups["provider_payment_ref", m.kind, m.payment_id].append(m)
    return groups


def _candidates(
    item: _Item, free: dict[str, Movement], groups: Groups, same: str
) -> list[Movement]:
    ref = item.ref(same)
    if ref is None:
        return []
    return [
        m
        for m in groups.get((same, item.kind, ref), ())
        if m.key in free and _in_window(item, m)
    ]


def _by_amount(
    item: _Item,
    free: dict[str, Movement],
    groups: Groups,
    outcome: Outcome,
    same: str,
    *,
    differ: bool,
) -> bool:
    """The line's payment's (or order's) unsettled movements, by amount.

    One of that amount, or all of them together; by order, also the only one
    there is (its amount then differs).
    """
    candidates = _candidates(item, free, groups, same)
    chosen = next(([m] for m in candidates if m.amount == item.settled), None)
    if (
        chosen is None
        and len(candidates) > 1
        and sum(m.amount for m in candidates) == item.settled
    ):
        chosen = candidates
    if chosen is None and differ and len(candidates) == 1:
        chosen = candidates
    if chosen is None:
        return False
    for movement in chosen:
        free.pop(movement.key)
    _settle(outcome, [item], chosen)
    return True


def _settle(
    outcome: Outcome,
    items: _Item | Iterable[_Item],
    movements: Sequence[Movement],
    *,
    by_hand: bool = False,
) -> None:
    group = [items] if isinstance(items, _Item) else list(items)
    settled = sum(item.settled for item in group)
    expected = sum(m.amount for m in movements)
    currencies = {m.currency for m in movements} | {
        line.gross_currency
        for item in group
        for line in item.lines
        if line.gross_currency
    }
    difference = settled - expected if len(currencies) <= 1 else None
    status = (
        "matched" if difference == 0 or (by_hand and movements) else "amount_differs"
    )
    if not movements:
        status = "not_in_ledger"
    orders = sorted({m.order_id for m in movements})
    operation = ", ".join(f"{m.kind} {m.reference or m.key}" for m in movements) or None
    for item in group:
        for line in item.lines:
            outcome.lines[line.line_id] = LineResult(
                status,
                tuple(m.key for m in movements),
                orders[0] if len(orders) == 1 else (", ".join(orders) or None),
                operation,
                difference,
                by_hand,
            )
