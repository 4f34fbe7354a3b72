"""Replacing an order's items: the command, planned by ``domain.replacement``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from domain.replacement import MATCHED_BY_PRODUCT, ReplacementRules, plan_replacement
from domain.values import Allocation, Item, RiskDecision, RiskOutcome

if TYPE_CHECKING:
    from domain.order import Order


class ReplaceCommand:
    # The events' methods the aggregate defines (domain/order.py).
    _order_replaced: Callable[
        [
            tuple[Item, ...],
            str | None,
            tuple[Allocation, ...],
            int,
            int,
            str | None,
            tuple[str, ...],
        ],
        None,
    ]
    _update_rejected: Callable[[tuple[Item, ...], int, str, tuple[str, ...]], None]

    def replace(
        self,
        items: Sequence[Item],
        declared_gross: int,
        declared_net: int,
        assess_increase: Callable[[int], RiskDecision],
        rules: ReplacementRules = MATCHED_BY_PRODUCT,
    ) -> RiskDecision:
        """Replace every item, risk-checking an increase it would authorize.

        A decision other than Accepted is recorded as ``UpdateRejected`` and
        leaves lines and authorization as they were.
        """
        order = cast("Order", self)
        plan = plan_replacement(order, items, declared_gross, declared_net, rules)
        decision = RiskDecision(RiskOutcome.ACCEPTED)
        if plan.increase > 0 and rules.authorize_increase:
            decision = assess_increase(plan.increase)
        if decision.outcome is not RiskOutcome.ACCEPTED:
            self._update_rejected(
                plan.items, plan.increase, str(decision.outcome), decision.messages
            )
            return decision
        self._order_replaced(
            plan.items,
            plan.payment_id,
            plan.authorization,
            plan.authorized_change,
            plan.increase,
            str(decision.outcome)
            if plan.increase > 0 and rules.authorize_increase
            else None,
            decision.messages,
        )
        return decision
