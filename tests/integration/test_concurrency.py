"""SPEC §4.11: concurrent writers break no invariant and lose no acknowledged write."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from domain.context import RequestContext
from domain.errors import LedgerError, OrderExistsError
from tests.builders import alloc, item
from tests.integration.workload import retried

THREADS = 8
LINES = {1: 10_000, 2: 8_000, 3: 5_000, 4: 2_000}


def test_concurrent_captures_and_refunds_never_overdraw(pg_ledger):
    pg_ledger.create_order("acct", "O1", "EUR", [item(i, g) for i, g in LINES.items()])
    pg_ledger.authorize("acct", "O1", "P", alloc(*LINES.items()))
    acked: list[tuple[str, str, int, int]] = []
    rejected: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        rng = random.Random(n)  # fixed seeds: the same requests every run
        start.wait()
        for i in range(25):
            kind = rng.choice(["capture", "capture", "refund"])
            line = rng.choice(list(LINES))
            amount = rng.randint(1, 1_500)
            key = f"w{n}-{i}"
            command = getattr(pg_ledger, kind)
            context = RequestContext(idempotency_key=key)
            try:
                retried(
                    partial(
                        command,
                        "acct",
                        "O1",
                        "P",
                        alloc((line, amount)),
                        context=context,
                    )
                )
            except LedgerError as error:
                with lock:
                    rejected[error.code] += 1
            else:
                with lock:
                    acked.append((key, kind, line, amount))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))

    order = pg_ledger.get_order("acct", "O1")
    for line_id, gross in LINES.items():
        balance = order.line(line_id).balance("P")
        captured = sum(a for _, k, lid, a in acked if k == "capture" and lid == line_id)
        refunded = sum(a for _, k, lid, a in acked if k == "refund" and lid == line_id)
        assert balance.captured == captured <= balance.authorized == gross
        assert balance.refunded == refunded <= balance.captured
    keys = Counter(e.idempotency_key for e in pg_ledger.order_events("acct", "O1"))
    del keys[None]  # the unkeyed set-up commands
    assert keys == Counter(key for key, *_ in acked)  # each acknowledged write once
    assert len(acked) + sum(rejected.values()) == THREADS * 25
    assert set(rejected) <= {"over_capture", "over_refund"}
    assert rejected["over_capture"] > 0  # the load really pushed past the authorization


def test_a_request_retried_at_once_from_many_threads_is_written_once(pg_ledger):
    pg_ledger.create_order("acct", "O1", "EUR", [item(1, 1_000)])
    pg_ledger.authorize("acct", "O1", "P", alloc((1, 1_000)))
    start = threading.Barrier(THREADS)

    def send(_: int):
        start.wait()
        return pg_ledger.capture(
            "acct",
            "O1",
            "P",
            alloc((1, 700)),
            context=RequestContext(idempotency_key="same"),
        )

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(send, range(THREADS)))
    assert len({r.version for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert pg_ledger.get_order("acct", "O1").totals().captured == 700


def test_concurrent_creation_of_one_order_succeeds_once(pg_ledger):
    start = threading.Barrier(THREADS)

    def create(n: int) -> str:
        start.wait()
        try:
            pg_ledger.create_order("acct", "NEW", "EUR", [item(1, 100 + n)])
        except OrderExistsError:
            return "exists"
        return "created"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = Counter(pool.map(create, range(THREADS)))
    assert outcomes == {"created": 1, "exists": THREADS - 1}
    assert len(pg_ledger.order_events("acct", "NEW")) == 2
