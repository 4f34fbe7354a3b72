"""Commands that record a fact about an order and move no money.

Each names its arguments (the idempotency fingerprint) and the order method
that records them; one path runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.context import RequestContext
from domain.idempotency import CommandResult
from domain.order import Order
from domain.unit_of_work import NO_CONTEXT, LedgerApplication, Plan
from domain.values import Shipment


class RecordCommands(LedgerApplication):
    def record_shipping(
        self,
        account: str,
        order_ref: str,
        capture_reference: str,
        shipment: Shipment,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        """Record how a capture's goods travel (a carrier's tracking)."""
        return self._record_fact(
            account, order_ref, context, "record_shipping",
            {"capture_reference": capture_reference, "shipment": shipment},
            lambda order: order.record_shipping(capture_reference, shipment),
        )  # fmt: skip

    def extend_authorization(
        self,
        account: str,
        order_ref: str,
        payment_id: str,
        expires_at: datetime,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        """Move a payment's authorization expiry (the PSP extended it)."""
        return self._record_fact(
            account, order_ref, context, "extend_authorization",
            {"payment_id": payment_id, "expires_at": expires_at},
            lambda order: order.extend_authorization(payment_id, expires_at),
        )  # fmt: skip

    def _record_fact(  # noqa: PLR0913, PLR0917 - a command's name, arguments and act
        self,
        account: str,
        order_ref: str,
        context: RequestContext,
        command: str,
        args: dict[str, Any],
        act: Callable[[Order], None],
    ) -> CommandResult:
        plan = Plan(args, act)
        return self._run(account, order_ref, context, command, lambda _: plan)
