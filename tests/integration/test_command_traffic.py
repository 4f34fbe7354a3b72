"""What a command sends to PostgreSQL: one read, one statement to save (issue 15)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from store.recorder import HorizonRecorder
from tests.traffic import hot_capture_traffic


@pytest.mark.parametrize("keyed", [False, True])
def test_a_cached_orders_capture_is_one_read_and_one_statement_to_save(
    pg_ledger, keyed
):
    traffic = hot_capture_traffic(pg_ledger, keyed=keyed, n=20)

    # The events newer than the cached order, then the append function
    # (lock, insert, unlock, notify, the key's row) as its own transaction,
    # both on one pooled connection.
    assert (traffic.statements, traffic.round_trips) == (2, 2)
    assert traffic.checkouts == 1


def stored(originator_id: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id,
        originator_version=version,
        topic="test:event",
        state=b"{}",
    )


def advisory_locks(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_version_conflict_saves_nothing_and_holds_no_lock(pg_ledger, database_url):
    recorder = pg_ledger.recorder
    assert isinstance(recorder, HorizonRecorder)
    aggregate = uuid.uuid4()
    recorder.insert_events([stored(aggregate, 1)])

    with pytest.raises(IntegrityError):
        # Version 2 is new, version 1 is taken: the whole save is refused.
        recorder.insert_events([stored(aggregate, 2), stored(aggregate, 1)])

    assert [e.originator_version for e in recorder.select_events(aggregate)] == [1]
    assert advisory_locks(database_url) == 0
    (saved,) = recorder.insert_events([stored(aggregate, 2)])
    assert saved > 0


def test_a_taken_idempotency_key_refuses_the_events_saved_with_it(pg_ledger):
    recorder = pg_ledger.recorder
    assert isinstance(recorder, HorizonRecorder)
    aggregate = uuid.uuid4()
    recorder.insert_events([stored(aggregate, 1)], requests=[(aggregate, "k", "f", 1)])

    with pytest.raises(IntegrityError):
        recorder.insert_events(
            [stored(aggregate, 2)], requests=[(aggregate, "k", "f", 2)]
        )

    assert [e.originator_version for e in recorder.select_events(aggregate)] == [1]
    assert recorder.find_request(aggregate, "k") == ("f", 1)


def test_opening_an_order_is_one_statement_and_opening_it_again_is_refused(
    pg_ledger,
):
    from domain.context import RequestContext  # noqa: PLC0415
    from domain.errors import OrderExistsError  # noqa: PLC0415
    from tests.builders import item  # noqa: PLC0415
    from tests.traffic import counted  # noqa: PLC0415

    keyed = RequestContext(idempotency_key="open-1")
    with counted() as counts:
        first = pg_ledger.create_order("acct", "NEW", "EUR", [item(1, 100)], keyed)
    assert (counts["statements"], counts["round_trips"], counts["checkouts"]) == (
        1,
        1,
        1,
    )

    again = pg_ledger.create_order("acct", "NEW", "EUR", [item(1, 100)], keyed)
    assert (again.version, again.replayed) == (first.version, True)
    with pytest.raises(OrderExistsError):
        pg_ledger.create_order("acct", "NEW", "EUR", [item(1, 100)])
