"""Projection speed: batched catch-up against one event a transaction, and a
rebuild of every read model from 1,000,000 events.

Run with ``make bench``. One transaction per event is what the library's
ProjectionRunner does; the ratio is the speed-up of batching, measured on
the same events, database and machine in one run.

The million events are real ledger events: ``TEMPLATE_ORDERS`` orders are
written through the application, then copied in SQL under new order ids and
references (Opened carries the reference), so the projections fold exactly
the events the ledger writes. The copies' hash chains are not re-computed:
``ledger audit verify`` would flag them, the projections do not read hashes.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from psycopg import sql

from api.bootstrap import open_ledger
from api.settings import Settings
from domain.application import OrderLedger
from projections import runner as runner_module
from projections.fold import OrderFolder
from projections.runner import REBUILD_ORDERS, ProjectionRunner
from projections.setup import open_views
from projections.views import ReadModelView
from tests.bench.bench_commands import bench_database, order_lifecycle
from tests.bench.report import Report, Section

TEMPLATE_ORDERS = 1_250  # × 8 events each
REBUILD_EVENTS = 1_000_000
ONE_BY_ONE_LIMIT = 2_000  # events timed at one transaction each
SCHEMA = "bench"
MIXED_SCHEMA, MIXED_COPIES = "bench_mixed", 10  # 12,500 orders, interleaved


def write_templates(ledger: OrderLedger) -> None:
    def write(n: int) -> None:
        for step in order_lifecycle(ledger, f"P{n}"):
            step()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(TEMPLATE_ORDERS)))


def copies_statement(target: str, order: str) -> sql.Composed:
    """INSERT of copies ``%s``..``%s`` of the templates (ids ≤ ``%s``) into ``target``.

    ``order`` is the order the copies are appended in: copy by copy, or every
    order's first events before any order's second (all of them interleaved).
    """
    return sql.SQL(
        "INSERT INTO {target} (originator_id, originator_version, topic, state) "
        "SELECT md5(e.originator_id::text || '/' || c)::uuid, e.originator_version,"
        " e.topic, CASE WHEN e.originator_version = 1 THEN convert_to(regexp_replace("
        'convert_from(e.state, \'UTF8\'), \'"order_ref":"([^"]*)"\','
        " '\"order_ref\":\"\\1-' || c || '\"'), 'UTF8') ELSE e.state END "
        "FROM {table} e, generate_series(%s::int, %s::int) c "
        "WHERE e.notification_id <= %s "
        "ORDER BY {order}"
    ).format(
        target=sql.Identifier(target, "ledger_events"),
        table=sql.Identifier(SCHEMA, "ledger_events"),
        order=sql.SQL(order),
    )


def copy_events(ledger: OrderLedger, copies: int) -> int:
    """Append ``copies`` copies of every stored event under new orders."""
    table = sql.Identifier(SCHEMA, "ledger_events")
    statement = copies_statement(SCHEMA, "c, e.notification_id")
    template_head = ledger.recorder.max_notification_id() or 0
    with ledger.recorder.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
        step = 20
        for first in range(1, copies + 1, step):
            last = min(copies, first + step - 1)
            curs.execute(statement, (first, last, template_head))
            print(f"  copied {last}/{copies}", flush=True)
        curs.execute(sql.SQL("ANALYZE {}").format(table))
    return ledger.recorder.max_notification_id() or 0


def interleaved_rates(
    url: str, template_head: int
) -> dict[str, tuple[float, float, float]]:
    """Rebuild of orders all interleaved, read ahead a batch at a time and not.

    More orders than the projector keeps in memory (10,000): each event's
    order has been forgotten since its previous event.
    """
    settings = Settings(database_url=url, db_schema=MIXED_SCHEMA)
    ledger = open_ledger(settings, url)
    with ledger.recorder.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
        curs.execute(
            copies_statement(
                MIXED_SCHEMA, "e.originator_version, c, e.notification_id"
            ),
            (1, MIXED_COPIES, template_head),
        )
    events = ledger.recorder.max_notification_id() or 0
    views = open_views(url, MIXED_SCHEMA)
    rates = {}
    for view in views:
        kept = rebuild_rate(ledger, view, events)
        runner_module.REBUILD_ORDERS = OrderFolder(ledger).capacity  # 10,000
        try:
            ahead = rebuild_rate(ledger, view, events)
            one_each = rebuild_rate(ledger, view, events, prefetching=False)
        finally:
            runner_module.REBUILD_ORDERS = REBUILD_ORDERS
        rates[view.name] = (kept, ahead, one_each)
        print(
            f"{view.name:9s} {events:,} events of {events // 8:,} interleaved orders:"
            f" {kept:,.0f} events/s; keeping 10,000 orders, {ahead:,.0f} read"
            f" ahead, {one_each:,.0f} one order a load",
            flush=True,
        )
    views[0].datastore.close()
    ledger.close()
    return rates


def rebuild_rate(
    ledger: OrderLedger, view: ReadModelView, events: int, *, prefetching: bool = True
) -> float:
    runner = ProjectionRunner(ledger, view, batch_size=500)
    runner.folder.prefetching = prefetching
    start = time.perf_counter()
    reported = [0]

    def progress(count: int) -> None:
        reported[0] += count
        if reported[0] % 100_000 < count:
            print(f"  {view.name}: {reported[0]:,} events", flush=True)

    runner.rebuild(progress)
    return events / (time.perf_counter() - start)


def one_by_one_rate(ledger: OrderLedger, view: ReadModelView) -> float:
    view.reset()
    single = ProjectionRunner(ledger, view, batch_size=1)
    start = time.perf_counter()
    done = 0
    while done < ONE_BY_ONE_LIMIT and single.step():
        done += 1
    return done / (time.perf_counter() - start)


def measure(url: str, report: Report | None) -> None:
    settings = Settings(database_url=url, db_schema=SCHEMA, db_workers=8)
    ledger = open_ledger(settings, url)
    print(f"writing {TEMPLATE_ORDERS} orders…", flush=True)
    write_templates(ledger)
    events = ledger.recorder.max_notification_id() or 0
    print(f"{events} events in the store", flush=True)
    views = open_views(url, SCHEMA)
    catch_up = Section(
        "Projections: catch-up, batched against one event a transaction",
        intro=(
            f"{events:,} events ({TEMPLATE_ORDERS:,} orders × 8). One transaction per "
            "event is what eventsourcing's ProjectionRunner does (timed over "
            f"{ONE_BY_ONE_LIMIT:,} events); ours folds 500 events per transaction."
        ),
        header=["read model", "batched events/s", "one a transaction", "ratio"],
    )
    singles: dict[str, float] = {}
    for view in views:
        batched = rebuild_rate(ledger, view, events)
        singles[view.name] = one_by_one_rate(ledger, view)
        ratio = batched / singles[view.name]
        print(
            f"{view.name:9s} batched {batched:8.0f} events/s   one per transaction"
            f" {singles[view.name]:7.0f} events/s   ratio {ratio:5.1f}×",
            flush=True,
        )
        catch_up.row(
            view.name, f"{batched:,.0f}", f"{singles[view.name]:,.0f}", f"{ratio:.0f}×"
        )

    copies = -(-REBUILD_EVENTS // events) - 1
    print(f"copying the events {copies} times…", flush=True)
    total = copy_events(ledger, copies)
    print(f"{total:,} events in the store; rebuilding every read model…", flush=True)
    rebuild = Section(
        f"Projections: rebuild from {total:,} events",
        intro=(
            "Every read model emptied and rebuilt from the first event "
            "(what `ledger projections rebuild` does), one read model after the "
            "other. The events are the orders above copied in SQL under new ids."
        ),
        header=["read model", "events/s", "seconds", "× one a transaction"],
    )
    rates = {}
    start = time.perf_counter()
    for view in views:
        rates[view.name] = rebuild_rate(ledger, view, total)
        rebuild.row(
            view.name,
            f"{rates[view.name]:,.0f}",
            f"{total / rates[view.name]:.0f}",
            f"{rates[view.name] / singles[view.name]:.0f}×",
        )
        print(f"{view.name:9s} rebuilt at {rates[view.name]:8.0f} events/s", flush=True)
    seconds = time.perf_counter() - start
    rebuild.row(
        "all, one after the other", f"{total / seconds:,.0f}", f"{seconds:.0f}", ""
    )
    mixed = interleaved_rates(url, events)
    mixed_events = events * MIXED_COPIES
    rebuild.notes.append(
        f"Orders all interleaved: {mixed_events:,} events of "
        f"{mixed_events // 8:,} orders appended every order's first event, then "
        "every order's second, and so on. A rebuild keeps up to "
        f"{REBUILD_ORDERS:,} orders in memory (about 2 KB each); following new "
        "commits, the projector keeps 10,000. With 10,000, each event's order "
        "was forgotten since its last event: then the orders a batch needs are "
        "read ahead in one statement, against one load per order as before. "
        "In the same run: "
        + "; ".join(
            f"{name} {kept:,.0f} events/s; keeping 10,000, {ahead:,.0f} read "
            f"ahead against {one:,.0f} one load an order ({ahead / one:.1f}×)"
            for name, (kept, ahead, one) in mixed.items()
        )
        + ". Past the rebuild's memory the read-ahead figure is the rate: each "
        "reload replays the order's earlier events."
    )
    slowest = min([*rates.values(), *(kept for kept, _, _ in mixed.values())])
    if report:
        report.add(catch_up)
        report.add(rebuild)
        report.target(
            "rebuild speed (slowest read model, whatever the interleaving)",
            f"{slowest:,.0f} events/s",
            "≥ 20,000 events/s",
            goal="≥ 50,000 events/s",
            met=slowest >= 20_000,
            why=(
                f"short by {20_000 / slowest:.1f}×, though "
                f"{slowest / min(singles.values()):.0f}× the library's "
                "one-event-a-transaction runner. A rebuild of orders written one "
                f"after another runs at {min(rates.values()):,.0f} events/s; the "
                "slowest is balances over fully interleaved orders, and it is "
                "bound by its writes: each batch rewrites the line, payment and "
                "summary rows of every order it touches, and when every event "
                "is another order's a 500-event batch rewrites 500 orders, not "
                "about 60 (the journal, which appends, keeps its speed there). "
                "Next steps: a rebuild that writes each order's rows once (its "
                "tables start empty: when the order leaves memory, or at the "
                "end), one pass feeding both read models, and a rebuild split "
                "by notification log over several processes."
            ),
        )
    views[0].datastore.close()
    ledger.close()


def main(report: Report | None = None) -> None:
    with bench_database() as url:
        measure(url, report)


if __name__ == "__main__":
    main()
