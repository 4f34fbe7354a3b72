"""Random command sequences against a small reference model (SPEC §4).

Valid and invalid commands, retries of idempotency keys and key reuse with
another body; after every step the ledger's balances equal the model's and
every invariant holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.application import OrderLedger
from domain.context import RequestContext
from domain.errors import IdempotencyConflictError, LedgerError
from domain.idempotency import CommandResult
from domain.order import Order
from domain.risk import MaxIncreaseRiskCheck
from domain.values import Item
from tests.builders import T0, alloc, fixed_replacement, item

PAYMENTS = ("P1", "P2")
RISK_LIMIT = 3000
AMOUNTS = st.integers(min_value=-3000, max_value=6000)
LINE_PICKS = st.integers(min_value=0, max_value=3)
# Mostly the first payment, so captures and refunds meet an authorization.
PAYMENT_PICKS = st.sampled_from(["P1", "P1", "P1", "P2"])


@dataclass
class Row:
    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    released: int = 0


@dataclass
class Model:
    lines: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    rows: dict[tuple[int, str], Row] = field(default_factory=dict)
    expiry: dict[str, datetime] = field(default_factory=dict)
    used_ids: set[int] = field(default_factory=set)

    def row(self, line: int, pid: str) -> Row:
        return self.rows.setdefault((line, pid), Row())

    def total(self, line: int) -> Row:
        rows = [self.row(line, p) for p in PAYMENTS]
        return Row(*(sum(getattr(r, f) for r in rows) for f in vars(Row())))

    def refundable(self, line: int, pid: str | None) -> int:
        if self.lines[line][1] is not None:
            return 0
        pick = (lambda lid: self.row(lid, pid)) if pid else self.total
        reversals = [lid for lid, (_, rev) in self.lines.items() if rev == line]
        captured = pick(line).captured + sum(pick(r).captured for r in reversals)
        return captured - pick(line).refunded

    def outstanding(self, line: int, pid: str) -> int:
        row = self.row(line, pid)
        return row.authorized - row.released - row.captured

    def money_limit(self, kind: str, line: int, pid: str, now: datetime) -> int:
        """The largest amount (in the line's sign) the command may move; 0 if none."""
        gross, reverses = self.lines[line]
        sign = (gross > 0) - (gross < 0)
        total = self.total(line)
        limits = {
            "authorize": [gross - total.authorized + total.released],
            "capture": [self.outstanding(line, pid)]
            + (
                [-self.refundable(reverses, pid), -self.refundable(reverses, None)]
                if reverses is not None
                else []
            ),
            "release": [self.outstanding(line, pid)],
            "refund": [self.refundable(line, pid), self.refundable(line, None)],
        }[kind]
        if kind == "capture" and pid in self.expiry and now > self.expiry[pid]:
            return 0
        if kind == "refund" and reverses is not None:
            return 0
        return sign * max(0, min(limit * sign for limit in limits))

    def money_allowed(
        self, kind: str, line: int, pid: str, amount: int, now: datetime
    ) -> bool:
        if line not in self.lines:
            return False
        limit = self.money_limit(kind, line, pid, now)
        fits_line = limit != 0 and amount * limit > 0 and abs(amount) <= abs(limit)
        return fits_line and self.payment_allows(kind, pid, amount)

    def payment_net(self, pid: str) -> Row:
        rows = [self.row(line, pid) for line in self.lines]
        return Row(*(sum(getattr(r, f) for r in rows) for f in vars(Row())))

    def payment_allows(self, kind: str, pid: str, amount: int) -> bool:
        """SPEC §4.12-13 over the payment's signed sums, written out on their own."""
        net = self.payment_net(pid)
        authorized = net.authorized - net.released
        if kind == "authorize":
            return authorized + amount >= 0
        if kind == "capture":
            captured = net.captured + amount
            return captured >= net.refunded >= 0 and (
                amount <= 0 or captured <= authorized
            )
        if kind == "refund":
            refunded = net.refunded + amount
            return refunded >= 0 and (amount <= 0 or refunded <= net.captured)
        return 0 <= amount <= authorized - net.captured

    def order_total(self) -> int:
        return sum(gross for gross, rev in self.lines.values() if rev is None)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.ledger = OrderLedger(
            {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=lambda: self.now
        )
        self.model = Model()
        self.keys = 0
        self.done: list[
            tuple[str, Callable[[RequestContext], CommandResult], CommandResult]
        ] = []
        self.ledger.create_order("acct", "O", "NOK", [item(1, 2000), item(2, 500)])
        self.model.lines = {1: (2000, None), 2: (500, None)}
        self.model.used_ids = {1, 2}
        # Start authorized, so captures, refunds and releases have money to move.
        self.ledger.authorize("acct", "O", "P1", alloc((1, 2000), (2, 500)))
        self.model.rows = {
            (1, "P1"): Row(authorized=2000),
            (2, "P1"): Row(authorized=500),
        }
        self.model.expiry["P1"] = self.now + self.ledger.authorization_ttl

    def line_at(self, pick: int) -> int:
        """The pick-th current line, or (past the end) a line id the order lacks."""
        ids = sorted(self.model.lines)
        return ids[pick] if pick < len(ids) else max(self.model.used_ids) + 100

    @property
    def order(self) -> Order:
        return self.ledger.get_order("acct", "O")

    def attempt(
        self, allowed: bool, command: Callable[[RequestContext], CommandResult]
    ) -> bool:
        """Run ``command`` with a new key; it must succeed exactly when allowed."""
        self.keys += 1
        key = f"k{self.keys}"
        version = self.order.version
        try:
            result = command(RequestContext(idempotency_key=key))
        except LedgerError:
            assert not allowed, "the ledger rejected a command the model allows"
            assert self.order.version == version
            return False
        assert allowed, "the ledger accepted a command the model rejects"
        self.done.append((key, command, result))
        return True

    money: ClassVar[dict[str, st.SearchStrategy[object]]] = {
        "pick": LINE_PICKS,
        "pid": PAYMENT_PICKS,
        "amount": AMOUNTS,
        "fit": st.booleans(),
    }

    @rule(**money)
    def authorize(self, pick: int, pid: str, amount: int, fit: bool) -> None:
        self.move_money("authorize", pick, pid, amount, fit)

    @rule(**money)
    def capture(self, pick: int, pid: str, amount: int, fit: bool) -> None:
        self.move_money("capture", pick, pid, amount, fit)

    @rule(**money)
    def refund(self, pick: int, pid: str, amount: int, fit: bool) -> None:
        self.move_money("refund", pick, pid, amount, fit)

    @rule(**money)
    def release(self, pick: int, pid: str, amount: int, fit: bool) -> None:
        self.move_money("release", pick, pid, amount, fit)

    @rule(pick=LINE_PICKS, amount=AMOUNTS)
    def capture_then_refund(self, pick: int, amount: int) -> None:
        """Walk the capture and refund paths in one step, with amounts that fit."""
        self.move_money("capture", pick, "P1", amount, fit=True)
        self.move_money("refund", pick, "P1", amount, fit=True)

    def move_money(
        self, kind: str, pick: int, pid: str, amount: int, fit: bool
    ) -> None:
        line = self.line_at(pick)
        if fit and line in self.model.lines:
            # Half the time aim inside what the model allows, so valid paths run too.
            limit = self.model.money_limit(kind, line, pid, self.now)
            if limit:
                amount = (1 + abs(amount) % abs(limit)) * (1 if limit > 0 else -1)
        allowed = self.model.money_allowed(kind, line, pid, amount, self.now)
        method = getattr(self.ledger, kind)
        if self.attempt(
            allowed,
            lambda ctx: method("acct", "O", pid, alloc((line, amount)), context=ctx),
        ):
            row = self.model.row(line, pid)
            attribute = {
                "authorize": "authorized",
                "capture": "captured",
                "refund": "refunded",
                "release": "released",
            }[kind]
            setattr(row, attribute, getattr(row, attribute) + amount)
            if kind == "authorize":
                expires = self.now + self.ledger.authorization_ttl
                self.model.expiry[pid] = max(
                    expires, self.model.expiry.get(pid, expires)
                )

    @rule(gross=st.integers(min_value=1, max_value=4000))
    def add_item(self, gross: int) -> None:
        line_id = max(self.model.used_ids) + 1
        if self.attempt(
            True,
            lambda ctx: self.ledger.add_items(
                "acct", "O", [item(line_id, gross)], context=ctx
            ),
        ):
            self.model.lines[line_id] = (gross, None)
            self.model.used_ids.add(line_id)

    @rule(gross=st.integers(min_value=-3000, max_value=-1))
    def add_discount(self, gross: int) -> None:
        """A negative line that is not a reversal: allowed while the total is >= 0."""
        line_id = max(self.model.used_ids) + 1
        if self.attempt(
            self.model.order_total() + gross >= 0,
            lambda ctx: self.ledger.add_items(
                "acct", "O", [item(line_id, gross)], context=ctx
            ),
        ):
            self.model.lines[line_id] = (gross, None)
            self.model.used_ids.add(line_id)

    @rule(pick=LINE_PICKS, amount=st.integers(min_value=1, max_value=4000))
    def reverse_item(self, pick: int, amount: int) -> None:
        original_id = self.line_at(pick)
        line_id = max(self.model.used_ids) + 1
        original = self.model.lines.get(original_id)
        reversed_so_far = -sum(
            g for g, rev in self.model.lines.values() if rev == original_id
        )
        allowed = (
            original is not None
            and original[1] is None
            and original[0] > 0
            and reversed_so_far + amount <= original[0]
        )
        reversal = item(line_id, -amount, reverses=original_id)
        if self.attempt(
            allowed,
            lambda ctx: self.ledger.add_items("acct", "O", [reversal], context=ctx),
        ):
            self.model.lines[line_id] = (-amount, original_id)
            self.model.used_ids.add(line_id)

    @rule(rare=st.integers(min_value=0, max_value=4))
    def cancel(self, rare: int) -> None:
        if rare:  # cancelling ends most money movement; keep it to one step in five
            return
        outstanding = {
            (lid, p): self.model.outstanding(lid, p)
            for lid in self.model.lines
            for p in PAYMENTS
        }
        if self.attempt(
            any(outstanding.values()),
            lambda ctx: self.ledger.cancel("acct", "O", context=ctx),
        ):
            for (lid, p), amount in outstanding.items():
                self.model.row(lid, p).released += amount

    @rule(
        grosses=st.lists(
            st.integers(min_value=1, max_value=3000), min_size=1, max_size=3
        ),
        wrong_total=st.booleans(),
        rare=st.integers(min_value=0, max_value=4),
    )
    def replace(self, grosses: list[int], wrong_total: bool, rare: int) -> None:
        if rare:  # a replacement wipes the money state; keep it to one step in five
            return
        items = [item(0, g, item_id=f"R{i}") for i, g in enumerate(grosses)]
        total = sum(grosses)
        declared = total + 1 if wrong_total else total
        captured = {lid for (lid, _), r in self.model.rows.items() if r.captured}
        authorized_payments = [
            p
            for p in PAYMENTS
            if any(self.model.outstanding(lid, p) for lid in self.model.lines)
        ]
        listed = self.listed_line_ids(items)
        changed = any(
            lid in captured and self.model.lines[lid][0] != g
            for lid, g in zip(listed, grosses, strict=True)
        )
        kept = [ln.line_id for ln in self.order.lines if ln.line_id in captured]
        kept = [lid for lid in kept if lid not in listed]
        allowed = (
            (not captured or bool(authorized_payments))
            and not changed
            and not wrong_total
            and len(authorized_payments) <= 1
        )
        old_total = sum(g for g, _ in self.model.lines.values())
        new_total = total + sum(self.model.lines[lid][0] for lid in kept)
        before = self.order
        old_outstanding = before.totals().outstanding_authorized
        if not self.attempt(
            allowed,
            lambda ctx: self.ledger.replace_order(
                "acct",
                "O",
                fixed_replacement(items, declared, total),
                MaxIncreaseRiskCheck(RISK_LIMIT),
                context=ctx,
            ),
        ):
            return
        pid = authorized_payments[0] if authorized_payments else None
        stays = {
            lid: self.model.total(lid).authorized
            - (self.model.outstanding(lid, pid) if pid else 0)
            for lid in captured
        }
        rooms = sum(
            self.room(lid, stays[lid])
            if lid in captured
            else dict(zip(listed, grosses, strict=True))[lid]
            for lid in [*listed, *kept]
        )
        # SPEC §6: each line ends authorized for all it may still capture; what
        # that adds to the outstanding authorization is an increase as much as
        # a higher total is.
        spread = max(0, rooms) if pid else 0
        after = self.order
        if max(new_total - old_total, spread - old_outstanding) > RISK_LIMIT:
            assert isinstance(
                self.ledger.order_events("acct", "O")[-1], Order.UpdateRejected
            )
            assert after.lines == before.lines
            return
        self.check_replaced(after, listed, grosses, kept, captured)
        assert after.totals().authorized == sum(stays.values()) + spread
        self.model.lines = {
            line.line_id: (line.item.gross_amount, line.item.reverses)
            for line in after.lines
        }
        self.model.used_ids |= set(self.model.lines)
        self.model.rows = {
            (line.line_id, p): Row(
                authorized=b.authorized,
                captured=self.model.row(line.line_id, p).captured
                if line.line_id in captured
                else 0,
                refunded=self.model.row(line.line_id, p).refunded
                if line.line_id in captured
                else 0,
                released=self.model.row(line.line_id, p).released
                if line.line_id in captured
                else 0,
            )
            for line in after.lines
            for p, b in line.payments.items()
        }

    def room(self, lid: int, stays: int) -> int:
        """A kept line's gross less its net authorization that stays (§4.4)."""
        gross = self.model.lines[lid][0]
        room = gross - (stays - self.model.total(lid).released)
        return max(room, 0) if gross > 0 else min(room, 0)

    def listed_line_ids(self, items: list[Item]) -> list[int]:
        """Riverty's rule: a listed item keeps the line of the same product."""
        order = self.order
        available = {
            line.line_id: (line.item.item_id, line.item.unit_price)
            for line in order.lines
            if not line.is_reversal
        }
        next_id = order.next_line_id()
        ids = []
        for new in items:
            key = (new.item_id, new.unit_price)
            match = next((lid for lid, k in available.items() if k == key), None)
            if match is None:
                match, next_id = next_id, next_id + 1
            else:
                del available[match]
            ids.append(match)
        return ids

    def check_replaced(
        self,
        after: Order,
        listed: list[int],
        grosses: list[int],
        kept: list[int],
        captured: set[int],
    ) -> None:
        """Listed lines as sent, captured lines with the money they had."""
        assert [line.line_id for line in after.lines] == [*listed, *kept]
        assert [line.item.gross_amount for line in after.lines] == [
            *grosses,
            *(self.model.lines[lid][0] for lid in kept),
        ]
        for lid in captured:
            balance = after.line(lid).balance()
            model = self.model.total(lid)
            assert (balance.captured, balance.refunded, balance.released) == (
                model.captured,
                model.refunded,
                model.released,
            )

    @rule(
        days=st.integers(min_value=0, max_value=12),
        rare=st.integers(min_value=0, max_value=2),
    )
    def time_passes(self, days: int, rare: int) -> None:
        if rare:  # expiry ends captures; keep it to one step in three
            return
        self.now += timedelta(days=days)

    @rule(pid=st.sampled_from(PAYMENTS), days=st.integers(min_value=1, max_value=60))
    def extend(self, pid: str, days: int) -> None:
        until = self.now + timedelta(days=days)
        if self.attempt(
            pid in self.model.expiry,
            lambda ctx: self.ledger.extend_authorization(
                "acct", "O", pid, until, context=ctx
            ),
        ):
            self.model.expiry[pid] = until

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def retry_a_key(self, data: st.DataObject) -> None:
        key, command, first = data.draw(st.sampled_from(self.done))
        version = self.order.version
        again = command(RequestContext(idempotency_key=key))
        assert again.replayed
        assert again.version == first.version
        assert self.order.version == version

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def reuse_a_key_with_another_body(self, data: st.DataObject) -> None:
        key, _, _ = data.draw(st.sampled_from(self.done))
        version = self.order.version
        with pytest.raises(IdempotencyConflictError):
            self.ledger.extend_authorization(
                "acct",
                "O",
                "P-other",
                self.now,
                context=RequestContext(idempotency_key=key),
            )
        assert self.order.version == version

    @invariant()
    def balances_equal_the_model(self) -> None:
        order = self.order
        assert {line.line_id for line in order.lines} == set(self.model.lines)
        for line in order.lines:
            for pid in PAYMENTS:
                b = line.balance(pid)
                m = self.model.row(line.line_id, pid)
                assert (b.authorized, b.captured, b.refunded, b.released) == (
                    m.authorized,
                    m.captured,
                    m.refunded,
                    m.released,
                )
                assert order.refundable(line.line_id, pid) == self.model.refundable(
                    line.line_id, pid
                )

    @invariant()
    def invariants_hold(self) -> None:
        order = self.order
        for line in order.lines:
            s = line.sign or 1
            total = line.balance()
            assert abs(total.authorized - total.released) <= abs(line.item.gross_amount)
            for b in [*line.payments.values(), total]:
                assert (
                    0
                    <= s * b.refunded
                    <= s * b.captured
                    <= s * (b.authorized - b.released)
                )
                assert s * b.outstanding_authorized >= 0
            if line.is_reversal:
                assert order.refundable(line.line_id) == 0
                assert total.refunded == 0
            else:
                assert s * order.refundable(line.line_id) >= 0
                reversals = order.reversals_of(line.line_id)
                assert -sum(r.item.gross_amount for r in reversals) <= max(
                    0, line.item.gross_amount
                )
        totals = order.totals()
        assert order.total_refundable() == totals.captured - totals.refunded
        assert (
            sum(ln.item.gross_amount for ln in order.lines if not ln.is_reversal) >= 0
        )
        for pid in PAYMENTS:
            net = order.totals(pid)
            assert net.authorized - net.released >= 0
            assert 0 <= net.refunded <= net.captured
        ids = [line.line_id for line in order.lines]
        assert len(ids) == len(set(ids))
        assert not set(ids) & set(order.retired_line_ids)


TestLedgerMachine = LedgerMachine.TestCase
