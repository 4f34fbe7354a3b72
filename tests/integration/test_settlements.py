"""Settlement imports, proofs, runs and the exception queue on real PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from domain.values import Allocation
from settlements.exceptions import ExceptionError
from settlements.model import SettlementFileError
from settlements.service import Settlements
from settlements.store import SettlementConflictError
from tests.builders import item
from tests.settlement_files import (
    ADYEN_COLUMNS,
    KLARNA_COLUMNS,
    adyen_row,
    adyen_settled,
    dintero_events,
    dintero_settlement,
    dintero_settlements,
    klarna_row,
    table,
)

ACCOUNT = "acct"


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settlements(database_url, schema, projections, clock) -> Iterator[Settlements]:
    service = Settlements(database_url, schema, projections, clock=clock)
    try:
        yield service
    finally:
        service.close()


def captured(ledger, order, amounts, *, refunds=(), payment="P1"):
    """An order paid in EUR: captures ``{reference: amount}``, then refunds."""
    total = sum(amounts.values())
    ledger.create_order(ACCOUNT, order, "EUR", [item(1, total)])
    ledger.authorize(ACCOUNT, order, payment, [Allocation(1, total)])
    for reference, amount in amounts.items():
        ledger.capture(
            ACCOUNT, order, payment, [Allocation(1, amount)], reference=reference
        )
    for reference, amount in refunds:
        ledger.refund(
            ACCOUNT, order, payment, [Allocation(1, amount)], reference=reference
        )


# Files of one test run name the same days, so the same file is the same bytes.
TODAY = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).strftime("%Y-%m-%d %H:%M:%S")


def adyen_file(batch="7", payout=None, *, extra=()):
    rows = [
        adyen_settled("O-1", "O-1-C1", "100.00", "1.00", **{"Creation Date": day(2)}),
        # two partial captures of one order, settled in two lines
        adyen_settled("O-2", "O-2-C1", "60.00", "0.50", **{"Creation Date": day(2)}),
        adyen_settled("O-2", "O-2-C2", "40.00", "0.50", **{"Creation Date": day(3)}),
        # no reference of ours: matched on order + kind + amount in the window
        adyen_settled("O-3", "<auto>", "75.00", "0.25", **{"Creation Date": day(4)}),
        adyen_row(
            "Refunded",
            **{
                "Merchant Reference": "O-1",
                "Modification Merchant Reference": "O-1-R1",
                "Gross Debit (GC)": "20.00",
                "Net Debit (NC)": "20.00",
                "Creation Date": day(3),
            },
        ),
        adyen_row(
            "Chargeback",
            **{
                "Merchant Reference": "O-OLD",
                "Gross Debit (GC)": "30.00",
                "Commission (NC)": "5.00",
                "Net Debit (NC)": "35.00",
            },
        ),
        adyen_settled("POS-77", "POS-77", "12.00", "0.00"),  # another sales channel
        *extra,
        adyen_row("Fee", **{"Net Debit (NC)": "0.25"}),
    ]
    net = 9900 + 5950 + 3950 + 7475 - 2000 - 3500 + 1200 - 25
    net += sum(round(float(r.get("Net Credit (NC)") or 0) * 100) for r in extra)
    rows = [{**r, "Batch Number": batch} for r in rows]
    amount = net if payout is None else payout
    rows.append(
        adyen_row(
            "MerchantPayout",
            batch,
            **{"Net Debit (NC)": f"{amount / 100:.2f}", "Booking Date": day(5)},
        )
    )
    return table(ADYEN_COLUMNS, rows).encode()


@pytest.fixture
def shop(pg_ledger, projections):
    captured(pg_ledger, "O-1", {"O-1-C1": 10000}, refunds=[("O-1-R1", 2000)])
    captured(pg_ledger, "O-2", {"O-2-C1": 6000, "O-2-C2": 4000})
    captured(pg_ledger, "O-3", {"O-3-CAP": 7500})
    captured(pg_ledger, "O-4", {"O-4-C1": 5000})  # not settled yet
    projections.catch_up()
    return pg_ledger


def statuses(batch):
    return {line["line_no"]: line["match"]["status"] for line in batch["lines"]}


@pytest.mark.usefixtures("shop")
class TestImportAndMatch:
    def test_a_batch_is_proven_and_its_lines_matched(self, settlements, clock):
        imported = settlements.import_file(
            ACCOUNT, adyen_file(), filename="b7.csv", actor="k1"
        )
        assert imported["created"]
        (batch,) = imported["batches"]
        assert (batch["provider"], batch["batch_id"], batch["balanced"]) == (
            "adyen",
            "7",
            True,
        )
        clock.offset = timedelta(days=20)
        run = settlements.reconcile(ACCOUNT, actor="k1")
        shown = settlements.batch(ACCOUNT, "adyen", "7")
        assert statuses(shown) == {
            2: "matched",
            3: "matched",
            4: "matched",
            5: "matched",
            6: "matched",
            7: "provider_initiated",
            8: "not_in_ledger",
            9: "fee",
            10: "batch_movement",
        }
        assert run["match_rate"] == round(5 / 6, 4)
        unsettled = [
            r
            for r in settlements.run(ACCOUNT, run["run_id"])["results"]
            if r["status"] == "not_yet_settled"
        ]
        assert [(r["order_id"], r["age_days"]) for r in unsettled] == [("O-4", 20)]
        open_ = settlements.exceptions(ACCOUNT, "open")
        assert sorted(x["category"] for x in open_) == [
            "not_settled",
            "provider_initiated",
            "settled_not_in_ledger",
        ]
        payout = settlements.payouts(ACCOUNT)[0]
        assert payout["fees_by_type"] == {"Fee": -25, "transaction fees (inline)": -725}
        assert (payout["open_exceptions"], payout["matched_share"]) == (
            2,
            round(5 / 6, 4),
        )

    def test_the_same_file_twice_changes_nothing(
        self, settlements, database_url, schema
    ):
        first = settlements.import_file(ACCOUNT, adyen_file(), actor="k1")
        again = settlements.import_file(ACCOUNT, adyen_file(), actor="k2")
        assert (again["import_id"], again["created"]) == (first["import_id"], False)
        with psycopg.connect(database_url) as conn:
            count = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(
                    sql.Identifier(schema, "settlement_lines")
                )
            ).fetchone()[0]
        assert count == 9

    def test_the_same_file_at_once_is_imported_once(self, settlements):
        barrier = threading.Barrier(4)
        answers = []

        def post():
            barrier.wait()
            answers.append(settlements.import_file(ACCOUNT, adyen_file(), actor="k"))

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({a["import_id"] for a in answers}) == 1
        assert sorted(a["created"] for a in answers) == [False, False, False, True]

    def test_a_changed_report_of_the_same_batch_is_refused_whole(self, settlements):
        settlements.import_file(ACCOUNT, adyen_file(), actor="k")
        changed = adyen_file(extra=[adyen_settled("O-5", "O-5-C1", "1.00", "0.00")])
        with pytest.raises(SettlementConflictError, match="already has its lines"):
            settlements.import_file(ACCOUNT, changed, actor="k")
        assert [b["batch_id"] for b in settlements.batches(ACCOUNT)] == ["7"]

    def test_an_unbalanced_batch_is_flagged_and_an_exception(self, settlements):
        settlements.import_file(ACCOUNT, adyen_file("8", payout=100), actor="k")
        (batch,) = settlements.batches(ACCOUNT)
        assert (batch["balanced"], batch["proof"]["status"]) == (False, "unbalanced")
        assert (
            batch["proof"]["difference_minor"]
            == 9900 + 5950 + 3950 + 7475 - 2000 - 3500 + 1200 - 25 - 100
        )
        settlements.reconcile(ACCOUNT, actor="k")
        assert "unbalanced_batch" in {
            x["category"] for x in settlements.exceptions(ACCOUNT)
        }

    def test_a_bad_file_writes_nothing(self, settlements):
        bad = adyen_file().replace(b"60.00", b"60.001")
        with pytest.raises(SettlementFileError, match="line 3"):
            settlements.import_file(ACCOUNT, bad, actor="k")
        assert settlements.batches(ACCOUNT) == []

    def test_history_cannot_be_edited(self, settlements, database_url, schema):
        settlements.import_file(ACCOUNT, adyen_file(), actor="k")
        settlements.reconcile(ACCOUNT, actor="k")
        with psycopg.connect(database_url, autocommit=True) as conn:
            for table_name, change in (
                ("settlement_lines", "UPDATE {} SET net = 0"),
                ("settlement_batches", "DELETE FROM {}"),
                ("reconciliation_exceptions", "UPDATE {} SET category = 'x'"),
                ("reconciliation_results", "TRUNCATE {}"),
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(
                        sql.SQL(change).format(sql.Identifier(schema, table_name))
                    )


@pytest.mark.usefixtures("shop")
class TestTheQueue:
    def test_resolved_by_hand_with_actor_and_reason(self, settlements):
        settlements.import_file(ACCOUNT, adyen_file(), actor="k")
        settlements.reconcile(ACCOUNT, actor="k")
        stranger = next(
            x
            for x in settlements.exceptions(ACCOUNT)
            if x["category"] == "settled_not_in_ledger"
        )
        with pytest.raises(ExceptionError, match="note"):
            settlements.resolve(ACCOUNT, stranger["id"], "write_off", " ", actor="fin")
        with pytest.raises(ExceptionError, match="name its reference"):
            settlements.resolve(
                ACCOUNT,
                stranger["id"],
                "matched",
                "POS sale",
                {"order_id": "O-2", "kind": "capture"},
                actor="fin",
            )
        done = settlements.resolve(
            ACCOUNT,
            stranger["id"],
            "matched",
            "the POS sale was booked as O-4",
            {"order_id": "O-4", "kind": "capture"},
            actor="fin",
        )
        assert done["status"] == "resolved"
        assert (done["history"][0]["actor"], done["history"][0]["resolution"]) == (
            "fin",
            "matched",
        )
        with pytest.raises(ExceptionError, match="not open"):
            settlements.resolve(ACCOUNT, stranger["id"], "timing", "again", actor="fin")
        settlements.reconcile(ACCOUNT, actor="k")
        line = next(
            x
            for x in settlements.batch(ACCOUNT, "adyen", "7")["lines"]
            if x["order_ref"] == "POS-77"
        )
        # a person's decision stands; the difference (1200 settled for 5000) shows
        assert (line["match"]["status"], line["match"]["difference_minor"]) == (
            "matched",
            -3800,
        )
        assert line["match"]["order_id"] == "O-4"
        assert settlements.exceptions(ACCOUNT, "resolved")[0]["id"] == stranger["id"]

    def test_closed_by_a_later_run_that_explains_it(
        self, settlements, shop, projections, clock
    ):
        settlements.import_file(ACCOUNT, adyen_file(), actor="k")
        settlements.reconcile(ACCOUNT, actor="k")
        stranger = next(
            x
            for x in settlements.exceptions(ACCOUNT)
            if x["category"] == "settled_not_in_ledger"
        )
        captured(shop, "POS-77", {"POS-77": 1200})  # the sale reaches the ledger
        projections.catch_up()
        clock.offset = timedelta(seconds=5)
        run = settlements.reconcile(ACCOUNT, actor="k")
        assert run["queue"]["closed"] >= 1
        closed = next(
            x for x in settlements.exceptions(ACCOUNT) if x["id"] == stranger["id"]
        )
        assert closed["status"] == "closed"
        assert closed["history"][-1]["run_id"] == run["run_id"]

    def test_a_run_as_of_the_past_reproduces_what_was_known(
        self, settlements, shop, projections, clock
    ):
        settlements.import_file(ACCOUNT, adyen_file(), actor="k")
        first = settlements.reconcile(ACCOUNT, actor="k")
        as_of = datetime.fromisoformat(first["as_of"])
        clock.offset = timedelta(seconds=5)
        captured(shop, "POS-77", {"POS-77": 1200})
        projections.catch_up()
        settlements.import_file(ACCOUNT, adyen_file("9"), actor="k")
        later = settlements.reconcile(ACCOUNT, actor="k")
        again = settlements.reconcile(ACCOUNT, as_of=as_of, actor="k")
        assert later["statuses"] != first["statuses"]

        def results(run):
            return settlements.run(ACCOUNT, run["run_id"])["results"]

        assert results(again) == results(first)
        assert "queue" not in again  # a run of the past only reports


@pytest.mark.usefixtures("shop")
def test_klarna_payout_json_and_its_csv_make_one_proven_batch(settlements):
    rows = [
        klarna_row(
            "SALE",
            "100.00",
            merchant_reference1="O-1",
            merchant_capture_reference="O-1-C1",
        ),
        klarna_row("FEE", "-2.00", tax_amount="-0.50", merchant_reference1="O-1"),
    ]
    settlements.import_file(ACCOUNT, table(KLARNA_COLUMNS, rows).encode(), actor="k")
    (pending,) = settlements.batches(ACCOUNT)
    assert pending["proof"]["status"] == "undeclared"
    payout = json.dumps(
        {
            "totals": {"settlement_amount": 9750},
            "payment_reference": "KPAY1",
            "currency_code": "SEK",
            "payout_date": "2026-03-10T07:45:00Z",
        }
    ).encode()
    settlements.import_file(ACCOUNT, payout, actor="k")
    (proven,) = settlements.batches(ACCOUNT)
    assert (proven["proof"]["status"], proven["payout_amount"]) == ("balanced", 9750)
    wrong = payout.replace(b"9750", b"9751")
    with pytest.raises(SettlementConflictError, match="declared a payout"):
        settlements.import_file(ACCOUNT, wrong, actor="k")


@pytest.mark.usefixtures("shop")
def test_dintero_events_take_the_settlements_currency(settlements):
    events = dintero_events(
        {
            "T1": [
                {
                    "settlement_id": "stl_1",
                    "amount": 9900,
                    "event_correlation_id": "O-1-C1",
                    "capture": 10000,
                    "refund": 0,
                    "fee": 100,
                }
            ]
        }
    ).encode()
    with pytest.raises(SettlementConflictError, match="currency"):
        settlements.import_file(ACCOUNT, events, actor="k")
    settlements.import_file(
        ACCOUNT,
        dintero_settlements(
            [dintero_settlement("stl_1", 10000, 0, 100, "EUR")]
        ).encode(),
        actor="k",
    )
    settlements.import_file(ACCOUNT, events, actor="k")
    (batch,) = settlements.batches(ACCOUNT)
    assert (batch["currency"], batch["proof"]["status"]) == ("EUR", "balanced")
    settlements.reconcile(ACCOUNT, actor="k")
    (line,) = settlements.batch(ACCOUNT, "dintero", "stl_1")["lines"]
    assert line["match"]["status"] == "matched"


@pytest.mark.usefixtures("shop")
def test_accounts_see_only_their_own(settlements):
    settlements.import_file(ACCOUNT, adyen_file(), actor="k")
    assert settlements.batches("other") == []
    settlements.reconcile("other", actor="k")
    assert settlements.exceptions("other") == []
