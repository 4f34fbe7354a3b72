"""How each per-order read grows with the order's length, at three sizes (100×).

``python -m tests.bench.bench_scale`` (also part of ``make bench``). Orders of
100, 1,000 and 10,000 events (1-unit captures and refunds over ten lines,
snapshots every 50 as the ledger takes them), each read through every
surface: the ledger's own read, the native, Riverty and Dintero answers and
the console's order page. *Warm* is the median of repeated reads in one
process; *cold* is the order's first read in a process that has read only
a short order before (a restart). The growth exponent k is the slope of
log(time) over log(events) from the smallest order to the largest: k = 0 is
flat, k = 1 linear.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_ledger
from api.keys import KeyStore, Role
from api.settings import Settings
from domain.application import OrderLedger
from domain.values import Allocation
from projections.audit import ChainVerifier
from tests.bench.bench_commands import bench_database
from tests.bench.report import Report, Section
from tests.builders import item

SIZES = (100, 1_000, 10_000)
ACCOUNT, SCHEMA, LINES, WARM_READS = "scale", "bench", 10, 5
WARM_UP = "W"  # a short order read first, so that cold is the long order's cost
FLAT_MS = 20.0  # issue 24: every per-order read at 10,000 events
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]*)"')


@dataclass
class Read:
    name: str
    path: Callable[[str], str]  # the order's id → the path read


READS = (
    Read("native order", lambda o: f"/v1/accounts/{ACCOUNT}/orders/{o}"),
    Read("native events", lambda o: f"/v1/accounts/{ACCOUNT}/orders/{o}/events"),
    Read("Riverty order", lambda o: f"/api/v3/orders/{o}"),
    Read("Dintero order", lambda o: f"/v1/accounts/{ACCOUNT}/shopping/orders/{o}"),
    Read("console order page", lambda o: f"/console/orders/{o}"),
)


def build(ledger: OrderLedger, ref: str, events: int) -> None:
    """An order of ``events`` events: open, authorize, then captures and refunds."""
    ledger.create_order(ACCOUNT, ref, "EUR", [item(n, 100_000) for n in range(1, 11)])
    ledger.authorize(
        ACCOUNT, ref, "P", [Allocation(n, 100_000) for n in range(1, LINES + 1)]
    )
    for n in range(events - 2):
        line = [Allocation(1 + (n // 2) % LINES, 1)]
        if n % 2 == 0:
            ledger.capture(ACCOUNT, ref, "P", line)
        else:
            ledger.refund(ACCOUNT, ref, "P", line)


@contextmanager
def served(settings: Settings, url: str, key: str) -> Iterator[TestClient]:
    """The app on a ledger opened now (nothing read yet), signed in to the console."""
    ledger = open_ledger(settings, url)
    keys = KeyStore(url, settings.db_schema)
    app = create_app(settings, ledger=ledger, keys=keys)
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
            form = client.get("/console/sign-in").text
            [token] = _FORM_TOKEN.findall(form)
            signed = client.post(
                "/console/sign-in",
                data={"key": key, "form_token": token},
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            yield client
    finally:
        keys.close()
        ledger.close()


def _ms(read: Callable[[], object]) -> float:
    start = time.perf_counter()
    read()
    return (time.perf_counter() - start) * 1000


def _get(client: TestClient, path: str) -> int:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return len(answer.content)


def exponent(small: float, large: float) -> float:
    return math.log(large / small) / math.log(SIZES[-1] / SIZES[0])


def measure(url: str, report: Report | None) -> None:
    settings = Settings(
        database_url=url,
        db_schema=SCHEMA,
        rate_limit=1e9,
        run_projections=False,  # a projector catching up would be timed too
        run_webhooks=False,
    )
    ledger = open_ledger(settings, url)
    keys = KeyStore(url, SCHEMA)
    key = keys.create(ACCOUNT, Role.ADMIN)[1]
    keys.close()
    build(ledger, WARM_UP, 4)
    for size in SIZES:
        print(f"an order of {size:,} events…", flush=True)
        build(ledger, f"S{size}", size)
    ledger.close()

    # name → size → (cold ms, warm ms, answer bytes)
    figures: dict[str, dict[int, tuple[float, float, int]]] = {}
    _time_reads(settings, url, key, READS, figures)
    for size in SIZES:
        figures.setdefault("numbered refund (a command)", {})[size] = _refunds(
            settings, url, f"S{size}"
        )
    audit = _store_audit(settings, url)
    console = Read(f"{READS[-1].name}, after the store's audit", READS[-1].path)
    _time_reads(settings, url, key, (console,), figures)
    if report:
        _report(report, figures, audit)


def _time_reads(
    settings: Settings,
    url: str,
    key: str,
    reads: tuple[Read, ...],
    figures: dict[str, dict[int, tuple[float, float, int]]],
) -> None:
    for read in reads:
        for size in SIZES:
            path = read.path(f"S{size}")
            with served(settings, url, key) as client:
                _get(client, read.path(WARM_UP))  # the process's own first read
                cold = _ms(lambda c=client, p=path: _get(c, p))
                answer = _get(client, path)
                warm = statistics.median(
                    _ms(lambda c=client, p=path: _get(c, p)) for _ in range(WARM_READS)
                )
            figures.setdefault(read.name, {})[size] = (cold, warm, answer)
            print(
                f"{read.name} at {size:,} events: cold {cold:.1f} ms,"
                f" warm {warm:.1f} ms, {answer:,} bytes",
                flush=True,
            )


def _refunds(settings: Settings, url: str, ref: str) -> tuple[float, float, int]:
    """A Riverty numbered refund of 1 unit: the first after a restart, then more."""
    first = open_ledger(settings, url)
    first.capture(ACCOUNT, ref, "P", [Allocation(1, 1)])  # something to refund
    first.close()
    ledger = open_ledger(settings, url)
    try:

        def refund() -> None:
            ledger.refund(ACCOUNT, ref, "P", [Allocation(1, 1)], numbered=True)

        ledger.get_order(ACCOUNT, WARM_UP)
        cold = _ms(refund)
        ledger.capture(ACCOUNT, ref, "P", [Allocation(1, WARM_READS)])
        warm = statistics.median(_ms(refund) for _ in range(WARM_READS))
    finally:
        ledger.close()
    print(f"numbered refund of {ref}: cold {cold:.1f} ms, warm {warm:.1f} ms")
    return cold, warm, 0


def _store_audit(settings: Settings, url: str) -> tuple[float, float, int, int]:
    """The whole store's audit: a full walk, then a rerun after one new event.

    The console's order page goes on from the chain heads this keeps.
    """
    ledger = open_ledger(settings, url)
    try:
        verifier = ChainVerifier(ledger)
        full = _ms(lambda: verifier.verify_store(full=True))
        ledger.capture(ACCOUNT, f"S{SIZES[0]}", "P", [Allocation(1, 1)])
        start = time.perf_counter()
        read = verifier.verify_store().events_read
        rerun = (time.perf_counter() - start) * 1000
        events = ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()
    print(
        f"whole-store audit of {events:,} events: {full:.0f} ms;"
        f" rerun {rerun:.1f} ms reading {read} event(s)"
    )
    return full, rerun, events, read or 0


def _report(
    report: Report,
    figures: dict[str, dict[int, tuple[float, float, int]]],
    audit: tuple[float, float, int, int],
) -> None:
    sizes = " / ".join(f"{s:,}" for s in SIZES)
    section = report.add(
        Section(
            "Scale: per-order reads by the order's length",
            intro=__doc__.split("\n", 2)[2].strip() if __doc__ else "",
            header=[
                "read",
                f"warm ms at {sizes} events",
                "k warm",
                f"cold ms at {sizes}",
                "k cold",
                f"answer bytes at {SIZES[-1]:,}",
            ],
        )
    )
    worst = 0.0
    for name, by_size in figures.items():
        cold = [by_size[s][0] for s in SIZES]
        warm = [by_size[s][1] for s in SIZES]
        worst = max(worst, cold[-1], warm[-1])
        section.row(
            name,
            " / ".join(f"{w:.1f}" for w in warm),
            f"{exponent(warm[0], warm[-1]):.2f}",
            " / ".join(f"{c:.1f}" for c in cold),
            f"{exponent(cold[0], cold[-1]):.2f}",
            f"{by_size[SIZES[-1]][2]:,}",
        )
    full, rerun, events, read = audit
    section.notes.append(
        f"The whole store's audit ({events:,} events): a full walk {full:.0f} ms;"
        f" a rerun after one more event {rerun:.1f} ms, reading {read} event(s)"
        f" ({full / rerun:.0f}× less time)."
    )
    report.target(
        "the whole store's audit, rerun after one new event",
        f"read {read} event(s) in {rerun:.1f} ms (full walk {full:.0f} ms)",
        "reads only what is new",
        met=read == 1,
    )
    report.target(
        f"slowest per-order read at {SIZES[-1]:,} events, warm or cold",
        f"{worst:.0f} ms",
        f"≤ {FLAT_MS:.0f} ms",
        met=worst <= FLAT_MS,
        why="Riverty's and Dintero's order answers list every capture, refund "
        "and void of the order, as both published APIs define them (neither "
        "order read has a page parameter), so the answer itself grows with the "
        "order: 2.3–2.8 MB at 10,000 events. Profiled at 10,000 events: decoding "
        "the order's events 70–250 ms (the more, the more the garbage collector "
        "runs), building the records 90–270 ms, JSON 15–20 ms. The console's page "
        "is flat once the store's audit has run (its chain mark goes on from the "
        "kept head); before, it recomputes every event's hash. Next steps: each "
        "order's operation records kept with it (or a per-process copy of its "
        "decoded events, extended by the newer ones), so that a read decodes "
        "only what is new.",
    )


def main(report: Report | None = None) -> None:
    with bench_database() as url:
        measure(url, report)


if __name__ == "__main__":
    main()
