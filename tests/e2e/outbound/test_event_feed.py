"""The event feed (SPEC §14): every committed event of the account, in commit
order, through a cursor that never skips or repeats one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.conftest import Api
from tests.e2e.console import money_story
from tests.e2e.dintero import NATIVE, chair, create_order, ok, operation

EVENTS = f"{NATIVE}/events"


def page(finance: httpx.Client, cursor: str | None, **params: object) -> dict:
    after = {"starting_after": cursor} if cursor else {}
    return ok(finance.get(EVENTS, params={**params, **after}))


def test_pages_give_every_event_once_in_commit_order(api: Api, writer, finance):
    for _ in range(3):
        money_story(writer)
    whole = page(finance, None, limit=1000)["events"]
    seen, cursor = [], None
    while batch := page(finance, cursor, limit=4):
        if not batch["events"]:
            break
        seen += batch["events"]
        cursor = batch["next_cursor"]
    assert seen == whole
    ledger = api.app.state.ledger  # type: ignore[attr-defined]
    stored = ledger.recorder.select_notifications(start=1, limit=10_000)
    order_events = [n for n in stored if n.topic.startswith("domain.order:Order.")]
    assert len(whole) == len(order_events)
    orders = {e["order_id"] for e in whole}
    for order_id in orders:
        versions = [e["version"] for e in whole if e["order_id"] == order_id]
        assert versions == list(range(1, len(versions) + 1))
    # Polling at the end gives nothing new, and the cursor stays where it was.
    end = page(finance, cursor, limit=10)
    assert end == {"events": [], "next_cursor": cursor}


def test_the_feed_under_concurrent_writers_skips_and_repeats_nothing(
    api: Api, writer, finance
):
    orders = [create_order(writer, [chair(1, 100_000)]) for _ in range(4)]
    for order_id in orders:
        ok(operation(writer, order_id, "authorizations", {1: 100_000}))
    stop = threading.Event()

    def write(n: int) -> None:
        with api.client(api.writer) as client:
            for i in range(15):
                order_id = orders[(n + i) % len(orders)]
                response = operation(client, order_id, "captures", {1: 10})
                assert response.status_code in (200, 409), response.text

    read: list[dict] = []
    cursor = None

    def follow() -> None:
        nonlocal cursor
        with api.client(api.finance) as client:
            while True:
                last = stop.is_set()
                batch = page(client, cursor, limit=7)
                read.extend(batch["events"])
                cursor = batch["next_cursor"] or cursor
                if last and not batch["events"]:
                    return

    reader = threading.Thread(target=follow)
    reader.start()
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, range(6)))
    stop.set()
    reader.join(timeout=120)
    whole = page(finance, None, limit=1000)["events"]
    ids = [e["id"] for e in read]
    assert len(ids) == len(set(ids)), "an event was given twice"
    assert ids == [e["id"] for e in whole], "an event was skipped or reordered"
    captured = sum(
        item["amount"]
        for e in whole
        if e["type"] == "Captured"
        for item in e["data"]["items"]
    )
    totals = sum(
        ok(writer.get(f"{NATIVE}/orders/{o}"))["totals"]["captured"] for o in orders
    )
    assert captured == totals > 0


def test_types_filter_and_another_accounts_events_never_appear(
    api: Api, writer, finance
):
    with api.client(api.other_writer) as other:
        money_story(other, account="other")
    story = money_story(writer)
    captures = page(finance, None, types="Captured")["events"]
    assert [e["type"] for e in captures] == ["Captured"]
    assert captures[0]["order_id"] == story["order_id"]
    assert captures[0]["data"]["items"] == [{"line_id": 1, "amount": 10000}]
    everything = page(finance, None, limit=1000)["events"]
    assert {e["order_id"] for e in everything} == {story["order_id"]}


def test_bad_feed_requests_are_400(finance):
    for params in (
        {"starting_after": "not-a-cursor!"},
        {"types": "Captured,NoSuchType"},
        {"limit": 0},
        {"limit": 1001},
    ):
        response = finance.get(EVENTS, params=params)
        assert response.status_code in (400, 422), (params, response.text)
