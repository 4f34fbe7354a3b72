"""``make bench``: every benchmark in one run, then docs/performance.md rewritten.

``python -m tests.bench`` uses ``DATABASE_URL`` if set, else an embedded
PostgreSQL; each benchmark makes and drops its own database on that server.
"""

from __future__ import annotations

import time

from tests.bench import (
    bench_commands,
    bench_growth,
    bench_http,
    bench_projections,
    bench_reads,
    bench_scale,
    bench_settlements,
    bench_webhooks,
)
from tests.bench.report import Report

BENCHMARKS = (
    bench_commands,
    bench_growth,
    bench_projections,
    bench_reads,
    bench_scale,
    bench_http,
    bench_webhooks,
    bench_settlements,
)


def main() -> None:
    report = Report()
    started = time.monotonic()
    for number, bench in enumerate(BENCHMARKS, 1):
        name = bench.__name__.rsplit(".", 1)[-1]
        print(f"\n== [{number}/{len(BENCHMARKS)}] {name} ==", flush=True)
        bench.main(report)
    report.write()
    print(f"all benchmarks in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
