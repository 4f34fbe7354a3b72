"""Projection catch-up speed: batches of 500 events a transaction against one.

Run with ``make bench``. One transaction per event is what the library's
ProjectionRunner does; the ratio is the speed-up of batching, measured on
the same events, database and machine in one run.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from api.database import open_ledger
from api.settings import Settings
from projections.runner import ProjectionRunner
from projections.setup import open_views
from tests.bench.bench_commands import bench_database, order_lifecycle

ORDERS = 1_200  # × 6 events each
ONE_BY_ONE_LIMIT = 2_000  # events timed at one transaction each


def main() -> None:
    with bench_database() as url:
        settings = Settings(database_url=url, db_schema="bench", db_workers=8)
        ledger = open_ledger(settings, url)
        print(f"writing {ORDERS} orders…", flush=True)

        def write(n: int) -> None:
            for step in order_lifecycle(ledger, f"P{n}"):
                step()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(write, range(ORDERS)))
        events = ledger.recorder.max_notification_id() or 0
        print(f"{events} events in the store", flush=True)
        views = open_views(url, "bench")
        for view in views:
            batched = ProjectionRunner(ledger, view, batch_size=500)
            view.reset()
            start = time.perf_counter()
            batched.catch_up()
            batched_rate = events / (time.perf_counter() - start)
            view.reset()
            single = ProjectionRunner(ledger, view, batch_size=1)
            start = time.perf_counter()
            done = 0
            while done < ONE_BY_ONE_LIMIT and single.step():
                done += 1
            single_rate = done / (time.perf_counter() - start)
            print(
                f"{view.name:9s} batched {batched_rate:8.0f} events/s   "
                f"one per transaction {single_rate:7.0f} events/s   "
                f"ratio {batched_rate / single_rate:5.1f}×",
                flush=True,
            )
        views[0].datastore.close()
        ledger.close()


if __name__ == "__main__":
    main()
