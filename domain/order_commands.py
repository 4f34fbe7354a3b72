"""The commands on one order: open, add items, replace, and move money.

Each public method is one command; its name is the one idempotency
fingerprints carry, so keys stored before this module existed still replay.
Items may be given as they are or as a function of the order (a dialect that
names lines by product translates against the order it acts on).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from domain.bounds import check_amount
from domain.context import NO_FACTS, OperationFacts, RequestContext, stating
from domain.idempotency import CommandResult
from domain.order import Order
from domain.order_numbers import OrderNumbers
from domain.risk import RiskCheck
from domain.rules import Movement, check_line_limit, check_totals
from domain.unit_of_work import NO_CONTEXT, Plan
from domain.values import (
    Allocation,
    Item,
    OrderDetails,
    RequestedLine,
    RiskDecision,
)

Allocations = Sequence[Allocation] | Callable[[Order], Sequence[Allocation]]
# A payment id, or how to find it in the order (e.g. its one reservation).
PaymentOf = str | Callable[[Order], str]
# A refund's lines asked as free amounts, or how to find them in the order.
Requested = Sequence[RequestedLine] | Callable[[Order], Sequence[RequestedLine]]
# The version of an earlier event that already answers a request, if any.
Answer = Callable[[Order, str, list[Allocation]], int | None]
# A replacement's items and declared (gross, net), made from the order.
Replacement = Callable[[Order], tuple[Sequence[Item], int, int]]


def _facts_args(args: dict[str, Any], facts: OperationFacts) -> dict[str, Any]:
    """The PSP's facts join the fingerprint only when given: older keys replay."""
    if facts.processed_at is not None:
        args["processed_at"] = facts.processed_at
    if facts.metadata is not None:
        args["metadata"] = facts.metadata
    return args


def _resolved(items: Allocations, order: Order) -> list[Allocation]:
    return list(items(order) if callable(items) else items)


