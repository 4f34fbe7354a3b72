"""Command throughput and latency of OrderLedger against raw psycopg inserts.

Run with ``make bench``. Uses ``DATABASE_URL`` if set (a database is created on
that server for the run and dropped after), else an embedded PostgreSQL.
Every figure is also printed as a ratio to the raw insert+commit baseline
measured in the same run, at the same concurrency, on the same database.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import mkdtemp

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from api.database import embedded_postgres, open_ledger
from api.settings import Settings
from domain.application import OrderLedger
from domain.values import Allocation
from tests.builders import item

ORDERS_PER_THREAD = {1: 150, 8: 40, 32: 10}


@dataclass
class Figures:
    label: str
    operations: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds

    def quantile(self, q: float) -> float:
        return statistics.quantiles(self.latencies, n=100)[int(q * 100) - 1] * 1000


def timed(
    latencies: list[float], lock: threading.Lock, op: Callable[[], object]
) -> None:
    start = time.perf_counter()
    op()
    elapsed = time.perf_counter() - start
    with lock:
        latencies.append(elapsed)


def run_threads(
    threads: int, work: Callable[[int, list[float], threading.Lock], None]
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def worker(n: int) -> None:
        barrier.wait()
        work(n, latencies, lock)

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(worker, n) for n in range(threads)]
        barrier.wait()
        start = time.perf_counter()
        for future in futures:
            future.result()
        seconds = time.perf_counter() - start
    return seconds, latencies


def order_lifecycle(ledger: OrderLedger, ref: str) -> list[Callable[[], object]]:
    """Create (3 lines) → authorize → two partial captures → refund."""
    lines = [item(1, 10_000), item(2, 5_000), item(3, 2_500)]
    everything = [Allocation(1, 10_000), Allocation(2, 5_000), Allocation(3, 2_500)]
    second_capture = [Allocation(1, 4_000), Allocation(2, 5_000)]
    return [
        lambda: ledger.create_order("bench", ref, "EUR", lines),
        lambda: ledger.authorize("bench", ref, "PSP", everything),
        lambda: ledger.capture("bench", ref, "PSP", [Allocation(1, 6_000)]),
        lambda: ledger.capture("bench", ref, "PSP", second_capture),
        lambda: ledger.refund("bench", ref, "PSP", [Allocation(2, 1_000)]),
    ]


def ledger_mix(ledger: OrderLedger, threads: int) -> Figures:
    orders = ORDERS_PER_THREAD[threads]

    def work(n: int, latencies: list[float], lock: threading.Lock) -> None:
        for i in range(orders):
            for step in order_lifecycle(ledger, f"T{threads}-{n}-{i}"):
                timed(latencies, lock, step)

    seconds, latencies = run_threads(threads, work)
    return Figures(f"ledger  {threads} thread(s)", len(latencies), seconds, latencies)


def bytes_per_command(url: str, schema: str) -> int:
    query = sql.SQL(
        "SELECT coalesce(sum(length(state)), 0), count(*) FROM {}.ledger_events"
    ).format(sql.Identifier(schema))
    with psycopg.connect(url) as conn:
        total, _ = conn.execute(query).fetchone() or (0, 0)
    commands = 5 * sum(ORDERS_PER_THREAD[t] * t for t in ORDERS_PER_THREAD)
    return max(1, int(total) // commands)


def raw_inserts(url: str, threads: int, size: int) -> Figures:
    """One row of ``size`` bytes inserted and committed per operation."""
    operations = 5 * ORDERS_PER_THREAD[threads]
    payload = os.urandom(size)

    def work(_: int, latencies: list[float], lock: threading.Lock) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            for version in range(operations):
                timed(
                    latencies,
                    lock,
                    lambda v=version: conn.execute(
                        "INSERT INTO bench_raw VALUES (%s, %s, %s, %s)",
                        (uuid.uuid4(), v, "bench", payload),
                    ),
                )

    seconds, latencies = run_threads(threads, work)
    return Figures(f"raw     {threads} thread(s)", len(latencies), seconds, latencies)


def report(ledger: Figures, raw: Figures) -> None:
    for f in (raw, ledger):
        print(
            f"{f.label}: {f.per_second:8.0f} ops/s  "
            f"p50 {f.quantile(0.5):6.2f} ms  p99 {f.quantile(0.99):7.2f} ms"
        )
    throughput = ledger.per_second / raw.per_second
    p50 = ledger.quantile(0.5) / raw.quantile(0.5)
    p99 = ledger.quantile(0.99) / raw.quantile(0.99)
    print(f"  ledger/raw: throughput {throughput:.2f}  p50 {p50:.2f}×  p99 {p99:.2f}×")


@contextmanager
def bench_database() -> Iterator[str]:
    """A database for this run on DATABASE_URL's server or an embedded one."""
    with ExitStack() as stack:
        server = os.environ.get("DATABASE_URL") or stack.enter_context(
            embedded_postgres(Path(mkdtemp(prefix="ledger-bench-")))
        )
        dbname = f"ledger_bench_{uuid.uuid4().hex[:8]}"
        name = sql.Identifier(dbname)
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        try:
            yield make_conninfo(server, dbname=dbname)
        finally:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))


def main() -> None:
    with bench_database() as url:
        where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded"
        print(f"benchmark database ready ({where})", flush=True)
        # A slot per thread, so 32 threads queue on the database, not on us.
        settings = Settings(
            database_url=url, db_schema="bench", db_workers=32, busy_timeout=60
        )
        ledger = open_ledger(settings, url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE bench_raw (id uuid, version int, topic text,"
                " state bytea, PRIMARY KEY (id, version))"
            )
        results = {}
        for threads in ORDERS_PER_THREAD:
            print(f"ledger command mix at {threads} thread(s)…", flush=True)
            results[threads] = ledger_mix(ledger, threads)
        size = bytes_per_command(url, "bench")
        print(f"event bytes per command: {size}", flush=True)
        for threads, figures in results.items():
            print(f"raw insert+commit at {threads} thread(s)…", flush=True)
            report(figures, raw_inserts(url, threads, size))
        ledger.close()


if __name__ == "__main__":
    main()
