"""Drafts as Dintero has them, its replacement rules, operations and PSP facts."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.application import OrderLedger
from domain.chain import chain_hash, payload
from domain.context import OperationFacts, RequestContext
from domain.draft import DraftTarget, generated_id
from domain.errors import (
    EmptyRequestError,
    IdempotencyConflictError,
    InvalidItemError,
    InvalidTextError,
    LineIdReusedError,
    OutOfBoundsError,
    UnknownLineError,
)
from domain.operations import payment_operations
from domain.order import Order
from domain.values import Allocation, OrderDetails
from tests.builders import item

WHEN = datetime(2026, 11, 30, 10, 15, tzinfo=UTC)


@pytest.fixture
def ledger() -> OrderLedger:
    return OrderLedger({"PERSISTENCE_MODULE": "eventsourcing.popo"})


class TestDraftItems:
    def test_an_empty_draft_gets_items_one_by_one_and_completes(self, ledger):
        draft = ledger.create_draft("acct", "NOK", [])
        ledger.add_draft_item("acct", draft.ref, item(1, 100))
        ledger.add_draft_item("acct", draft.ref, item(2, 200))
        ledger.update_draft_item("acct", draft.ref, item(2, 250))
        ledger.remove_draft_item("acct", draft.ref, 1)
        assert [i.gross_amount for i in ledger.get_draft("acct", draft.ref).items] == [
            250
        ]
        done = ledger.complete_draft("acct", draft.ref)
        assert ledger.get_order("acct", done.ref).gross_total == 250

    def test_a_line_id_twice_or_unknown_is_refused(self, ledger):
        draft = ledger.create_draft("acct", "NOK", [item(1, 100)])
        with pytest.raises(LineIdReusedError):
            ledger.add_draft_item("acct", draft.ref, item(1, 5))
        with pytest.raises(UnknownLineError):
            ledger.update_draft_item("acct", draft.ref, item(9, 5))
        with pytest.raises(UnknownLineError):
            ledger.remove_draft_item("acct", draft.ref, 9)

    def test_an_empty_draft_does_not_complete(self, ledger):
        draft = ledger.create_draft("acct", "NOK", [])
        with pytest.raises(EmptyRequestError):
            ledger.complete_draft("acct", draft.ref)


class TestDraftTargets:
    def test_a_custom_order_id_and_details_are_kept(self, ledger):
        details = OrderDetails("ref-1", None, {"channel": "web", "n": 2})
        draft = ledger.create_draft(
            "acct", "NOK", [item(1, 1)], DraftTarget(new_order_ref="MY-1"),
            details=details,
        )  # fmt: skip
        done = ledger.complete_draft("acct", draft.ref)
        assert done.ref == "MY-1"
        assert ledger.get_order("acct", "MY-1").details == details

    @pytest.mark.parametrize(
        ("fmt", "check"),
        [
            ("NUMERIC_12", str.isdigit),
            ("ALPHA_6", str.isalpha),
            ("ALPHANUMERIC_32", str.isalnum),
        ],
    )
    def test_generated_ids_follow_their_format(self, fmt, check):
        made = generated_id(uuid4(), fmt)
        assert len(made) == int(fmt.rsplit("_", 1)[1])
        assert check(made)

    @pytest.mark.parametrize("fmt", ["UUID", "NUMERIC_3", "NUMERIC_33", "alpha_9"])
    def test_other_id_formats_are_refused(self, ledger, fmt):
        with pytest.raises(InvalidItemError):
            ledger.create_draft("acct", "NOK", [], DraftTarget(id_format=fmt))

    def test_replace_needs_an_order_and_the_two_ids_must_agree(self, ledger):
        with pytest.raises(InvalidItemError):
            ledger.create_draft("acct", "NOK", [], DraftTarget(replace=True))
        with pytest.raises(InvalidItemError):
            ledger.create_draft("acct", "NOK", [], DraftTarget("A", "B"))

    @pytest.mark.parametrize(
        "metadata",
        [
            {"k": "\x00"},
            {"k": "\ud800"},
            {"k": float("nan")},
            {"k": 2**63},
            {"k\x07": 1},
            {"k": [[[[[[[[1]]]]]]]]},
            {f"k{i}": i for i in range(51)},
        ],
    )
    def test_metadata_that_does_not_fit_is_refused(self, ledger, metadata):
        with pytest.raises((InvalidTextError, OutOfBoundsError)):
            ledger.create_draft(
                "acct", "NOK", [], details=OrderDetails(metadata=metadata)
            )


class TestDinteroReplacement:
    def test_replace_keeps_the_authorization_and_never_adds_to_it(self, ledger):
        ledger.create_order("acct", "O", "NOK", [item(1, 1000), item(2, 500)])
        ledger.authorize("acct", "O", "P", [Allocation(1, 1000), Allocation(2, 500)])
        draft = ledger.create_draft(
            "acct", "NOK", [item(1, 1000), item(3, 2000)],
            DraftTarget("O", replace=True),
        )  # fmt: skip
        ledger.complete_draft("acct", draft.ref)
        order = ledger.get_order("acct", "O")
        assert [line.line_id for line in order.lines] == [1, 3]
        totals = order.totals("P")
        assert totals.authorized - totals.released == 1500  # not 3000

    def test_a_line_id_of_another_item_or_a_retired_one_is_refused(self, ledger):
        ledger.create_order("acct", "O", "NOK", [item(1, 1000), item(2, 500)])
        first = ledger.create_draft(
            "acct", "NOK", [item(1, 1000)], DraftTarget("O", replace=True)
        )
        ledger.complete_draft("acct", first.ref)  # line 2 retired
        for items in ([item(2, 500)], [item(1, 1000, item_id="OTHER")]):
            draft = ledger.create_draft(
                "acct", "NOK", items, DraftTarget("O", replace=True)
            )
            with pytest.raises(LineIdReusedError):
                ledger.complete_draft("acct", draft.ref)


class TestOperations:
    def test_each_money_event_is_an_operation_with_a_stable_id(self, ledger):
        ledger.create_order("acct", "O", "NOK", [item(1, 1000)])
        facts = OperationFacts(processed_at=WHEN, metadata={"psp": "A-1"})
        ledger.authorize("acct", "O", "P", [Allocation(1, 1000)], facts=facts)
        ledger.capture("acct", "O", "P", [Allocation(1, 400)], success=False)
        ledger.capture("acct", "O", "P", [Allocation(1, 400)])
        events = ledger.order_events("acct", "O")
        operations = payment_operations(events)
        assert [(o.kind, o.success, o.amount) for o in operations] == [
            ("authorization", True, 1000),
            ("capture", False, 400),
            ("capture", True, 400),
        ]
        assert operations[0].processed_at == WHEN
        assert operations[0].metadata == {"psp": "A-1"}
        assert operations[2].processed_at is None
        again = payment_operations(ledger.order_events("acct", "O"), "capture")
        assert [o.id for o in again] == [o.id for o in operations[1:]]
        assert len({o.id for o in operations}) == 3

    def test_facts_join_the_hash_only_when_given(self, ledger):
        ledger.create_order("acct", "O", "NOK", [item(1, 1000)])
        ledger.authorize("acct", "O", "P", [Allocation(1, 1000)])
        [*_, plain] = ledger.order_events("acct", "O")
        assert "processed_at" not in payload(plain)
        assert "metadata" not in payload(plain)
        # An event stored before the facts existed hashes as it did then.
        assert isinstance(plain, Order.Authorized)
        assert chain_hash(plain.previous_hash, plain) == plain.hash  # type: ignore[attr-defined]

    def test_a_keyed_retry_with_other_facts_is_another_request(self, ledger):
        ledger.create_order("acct", "O", "NOK", [item(1, 1000)])
        keyed = RequestContext(idempotency_key="k")
        ledger.authorize("acct", "O", "P", [Allocation(1, 10)], context=keyed)
        with pytest.raises(IdempotencyConflictError):
            ledger.authorize(
                "acct", "O", "P", [Allocation(1, 10)], context=keyed,
                facts=OperationFacts(processed_at=WHEN),
            )  # fmt: skip
