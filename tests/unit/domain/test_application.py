"""OrderLedger on the library's in-memory store: idempotency, retries, reads."""

from datetime import timedelta

import pytest
from eventsourcing.persistence import IntegrityError

from domain.application import OrderLedger
from domain.context import RequestContext
from domain.errors import (
    ConcurrentModificationError,
    IdempotencyConflictError,
    OrderExistsError,
    OrderNotFoundError,
    VersionNotFoundError,
)
from domain.money_errors import OverCaptureError
from domain.order import Order
from domain.risk import MaxIncreaseRiskCheck
from domain.values import RiskOutcome
from tests.builders import T0, alloc, fixed_replacement, item

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(clock: Clock) -> OrderLedger:
    return OrderLedger(POPO, clock=clock)


def key(k: str) -> RequestContext:
    return RequestContext(actor="key-1", request_id=f"req-{k}", idempotency_key=k)


def opened(ledger: OrderLedger, ref: str = "O1", lines=None) -> str:
    lines = lines or {1: 1000}
    ledger.create_order("acct", ref, "NOK", [item(i, g) for i, g in lines.items()])
    return ref


class TestIdempotency:
    def test_a_retry_returns_the_first_result_and_writes_nothing(self, ledger):
        opened(ledger)
        first = ledger.authorize("acct", "O1", "P", alloc((1, 1000)), context=key("k1"))
        again = ledger.authorize("acct", "O1", "P", alloc((1, 1000)), context=key("k1"))
        assert again.version == first.version
        assert again.replayed
        assert not first.replayed
        assert ledger.get_order("acct", "O1").version == first.version

    def test_a_retry_is_recognised_after_later_writes(self, ledger):
        opened(ledger)
        first = ledger.authorize("acct", "O1", "P", alloc((1, 500)), context=key("k1"))
        ledger.authorize("acct", "O1", "P", alloc((1, 500)), context=key("k2"))
        again = ledger.authorize("acct", "O1", "P", alloc((1, 500)), context=key("k1"))
        assert again.replayed
        assert again.version == first.version
        assert ledger.get_order("acct", "O1").totals().authorized == 1000

    def test_the_same_key_with_another_body_is_rejected(self, ledger):
        opened(ledger)
        ledger.authorize("acct", "O1", "P", alloc((1, 500)), context=key("k1"))
        with pytest.raises(IdempotencyConflictError):
            ledger.authorize("acct", "O1", "P", alloc((1, 501)), context=key("k1"))
        with pytest.raises(IdempotencyConflictError):
            ledger.capture("acct", "O1", "P", alloc((1, 500)), context=key("k1"))

    def test_a_create_retry_returns_the_order(self, ledger):
        items = [item(1, 100)]
        first = ledger.create_order("acct", "O1", "NOK", items, context=key("c"))
        again = ledger.create_order("acct", "O1", "NOK", items, context=key("c"))
        assert again.replayed
        assert again.version == first.version

    def test_a_rejected_request_leaves_its_key_unused(self, ledger):
        opened(ledger)
        with pytest.raises(OverCaptureError):
            ledger.capture("acct", "O1", "P", alloc((1, 1)), context=key("k"))
        ledger.authorize("acct", "O1", "P", alloc((1, 1)), context=key("k"))

    def test_events_carry_the_request(self, ledger):
        opened(ledger)
        ledger.authorize("acct", "O1", "P", alloc((1, 1)), context=key("k9"))
        last = ledger.order_events("acct", "O1")[-1]
        assert (last.actor, last.request_id, last.idempotency_key) == (
            "key-1",
            "req-k9",
            "k9",
        )
        assert len(last.request_fingerprint) == 64


