"""SPEC §4.11 races beyond capture and refund: each acknowledged command is
stored once, each rejected one changed nothing, and no invariant gives way."""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from domain.context import RequestContext
from domain.errors import LedgerError
from domain.risk import MaxIncreaseRiskCheck
from tests.builders import alloc, fixed_replacement, item
from tests.integration.workload import capture_in_another_process, retried

THREADS = 8
Command = Callable[[RequestContext], object]


def race(
    commands: list[tuple[str, Command]],
) -> tuple[list[str], dict[str, str]]:
    """Run every command at once from THREADS threads; (acknowledged, rejected).

    A version conflict is retried under the same key, as a client would: a
    command ends acknowledged or refused by a rule, never by the race itself.
    """
    acked: list[str] = []
    rejected: dict[str, str] = {}
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def run(batch: list[tuple[str, Command]]) -> None:
        start.wait()
        for key, command in batch:
            context = RequestContext(idempotency_key=key)
            try:
                retried(partial(command, context))
            except LedgerError as error:
                with lock:
                    rejected[key] = error.code
            else:
                with lock:
                    acked.append(key)

    batches = [commands[n::THREADS] for n in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, batches))
    assert len(acked) + len(rejected) == len(commands)
    assert "concurrent_modification" not in rejected.values(), rejected
    return acked, rejected


def stored_keys(ledger, ref: str) -> list[str]:
    return [
        e.idempotency_key
        for e in ledger.order_events("acct", ref)
        if e.idempotency_key is not None
    ]


def test_captures_racing_voids_never_take_more_than_was_authorized(pg_ledger):
    pg_ledger.create_order("acct", "CV", "EUR", [item(1, 10_000)])
    pg_ledger.authorize("acct", "CV", "P", alloc((1, 10_000)))
    rng = random.Random(5)
    amounts = {f"k{n}": rng.randint(100, 900) for n in range(64)}
    commands: list[tuple[str, Command]] = [
        (
            key,
            lambda ctx, key=key: getattr(
                pg_ledger, "capture" if int(key[1:]) % 2 else "release"
            )("acct", "CV", "P", alloc((1, amounts[key])), context=ctx),
        )
        for key in amounts
    ]
    acked, rejected = race(commands)
    balance = pg_ledger.get_order("acct", "CV").line(1).balance("P")
    captured = sum(amounts[k] for k in acked if int(k[1:]) % 2)
    released = sum(amounts[k] for k in acked if not int(k[1:]) % 2)
    assert (balance.captured, balance.released) == (captured, released)
    assert balance.captured + balance.released <= balance.authorized == 10_000
    assert sorted(stored_keys(pg_ledger, "CV")) == sorted(acked)
    assert set(rejected.values()) <= {
        "over_capture",
        "over_release",
    }
    assert rejected  # the load really went past the authorization


def test_two_payments_racing_cannot_authorize_past_the_gross(pg_ledger):
    pg_ledger.create_order("acct", "TP", "EUR", [item(1, 5_000)])
    commands: list[tuple[str, Command]] = [
        (
            f"a{n}",
            lambda ctx, n=n: pg_ledger.authorize(
                "acct", "TP", f"P{n % 2}", alloc((1, 700)), context=ctx
            ),
        )
        for n in range(32)
    ]
    acked, rejected = race(commands)
    line = pg_ledger.get_order("acct", "TP").line(1)
    assert line.balance().authorized == 700 * len(acked) <= 5_000
    assert len(acked) == 5_000 // 700
    assert set(rejected.values()) <= {"over_authorization"}


def test_concurrent_reversals_never_reverse_more_than_the_line(pg_ledger):
    pg_ledger.create_order("acct", "RV", "EUR", [item(1, 1_000)])
    commands: list[tuple[str, Command]] = [
        (
            f"r{n}",
            lambda ctx, n=n: pg_ledger.add_items(
                "acct", "RV", [item(100 + n, -150, reverses=1)], context=ctx
            ),
        )
        for n in range(24)
    ]
    acked, rejected = race(commands)
    order = pg_ledger.get_order("acct", "RV")
    reversed_total = -sum(r.item.gross_amount for r in order.reversals_of(1))
    assert reversed_total == 150 * len(acked) <= 1_000
    assert len(acked) == 1_000 // 150
    assert set(rejected.values()) <= {
        "reversal_exceeds_line",
    }


