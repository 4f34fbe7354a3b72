"""Matching settlement lines to ledger movements: keys first, a window, never a date."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from settlements.matching import Line, Movement, match

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


def movement(order, kind, amount, n, reference=None, at=T0, payment="P1"):
    return Movement(
        f"{order}/{kind}/{n}", order, payment, kind, amount, "EUR", at, reference
    )


def line(
    line_id, kind, gross, *, order=None, ref=None, at=T0 + timedelta(days=2), **more
):
    return Line(
        line_id,
        "adyen/1",
        kind,
        gross,
        "EUR",
        at,
        order_ref=order,
        operation_ref=ref,
        **more,
    )


def test_by_reference_even_with_another_amount_in_the_order():
    ledger = [
        movement("O1", "capture", 6000, 1, "C1"),
        movement("O1", "capture", 4000, 2, "C2"),
    ]
    outcome = match([line("L1", "capture", 4000, order="O1", ref="c2")], ledger)
    assert outcome.lines["L1"].movements == ("O1/capture/2",)
    assert outcome.lines["L1"].status == "matched"
    assert [m.key for m in outcome.unsettled] == ["O1/capture/1"]


def test_one_capture_settled_in_two_lines():
    ledger = [movement("O1", "capture", 10000, 1, "C1")]
    lines = [
        line("L1", "capture", 6000, ref="C1"),
        line("L2", "capture", 4000, ref="C1"),
    ]
    outcome = match(lines, ledger)
    assert {r.status for r in outcome.lines.values()} == {"matched"}
    assert outcome.unsettled == []


def test_a_partial_settlement_shows_the_difference():
    ledger = [movement("O1", "capture", 10000, 1, "C1")]
    outcome = match([line("L1", "capture", 6000, ref="C1")], ledger)
    assert (outcome.lines["L1"].status, outcome.lines["L1"].difference) == (
        "amount_differs",
        -4000,
    )


def test_one_line_covers_two_operations_of_the_order():
    ledger = [movement("O1", "capture", 6000, 1), movement("O1", "capture", 4000, 2)]
    outcome = match([line("L1", "capture", 10000, order="O1")], ledger)
    assert outcome.lines["L1"].movements == ("O1/capture/1", "O1/capture/2")
    assert outcome.lines["L1"].status == "matched"


def test_order_and_amount_only_within_the_window():
    ledger = [movement("O1", "capture", 5000, 1)]
    late = line("L1", "capture", 5000, order="O1", at=T0 + timedelta(days=60))
    early = line("L2", "capture", 5000, order="O1", at=T0 - timedelta(days=3))
    outcome = match([late, early], ledger)
    assert outcome.lines["L1"].status == outcome.lines["L2"].status == "not_in_ledger"
    on_time = match(
        [line("L3", "capture", 5000, order="O1", at=T0 + timedelta(days=8))], ledger
    )
    assert on_time.lines["L3"].status == "matched"


def test_a_refund_settles_negative():
    ledger = [movement("O1", "refund", 4990, 1, "R1")]
    outcome = match([line("L1", "refund", -4990, order="O1")], ledger)
    assert outcome.lines["L1"].status == "matched"


def test_a_charge_and_its_partial_capture_reversal_settle_one_capture():
    ledger = [movement("O2", "capture", 9990, 1, payment="pi_2")]
    lines = [
        line("L1", "capture", 12000, order="O2", provider_payment_ref="pi_2"),
        line("L2", "capture", -2010, order="O2", provider_payment_ref="pi_2"),
    ]
    outcome = match(lines, ledger)
    assert outcome.lines["L1"].status == outcome.lines["L2"].status == "matched"


def test_chargebacks_fees_and_payouts_are_their_own_categories():
    lines = [
        line("L1", "chargeback", -8900, order="O9"),
        line("L2", "fee", 0),
        line("L3", "payout", 0),
    ]
    statuses = {k: r.status for k, r in match(lines, []).lines.items()}
    assert statuses == {"L1": "provider_initiated", "L2": "fee", "L3": "batch_movement"}


def test_a_hand_match_wins():
    ledger = [movement("O1", "capture", 5000, 1, "C1")]
    outcome = match(
        [line("L1", "capture", 5000, order="X")], ledger, {"L1": ["O1/capture/1"]}
    )
    assert outcome.lines["L1"].by_hand
    assert outcome.lines["L1"].status == "matched"


@st.composite
def settled_ledgers(draw):
    """Movements, and lines that settle each exactly: by reference, by
    order and amount, or split in two lines naming the reference."""
    count = draw(st.integers(1, 12))
    movements, lines = [], []
    for n in range(count):
        order = f"O{draw(st.integers(0, 4))}"
        kind = draw(st.sampled_from(["capture", "refund"]))
        amount = draw(st.integers(2, 10**9))
        reference = f"REF{n}"
        movements.append(movement(order, kind, amount, n, reference))
        sign = 1 if kind == "capture" else -1
        how = draw(st.sampled_from(["reference", "split"]))
        days = timedelta(days=draw(st.integers(0, 40)))
        if how == "reference":
            lines.append(
                line(
                    f"L{n}",
                    kind,
                    sign * amount,
                    order=order,
                    ref=reference,
                    at=T0 + days,
                )
            )
        else:
            part = draw(st.integers(1, amount - 1))
            lines.append(line(f"L{n}a", kind, sign * part, ref=reference, at=T0 + days))
            lines.append(
                line(
                    f"L{n}b", kind, sign * (amount - part), ref=reference, at=T0 + days
                )
            )
    return movements, lines, draw(st.randoms(use_true_random=False))


@given(settled_ledgers())
def test_a_fully_settled_ledger_matches_whole_in_any_order(case):
    movements, lines, shuffler = case
    shuffler.shuffle(lines)
    outcome = match(lines, movements)
    assert {r.status for r in outcome.lines.values()} == {"matched"}
    assert outcome.unsettled == []
    assert set(outcome.lines) == {x.line_id for x in lines}


@given(settled_ledgers(), st.integers(0, 1000))
def test_every_line_has_one_outcome_and_no_movement_is_both_settled_and_not(case, seed):
    movements, lines, _ = case
    rng = random.Random(seed)
    kept = [x for x in lines if rng.random() < 0.6]
    outcome = match(kept, movements)
    assert set(outcome.lines) == {x.line_id for x in kept}
    settled = {key for r in outcome.lines.values() for key in r.movements}
    assert settled.isdisjoint({m.key for m in outcome.unsettled})
    assert settled | {m.key for m in outcome.unsettled} == {m.key for m in movements}
