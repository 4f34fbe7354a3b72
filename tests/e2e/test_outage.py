"""The database goes away under load and comes back: only 2xx and 503 answers,
nothing acknowledged lost or doubled, and readiness says so within a probe."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tests.e2e import riverty
from tests.e2e.conftest import serving_app
from tests.e2e.dintero import NATIVE, SHOP, chair, create_order, ok, operation
from tests.e2e.tcp_proxy import PostgresProxy
from tests.e2e.test_crash import captures_stored
from tests.integration.locks import hold_commits, wait_for_advisory_waiter

CAPTURES = 40


@contextmanager
def database_down(server_url: str, database_url: str) -> Iterator[None]:
    """Refuse new connections to the test database and drop the open ones.

    To the ledger this is a database server that went away: every pooled
    connection breaks and no new one can be made, until the block ends.
    """
    name = sql.Identifier(str(conninfo_to_dict(database_url)["dbname"]))
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (conninfo_to_dict(database_url)["dbname"],),
        )
        try:
            yield
        finally:
            admin.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name)
            )


def test_an_outage_answers_503_in_each_dialect_and_readiness_fails_fast(
    writer, server_url, database_url
):
    order_id = create_order(writer, [chair(1, 10_000)])
    ok(riverty.authorize(writer, "OUT-1"))
    with database_down(server_url, database_url):
        started = time.monotonic()
        ready = writer.get("/health/ready")
        assert time.monotonic() - started < 1.0
        assert ready.status_code == 503

        native = writer.get(f"{NATIVE}/orders/{order_id}")
        assert native.status_code == 503, native.text
        assert native.json()["code"] == "database_unavailable"
        assert native.headers["retry-after"] == "1"
        assert native.headers["x-request-id"]

        river = writer.get(f"{riverty.API}/orders/OUT-1")
        assert river.status_code == 503, river.text
        assert isinstance(river.json(), list)

    deadline = time.monotonic() + 30
    while writer.get("/health/ready").status_code != 200:  # bounded recovery wait
        assert time.monotonic() < deadline, "the ledger did not recover"
    ok(writer.get(f"{NATIVE}/orders/{order_id}"))


def test_captures_across_an_outage_are_recorded_exactly_once(
    writer, server_url, database_url
):
    order_id = create_order(writer, [chair(1, CAPTURES * 100)])
    ok(operation(writer, order_id, "authorizations", {1: CAPTURES * 100}))
    statuses: list[int] = []
    halfway = threading.Event()
    outage = threading.Event()

    def capture(n: int) -> None:
        """One capture, retried under its key until it is answered 200."""
        if n >= CAPTURES // 2:
            outage.wait(timeout=60)  # the second half meets the outage for sure
        with httpx.Client(
            base_url=str(writer.base_url), headers=writer.headers, timeout=60
        ) as client:
            body = {
                "items": [{"line_id": 1, "amount": 100}],
                "payment_details": {"payment_id": "PID_123"},
            }
            while True:
                response = client.post(
                    f"/v1/accounts/acme/shopping/orders/{order_id}/captures",
                    json=body,
                    headers={"Idempotency-Key": f"cap-{n}"},
                )
                statuses.append(response.status_code)
                if n == CAPTURES // 4:
                    halfway.set()
                if response.status_code == 200:
                    return
                # 503: the database is away; 409 concurrent_modification: eight
                # writers of one order collided when it came back. Both say
                # "retry", and the key makes the retry safe.
                retryable = response.status_code == 503 or (
                    response.status_code == 409
                    and response.json()["error"]["code"] == "concurrent_modification"
                )
                assert retryable, response.text

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(capture, n) for n in range(CAPTURES)]
        halfway.wait(timeout=60)
        with database_down(server_url, database_url):
            outage.set()
            time.sleep(1.5)  # the outage itself: requests meet it meanwhile
        for future in futures:
            future.result(timeout=120)

    assert 503 in statuses, statuses  # the outage was met
    assert set(statuses) <= {200, 409, 503}, statuses  # and never a 500
    order = ok(writer.get(f"{NATIVE}/orders/{order_id}"))
    assert order["totals"]["captured"] == CAPTURES * 100


GATE = 4242  # holds the capture's commit open until the connection is deaf


def test_a_capture_committed_as_its_connection_died_is_answered_once(
    pg_settings, database_url, schema
):
    """The server commits the capture, the ledger never hears it, the link dies.

    That request is committed but unanswered by the database; whatever the
    ledger answers first (a 503, or the replay after its own retry), the
    client's retry under the same key gets the capture once, never twice.
    """
    proxy = PostgresProxy(database_url)
    settings = pg_settings.model_copy(
        update={"database_url": proxy.url, "busy_timeout": 30.0}
    )
    try:
        with (
            serving_app(settings, database_url) as served,
            served.client(served.writer) as writer,
        ):
            order_id = create_order(writer, [chair(1, 1_000)])
            ok(operation(writer, order_id, "authorizations", {1: 1_000}))
            hold_commits(database_url, schema, GATE, "%Captured")
            body = {
                "items": [{"line_id": 1, "amount": 300}],
                "payment_details": {"payment_id": "PID_123"},
            }
            url = f"{SHOP}/orders/{order_id}/captures"
            headers = {"Idempotency-Key": "deaf-1"}
            first: list[httpx.Response] = []
            with psycopg.connect(database_url, autocommit=True) as gate:
                gate.execute("SELECT pg_advisory_lock(%s)", (GATE,))
                sender = threading.Thread(
                    target=lambda: first.append(
                        writer.post(url, json=body, headers=headers)
                    )
                )
                sender.start()
                wait_for_advisory_waiter(gate, "objid", GATE, "the capture's commit")
                proxy.swallow_answers()  # the database's answers go nowhere now
                gate.execute("SELECT pg_advisory_unlock(%s)", (GATE,))
                deadline = time.monotonic() + 30
                while captures_stored(database_url, schema) != 1:
                    assert time.monotonic() < deadline, "the capture never committed"
            proxy.cut()  # the ledger's connection dies with its answer unread
            sender.join(timeout=60)
            assert first, "the first request was never answered"
            assert first[0].status_code in (200, 503), first[0].text
            # A client retries a 503 after the Retry-After it names: the pool
            # drops the connections the cut killed and reconnects, on its own
            # backoff, to a proxy that passes again.
            for _ in range(30):
                retried = writer.post(url, json=body, headers=headers)
                if retried.status_code != 503:
                    break
                time.sleep(float(retried.headers.get("Retry-After", "1")))
            assert retried.status_code == 200, retried.text
            if first[0].status_code == 200:
                assert retried.json() == first[0].json()
            order = ok(writer.get(f"{NATIVE}/orders/{order_id}"))
    finally:
        proxy.close()
    assert captures_stored(database_url, schema) == 1
    assert order["totals"]["captured"] == 300