def test_a_replacement_racing_captures_never_changes_captured_lines(pg_ledger):
    """SPEC §4.8 lets a replacement follow a capture if captured lines stay.

    Line 1 is captured before the race, so every replacement meets captured
    money; each lists line 1 unchanged and moves line 2's price, and the
    captures of line 1 race them.
    """
    pg_ledger.authorize_order(
        "acct",
        "RC",
        "EUR",
        [item(1, 2_000), item(2, 1_000)],
        (3_000, 3_000),
        "P",
    )
    pg_ledger.capture("acct", "RC", "P", alloc((1, 100)))

    def replacement(second: int) -> Command:
        items = [item(0, 2_000, item_id="SKU-1"), item(0, second, item_id="SKU-2")]
        return lambda ctx: pg_ledger.replace_order(
            "acct",
            "RC",
            fixed_replacement(items, 2_000 + second, 2_000 + second),
            MaxIncreaseRiskCheck(10_000),
            context=ctx,
        )

    def capture(ctx: RequestContext) -> object:
        return pg_ledger.capture("acct", "RC", "P", alloc((1, 100)), context=ctx)

    commands: list[tuple[str, Command]] = [
        (f"u{n}", replacement(800 if n % 8 else 1_000))
        if n % 4 == 0
        else (f"c{n}", capture)
        for n in range(16)
    ]
    acked, rejected = race(commands)
    assert rejected == {}, rejected
    replaced_after_capture = 0
    for event in pg_ledger.order_events("acct", "RC"):
        if type(event).__name__ != "OrderReplaced":
            continue
        version = event.originator_version
        before = pg_ledger.get_order("acct", "RC", version=version - 1)
        after = pg_ledger.get_order("acct", "RC", version=version)
        line = before.line(1)
        assert line.balance().captured >= 100
        replaced_after_capture += 1
        kept = after.line(1)
        assert kept.item == line.item
        assert kept.balance().captured == line.balance().captured
    assert replaced_after_capture == len([k for k in acked if k.startswith("u")])
    assert replaced_after_capture >= 1
    order = pg_ledger.get_order("acct", "RC")
    captures = [k for k in acked if k.startswith("c")]
    assert order.totals().captured == 100 * (1 + len(captures))
    assert order.line(1).balance().captured <= 2_000


def test_writers_in_two_processes_lose_and_double_nothing(pg_settings, pg_ledger):
    pg_ledger.create_order("acct", "PROC", "EUR", [item(1, 100_000)])
    pg_ledger.authorize("acct", "PROC", "P", alloc((1, 100_000)))
    settings = (pg_settings.database_url, pg_settings.db_schema)
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, spawn.Pool(2) as pool:
        start = manager.Barrier(2)  # both ledgers open before either writes
        results = pool.starmap(
            capture_in_another_process,
            [(*settings, "x", 40, start), (*settings, "y", 40, start)],
        )
    acked = [key for keys, _, _ in results for key in keys]
    assert len(acked) == 80
    assert sorted(stored_keys(pg_ledger, "PROC")) == sorted(acked)
    # Both wrote at once: each began before the other had finished. (Which
    # one's events land first is the race's to decide: the writer whose cache
    # is fresh often wins every conflict until it is done.)
    [(_, began_x, ended_x), (_, began_y, ended_y)] = results
    assert max(began_x, began_y) < min(ended_x, ended_y), results
    assert pg_ledger.get_order("acct", "PROC").totals().captured == 80 * 7


def test_goods_captured_alone_by_racing_writers_never_pass_the_net(pg_ledger):
    """SPEC §4.12 under concurrency: goods 1,000 and a −200 discount (net 800)."""
    pg_ledger.create_order(
        "acct", "NET", "EUR", [item(1, 1_000), item(2, -200, item_id="DISCOUNT")]
    )
    pg_ledger.authorize("acct", "NET", "P", alloc((1, 1_000), (2, -200)))
    commands: list[tuple[str, Command]] = [
        (
            f"g{n}",
            lambda ctx: pg_ledger.capture(
                "acct", "NET", "P", alloc((1, 100)), context=ctx
            ),
        )
        for n in range(16)
    ]
    acked, rejected = race(commands)
    assert pg_ledger.get_order("acct", "NET").totals().captured == 100 * len(acked)
    assert len(acked) == 8  # 800 net: the goods line alone stops there
    assert set(rejected.values()) <= {"over_capture"}
