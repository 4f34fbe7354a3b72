"""The whole store's audit goes on from where the last one stopped (issue 24)."""

from __future__ import annotations

import threading

from domain.order import order_uuid
from domain.values import Allocation
from projections.audit import ChainVerifier
from tests.integration.test_audit import CHANGE_AMOUNT, DELETE, paid, tamper


def test_a_rerun_reads_only_the_events_stored_since(pg_ledger):
    paid(pg_ledger, "O1")
    pg_ledger.create_draft("acct", "EUR", [])
    verifier = ChainVerifier(pg_ledger)
    assert verifier.store_events_to_read() == 6
    first = verifier.verify_store()
    assert (first.orders_checked, first.events_checked, first.events_read) == (1, 6, 6)
    assert first.broken == []

    again = verifier.verify_store()
    assert (again.orders_checked, again.events_checked, again.events_read) == (1, 6, 0)
    assert verifier.store_events_to_read() == 0

    pg_ledger.capture("acct", "O1", "P", [Allocation(1, 100)])
    paid(pg_ledger, "O2")
    assert verifier.store_events_to_read() == 6
    later = verifier.verify_store()
    assert (later.orders_checked, later.events_checked, later.events_read) == (2, 12, 6)
    assert later.verified_through == pg_ledger.recorder.max_notification_id()
    assert later.broken == []


def test_a_new_event_that_does_not_chain_is_found_and_stays_reported(
    pg_ledger, database_url, schema
):
    paid(pg_ledger, "KEPT")
    verifier = ChainVerifier(pg_ledger)
    assert verifier.verify_store().broken == []
    pg_ledger.capture("acct", "KEPT", "P", [Allocation(1, 200)])  # version 6
    pg_ledger.capture("acct", "KEPT", "P", [Allocation(1, 100)])  # version 7
    tamper(database_url, schema, DELETE, order_uuid("acct", "KEPT"), 6)
    [broken] = verifier.verify_store().broken
    assert (broken.order_id, broken.version) == ("KEPT", 7)
    assert "missing" in broken.reason
    rerun = verifier.verify_store()
    assert rerun.events_read == 0
    assert [(b.order_id, b.version) for b in rerun.broken] == [("KEPT", 7)]


def test_an_event_changed_after_it_was_verified_takes_a_full_audit(
    pg_ledger, database_url, schema
):
    paid(pg_ledger, "OLD")
    verifier = ChainVerifier(pg_ledger)
    assert verifier.verify_store().broken == []
    tamper(database_url, schema, CHANGE_AMOUNT, order_uuid("acct", "OLD"), 4)
    assert verifier.verify_store().broken == []  # the kept head is trusted
    full = verifier.verify_store(full=True)
    assert full.events_read == 5
    [broken] = full.broken
    assert (broken.order_id, broken.version) == ("OLD", 4)
    assert [b.version for b in verifier.verify_store().broken] == [4]


def test_audits_at_once_keep_one_consistent_position(pg_ledger):
    for n in range(6):
        paid(pg_ledger, f"O{n}")
    reports = []
    start = threading.Barrier(3)

    def audit() -> None:
        start.wait()
        reports.append(ChainVerifier(pg_ledger).verify_store())

    threads = [threading.Thread(target=audit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.broken == [] for r in reports)
    rerun = ChainVerifier(pg_ledger).verify_store()
    assert (rerun.orders_checked, rerun.events_checked, rerun.events_read) == (
        6,
        30,
        0,
    )