class OrderCommands(OrderNumbers):
    def create_order(
        self,
        account: str,
        order_ref: str,
        currency: str,
        items: Sequence[Item],
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        check_line_limit(items, self.max_line_minor)
        args = {"currency": currency, "items": list(items)}
        return self._create(
            account,
            order_ref,
            context,
            "create_order",
            args,
            lambda: Order.open(account, order_ref, currency, items),
        )

    def authorize_order(  # noqa: PLR0913, PLR0917 - a checkout's whole order
        self,
        account: str,
        order_ref: str,
        currency: str,
        items: Sequence[Item],
        declared: tuple[int, int],
        payment_id: str,
        context: RequestContext = NO_CONTEXT,
        details: OrderDetails | None = None,
    ) -> CommandResult:
        """Create an order and authorize every line in full, in one transaction.

        ``declared`` is the request's (gross, net) total; both must match.
        """
        check_line_limit(items, self.max_line_minor)
        gross, net = declared
        args: dict[str, Any] = {
            "currency": currency,
            "items": list(items),
            "declared": [gross, net],
        }
        if details:
            args["details"] = details

        def create() -> Order:
            check_totals(
                items,
                check_amount(gross, "totalGrossAmount"),
                check_amount(net, "totalNetAmount"),
            )
            order = Order.open(account, order_ref, currency, items, details)
            everything = [
                Allocation(i.line_id, i.gross_amount) for i in items if i.gross_amount
            ]
            if everything:
                expires_at = self.clock() + self.authorization_ttl
                order.authorize(payment_id, everything, expires_at)
            return order

        return self._create(
            account, order_ref, context, "authorize_order", args, create
        )

    def add_items(
        self,
        account: str,
        order_ref: str,
        items: Sequence[Item],
        currency: str | None = None,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        """Add items; an item with ``reverses`` set becomes a reversal line."""
        check_line_limit(items, self.max_line_minor)
        plan = Plan(
            {"items": list(items), "currency": currency},
            lambda order: order.add_items(items, currency),
        )
        return self._run(account, order_ref, context, "add_items", lambda _: plan)

    def replace_order(
        self,
        account: str,
        order_ref: str,
        replacement: Replacement,
        risk_check: RiskCheck,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        """Replace every item (an order update), risk-checking an increase."""
        decisions: dict[int, RiskDecision] = {}

        def planner(order: Order) -> Plan:
            items, gross, net = replacement(order)
            check_line_limit(items, self.max_line_minor)

            def assess(increase: int) -> RiskDecision:
                # A conflict retry re-plans; ask the port once per distinct increase.
                if increase not in decisions:
                    decisions[increase] = risk_check.assess(
                        account, order_ref, order.currency, increase
                    )
                return decisions[increase]

            args = {"items": list(items), "gross": gross, "net": net}
            return Plan(args, lambda o: o.replace(items, gross, net, assess))

        return self._run(account, order_ref, context, "replace_order", planner)

    def authorize(  # noqa: PLR0913 - the request's fields
        self,
        account: str,
        order_ref: str,
        payment_id: str,
        items: Allocations,
        *,
        success: bool = True,
        currency: str | None = None,
        context: RequestContext = NO_CONTEXT,
        facts: OperationFacts = NO_FACTS,
    ) -> CommandResult:
        """Authorize per line under a payment; it expires after the TTL."""

        def act(order: Order, pid: str, allocations: list[Allocation]) -> None:
            expires_at = self.clock() + self.authorization_ttl
            order.authorize(pid, allocations, expires_at, currency)

        return self._money(
            Movement.AUTHORIZE, account, order_ref, payment_id, items, success,
            context, {"currency": currency}, act, facts,
        )  # fmt: skip

    def capture(  # noqa: PLR0913 - the request's fields
        self,
        account: str,
        order_ref: str,
        payment_id: PaymentOf,
        items: Allocations,
        *,
        success: bool = True,
        reference: str | None = None,
        invoice_number: str | None = None,
        currency: str | None = None,
        context: RequestContext = NO_CONTEXT,
        facts: OperationFacts = NO_FACTS,
        numbered: bool = False,
        declared_total: Callable[[Order], int] | None = None,
    ) -> CommandResult:
        """Capture outstanding authorization of a payment; no items: all of it.

        A capture under a number the order already has, with the same lines
        (or, naming none, the same declared total), is answered by the first.
        """

        def act(order: Order, pid: str, allocations: list[Allocation]) -> None:
            order.capture(
                pid, allocations, self.clock(), reference, currency,
                invoice_number, numbered=numbered,
            )  # fmt: skip

        def repeated(
            order: Order, pid: str, allocations: list[Allocation]
        ) -> int | None:
            found = order.find_capture(reference) if reference else None
            if found is None or found[1].payment_id != pid:
                return None
            reference_found, record = found
            if allocations:
                same = _amounts(allocations) == _amounts(record.captured)
            else:
                captured = sum(a.amount for a in record.captured)
                same = declared_total is not None and declared_total(order) == captured
            if not same:
                return None
            return self._version_of(order, Order.Captured, reference_found)

        options: dict[str, Any] = {
            "reference": reference,
            "currency": currency,
            "invoice_number": invoice_number,
        }
        if numbered:
            options["numbered"] = True
        return self._money(
            Movement.CAPTURE, account, order_ref, payment_id, items, success,
            context, options, act, facts, repeated,
        )  # fmt: skip

    def refund(  # noqa: PLR0913 - the request's fields
        self,
        account: str,
        order_ref: str,
        payment_id: PaymentOf,
        items: Allocations,
        *,
        success: bool = True,
        reference: str | None = None,
        capture_reference: str | None = None,
        currency: str | None = None,
        context: RequestContext = NO_CONTEXT,
        facts: OperationFacts = NO_FACTS,
        numbered: bool = False,
        requested: Requested = (),
    ) -> CommandResult:
        """Refund captured money of original (non-reversal) lines.

        ``requested``: refund lines as sent that named no order line (kept on
        the event), or how to find them in the order.
        """

        def act(order: Order, pid: str, allocations: list[Allocation]) -> None:
            taken = self._references(order, Order.Refunded) if numbered else ()
            asked = requested(order) if callable(requested) else requested
            order.refund(
                pid, allocations, reference, currency, capture_reference,
                numbered=numbered, taken=taken, requested=asked,
            )  # fmt: skip

        options: dict[str, Any] = {
            "reference": reference,
            "currency": currency,
            "capture_reference": capture_reference,
        }
        if numbered:
            options["numbered"] = True
        if requested:
            options["requested"] = requested
        return self._money(
            Movement.REFUND, account, order_ref, payment_id, items, success,
            context, options, act, facts,
        )  # fmt: skip

    def release(  # noqa: PLR0913 - the request's fields
        self,
        account: str,
        order_ref: str,
        payment_id: PaymentOf,
        items: Allocations,
        *,
        success: bool = True,
        reason: str = "release",
        context: RequestContext = NO_CONTEXT,
        facts: OperationFacts = NO_FACTS,
    ) -> CommandResult:
        """Free authorization that is not captured (a void); no items: all of it."""

        def act(order: Order, pid: str, allocations: list[Allocation]) -> None:
            order.release(pid, allocations, reason)

        return self._money(
            Movement.RELEASE, account, order_ref, payment_id, items, success,
            context, {"reason": reason}, act, facts,
        )  # fmt: skip

    def cancel(
        self,
        account: str,
        order_ref: str,
        context: RequestContext = NO_CONTEXT,
        facts: OperationFacts = NO_FACTS,
    ) -> CommandResult:
        """Release all outstanding authorization of the order, every payment."""

        def act(order: Order) -> None:
            with stating(facts):
                order.cancel()

        plan = Plan(_facts_args({}, facts), act)
        return self._run(account, order_ref, context, "cancel", lambda _: plan)

    def _money(  # noqa: PLR0913, PLR0917 - one path for the four money commands
        self,
        movement: Movement,
        account: str,
        order_ref: str,
        payment_id: PaymentOf,
        items: Allocations,
        success: bool,  # noqa: FBT001
        context: RequestContext,
        options: dict[str, Any],
        act: Callable[[Order, str, list[Allocation]], None],
        facts: OperationFacts,
        answer: Answer | None = None,
    ) -> CommandResult:
        """``success=False`` (the PSP reports a failure) is recorded, moves nothing.

        The fingerprinted arguments keep the shape they had when one method
        served all four commands, so keys stored then still replay.
        """

        def planner(order: Order) -> Plan:
            pid = payment_id(order) if callable(payment_id) else payment_id
            allocations = _resolved(items, order)
            args = {
                "payment_id": pid,
                "items": allocations,
                "success": success,
                "reference": None,
                "currency": None,
                "reason": str(movement),
                "invoice_number": None,
                "capture_reference": None,
                # An option may be found in the order too (a refund's lines).
                **{k: v(order) if callable(v) else v for k, v in options.items()},
            }

            def perform(target: Order) -> None:
                with stating(facts):
                    if success:
                        act(target, pid, allocations)
                    else:
                        failure = f"{movement} reported success=false"
                        target.record_failure(movement, pid, allocations, failure)

            answered = answer(order, pid, allocations) if answer and success else None
            return Plan(_facts_args(args, facts), perform, answered)

        return self._run(account, order_ref, context, str(movement), planner)


def _amounts(items: Sequence[Allocation]) -> list[tuple[int, int]]:
    return sorted((item.line_id, item.amount) for item in items)
