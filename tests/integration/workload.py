"""A seeded workload of both dialects' commands, valid and invalid."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from domain.application import OrderLedger
from domain.errors import ConcurrentModificationError, LedgerError
from domain.order import Order
from domain.risk import MaxIncreaseRiskCheck
from domain.values import Allocation, Item, Line, TaxLine
from tests.builders import fixed_replacement

T = TypeVar("T")


def _item(
    line_id: int, gross: int, sku: str | None = None, reverses: int | None = None
) -> Item:
    return Item(
        line_id=line_id,
        item_id=sku or f"SKU{line_id}",
        description="thing",
        quantity=Decimal(1),
        gross_amount=gross,
        tax_lines=(TaxLine(gross // 5, Decimal(25)),),
        unit_price=gross,
        reverses=reverses,
    )


def retried(command: Callable[[], T], attempts: int = 100) -> T:
    """Run ``command`` again on a version conflict, as a client retries under its
    key; a conflict that outlasts every attempt is raised (and fails the test)."""
    for _ in range(attempts - 1):
        try:
            return command()
        except ConcurrentModificationError:
            continue
    return command()


def _amount(rng: random.Random, order: Order, line: Line, pid: str, choice: int) -> int:
    """Mostly what the command can take on the line now; one in five beyond it."""
    balance = line.balance(pid)
    room = {
        0: abs(line.item.gross_amount)
        - abs(line.balance().authorized)
        + abs(line.balance().released),
        1: abs(balance.outstanding_authorized),
        4: abs(order.refundable(line.line_id, pid)) if not line.is_reversal else 0,
        5: abs(balance.outstanding_authorized),
    }.get(choice, abs(line.item.gross_amount))
    if room <= 0 or rng.random() < 0.2:
        room = abs(line.item.gross_amount) + 100
    return rng.randint(1, max(1, room)) * (line.sign or 1)


def run_workload(  # noqa: C901, PLR0912, PLR0915 - one branch per command
    ledger: OrderLedger, seed: int, orders: int = 12, steps: int = 120
) -> list[str]:
    """Commands on ``orders`` orders; rejected ones are part of the point.

    But not all of the point: at least a fifth of the steps must be accepted,
    or the workload would test the refusals only.
    """
    rng = random.Random(seed)
    refs = []
    for n in range(orders):
        ref = f"W{seed}-{n}"
        refs.append(ref)
        lines = [_item(i, rng.randint(100, 5000)) for i in range(1, rng.randint(2, 4))]
        if n % 2:
            gross = sum(i.gross_amount for i in lines)
            net = gross - sum(i.gross_amount // 5 for i in lines)
            ledger.authorize_order(
                "acct", ref, "EUR", lines, (gross, net), f"res-{ref}"
            )
        else:
            ledger.create_order("acct", ref, "NOK", lines)
    risk = MaxIncreaseRiskCheck(3000)
    refused: Counter[str] = Counter()
    for step in range(steps):
        ref = rng.choice(refs)
        pid = f"res-{ref}" if ref.endswith(tuple("13579")) else rng.choice(["P1", "P2"])
        order = ledger.get_order("acct", ref)
        line = rng.choice(order.lines)
        choice = rng.randrange(9)
        live = [p for p in order.payment_ids if order.outstanding(p)]
        if choice in {1, 2, 5} and live and rng.random() < 0.8:
            pid = rng.choice(live)  # mostly a payment that has something to take
        amount = _amount(rng, order, line, pid, choice)
        try:
            if choice == 0:
                ledger.authorize("acct", ref, pid, [Allocation(line.line_id, amount)])
            elif choice == 1:
                ledger.capture("acct", ref, pid, [Allocation(line.line_id, amount)])
            elif choice == 2:
                ledger.capture("acct", ref, pid, [], invoice_number=f"INV{step}")
            elif choice == 3 and order.captures:
                capture = rng.choice(list(order.captures))
                ledger.refund("acct", ref, pid, [], capture_reference=capture)
            elif choice == 4:
                ledger.refund("acct", ref, pid, [Allocation(line.line_id, amount)])
            elif choice == 5:
                ledger.release("acct", ref, pid, [Allocation(line.line_id, amount)])
            elif choice == 6 and not line.is_reversal:
                new_id = order.next_line_id()
                ledger.add_items(
                    "acct", ref, [_item(new_id, -amount, reverses=line.line_id)]
                )
            elif choice == 7:
                items = [
                    _item(0, i.item.gross_amount, i.item.item_id)
                    for i in order.lines
                    if not i.is_reversal
                ]
                items.append(_item(0, rng.randint(100, 4000), f"NEW{step}"))
                gross = sum(i.gross_amount for i in items)
                net = gross - sum(i.gross_amount // 5 for i in items)
                ledger.replace_order(
                    "acct", ref, fixed_replacement(items, gross, net), risk
                )
            else:
                ledger.cancel("acct", ref)
        except LedgerError as error:
            refused[error.code] += 1
    accepted = steps - sum(refused.values())
    assert accepted >= steps // 5, (accepted, refused)
    return refs


def capture_in_another_process(
    database_url: str, schema: str, prefix: str, count: int, start: Any = None
) -> tuple[list[str], float, float]:
    """Run in a child process: its own ledger, ``count`` keyed captures of 7.

    Returns the keys acknowledged and when the writing began and ended.

    ``start``: a barrier the processes pass together once their ledgers are
    open, so their writes interleave instead of one process finishing first.
    """
    from api.bootstrap import open_ledger  # noqa: PLC0415 - in the child only
    from api.settings import Settings  # noqa: PLC0415
    from domain.context import RequestContext  # noqa: PLC0415

    settings = Settings(database_url=database_url, db_schema=schema, db_workers=2)
    ledger = open_ledger(settings, database_url)
    acked = []
    try:
        if start is not None:
            ledger.get_order("acct", "PROC")  # warm: connections, cache, statements
            start.wait(timeout=60)
        began = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process
        for n in range(count):
            key = f"{prefix}{n}"
            for _ in range(10):  # as a client would: the same key again
                try:
                    ledger.capture(
                        "acct",
                        "PROC",
                        "P",
                        [Allocation(1, 7)],
                        context=RequestContext(idempotency_key=key),
                    )
                except ConcurrentModificationError:
                    continue
                acked.append(key)
                break
        ended = time.monotonic()
    finally:
        ledger.close()
    return acked, began, ended