class TestCommands:
    def test_creating_an_existing_order_is_rejected(self, ledger):
        opened(ledger)
        with pytest.raises(OrderExistsError):
            opened(ledger)

    def test_a_missing_order_is_not_found(self, ledger):
        with pytest.raises(OrderNotFoundError):
            ledger.capture("acct", "nope", "P", alloc((1, 1)))

    def test_orders_are_scoped_by_account(self, ledger):
        opened(ledger)
        with pytest.raises(OrderNotFoundError):
            ledger.get_order("other", "O1")

    def test_authorization_expires_after_the_ttl(self, ledger, clock):
        opened(ledger)
        ledger.authorize("acct", "O1", "P", alloc((1, 1000)))
        clock.now = T0 + timedelta(days=30, seconds=1)
        with pytest.raises(Exception, match="expired"):
            ledger.capture("acct", "O1", "P", alloc((1, 1000)))
        ledger.extend_authorization("acct", "O1", "P", T0 + timedelta(days=60))
        ledger.capture("acct", "O1", "P", alloc((1, 1000)))

    def test_success_false_is_recorded_and_moves_nothing(self, ledger):
        opened(ledger)
        ledger.authorize("acct", "O1", "P", alloc((1, 1000)), success=False)
        order = ledger.get_order("acct", "O1")
        assert order.totals().authorized == 0
        assert isinstance(
            ledger.order_events("acct", "O1")[-1], Order.PaymentOperationFailed
        )

    def test_replace_asks_the_risk_port_about_the_increase(self, ledger):
        opened(ledger, lines={1: 100})
        ledger.authorize("acct", "O1", "P", alloc((1, 100)))
        result = ledger.replace_order(
            "acct",
            "O1",
            fixed_replacement(
                [item(0, 100, item_id="SKU-1"), item(0, 60_000, item_id="B")],
                60_100,
                60_100,
            ),
            MaxIncreaseRiskCheck(50_000),
        )
        assert result.risk is not None
        assert result.risk.outcome is RiskOutcome.REJECTED
        assert isinstance(ledger.order_events("acct", "O1")[-1], Order.UpdateRejected)
        accepted = ledger.replace_order(
            "acct",
            "O1",
            fixed_replacement(
                [item(0, 100, item_id="SKU-1"), item(0, 500, item_id="B")], 600, 600
            ),
            MaxIncreaseRiskCheck(50_000),
        )
        assert accepted.risk is not None
        assert accepted.risk.outcome is RiskOutcome.ACCEPTED
        assert ledger.get_order("acct", "O1").totals().authorized == 600

    def test_cancel_and_reverse(self, ledger):
        opened(ledger)
        ledger.authorize("acct", "O1", "P", alloc((1, 1000)))
        ledger.add_items("acct", "O1", [item(2, -1000, reverses=1)])
        ledger.cancel("acct", "O1")
        assert ledger.get_order("acct", "O1").status == "cancelled"


class TestReads:
    def test_by_version(self, ledger):
        opened(ledger)
        ledger.authorize("acct", "O1", "P", alloc((1, 1000)))
        assert ledger.get_order("acct", "O1", version=2).totals().authorized == 0
        with pytest.raises(VersionNotFoundError):
            ledger.get_order("acct", "O1", version=99)

    def test_as_of_a_time(self, ledger):
        opened(ledger)
        between = ledger.order_events("acct", "O1")[-1].timestamp
        ledger.authorize("acct", "O1", "P", alloc((1, 1000)))
        assert ledger.get_order("acct", "O1", as_of=between).totals().authorized == 0
        with pytest.raises(VersionNotFoundError):
            ledger.get_order("acct", "O1", as_of=between - timedelta(days=1))

    def test_long_orders_are_snapshotted(self, ledger):
        opened(ledger, lines=dict.fromkeys(range(1, 61), 10))
        order = ledger.get_order("acct", "O1")
        assert ledger.snapshots is not None
        [snapshot] = ledger.snapshots.get(order.id)
        # The save of versions 1-61 passed 50: what it saved is snapshotted.
        assert snapshot.originator_version == 61
        assert order.version == 61
        assert [line.line_id for line in order.lines] == list(range(1, 61))


class TestConcurrency:
    def test_a_version_conflict_is_retried_on_fresh_state(self, clock):
        class Interleaved(OrderLedger):
            interfered = False

            def save(self, *objs, **kwargs):
                if not self.interfered:
                    self.interfered = True
                    self.capture("acct", "O1", "P", alloc((1, 600)))
                return super().save(*objs, **kwargs)

        ledger = Interleaved(POPO, clock=clock)
        ledger.interfered = True
        opened(ledger)
        ledger.authorize("acct", "O1", "P", alloc((1, 1000)))
        ledger.interfered = False
        with pytest.raises(OverCaptureError):
            ledger.capture("acct", "O1", "P", alloc((1, 500)))
        assert ledger.get_order("acct", "O1").totals().captured == 600

    def test_endless_conflicts_give_up(self, clock):
        class AlwaysConflicting(OrderLedger):
            def save(self, *_objs, **_kwargs):
                raise IntegrityError

        ledger = AlwaysConflicting(POPO, clock=clock, max_attempts=3)
        with pytest.raises(ConcurrentModificationError):
            opened(ledger)


class TestSnapshots:
    def test_a_save_reaching_a_multiple_of_the_interval_snapshots_what_it_saved(
        self, ledger
    ):
        from domain.order import order_uuid  # noqa: PLC0415
        from domain.snapshots import state_digest  # noqa: PLC0415

        ledger.authorize_order(
            "acct", "S", "NOK", [item(1, 10_000)], (10_000, 10_000), "P"
        )
        order_id = order_uuid("acct", "S")
        while ledger.get_order("acct", "S").version < 48:
            ledger.capture("acct", "S", "P", alloc((1, 1)))
        # One command of three events (versions 49-51) passes version 50.
        ledger.add_items("acct", "S", [item(2, 10), item(3, 10), item(4, 10)])
        assert ledger.get_order("acct", "S").version == 51

        [snapshot] = ledger.snapshots.get(order_id, desc=True, limit=1)
        assert snapshot.originator_version == 51
        folded = Order.Snapshot.take(ledger.fold_from_events(order_id, 51))
        assert state_digest(snapshot.state) == state_digest(folded.state)
