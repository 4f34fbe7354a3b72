"""Draft orders: stage items, then complete them into an order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import uuid4, uuid5

from domain.context import RequestContext, acting
from domain.draft import DRAFT_NAMESPACE, DraftOrder, DraftTarget
from domain.errors import (
    DraftNotFoundError,
    EmptyRequestError,
    OrderExistsError,
    OrderNotFoundError,
)
from domain.idempotency import CommandResult, fingerprint
from domain.order import Order
from domain.replacement import BY_NAMED_LINES
from domain.rules import check_line_limit
from domain.unit_of_work import NO_CONTEXT, LedgerApplication, Outcome
from domain.values import Item, OrderDetails, RiskDecision, RiskOutcome


def _never_asked(increase: int) -> RiskDecision:  # noqa: ARG001 - the port's shape
    """A replacement by named lines authorizes nothing: no risk check is asked."""
    return RiskDecision(RiskOutcome.ACCEPTED)


class DraftCommands(LedgerApplication):
    def create_draft(  # noqa: PLR0913, PLR0917 - what a draft holds
        self,
        account: str,
        currency: str,
        items: Sequence[Item],
        target: DraftTarget | None = None,
        context: RequestContext = NO_CONTEXT,
        details: OrderDetails | None = None,
    ) -> CommandResult:
        """Stage items; with an idempotency key the draft id derives from it."""
        target = target or DraftTarget()
        check_line_limit(items, self.max_line_minor)
        key = context.idempotency_key
        draft_ref = (
            "D"
            + (uuid5(DRAFT_NAMESPACE, f"{account}\x1f{key}") if key else uuid4()).hex
        )
        # Keys stored before custom ids, replace and details keep their shape.
        args: dict[str, Any] = {
            "currency": currency,
            "items": list(items),
            "order_ref": target.order_ref,
        }
        if target.new_order_ref is not None:
            args["new_order_ref"] = target.new_order_ref
        if target.replace:
            args["replace"] = True
        if target.id_format is not None:
            args["id_format"] = target.id_format
        if details:
            args["details"] = details

        def step(ctx: RequestContext) -> Outcome:
            with acting(ctx.with_fingerprint(fingerprint("create_draft", args))) as req:
                draft = self._find_draft(account, draft_ref)
                if draft is not None:
                    version = self.replayed(draft, req)
                    assert version is not None  # noqa: S101 - the id derives from the key
                    return CommandResult(draft_ref, version, replayed=True)
                draft = DraftOrder.start(
                    account, draft_ref, currency, items, target, details
                )
            return [draft], CommandResult(draft_ref, draft.version)

        return self._execute(draft_ref, context, "create_draft", step)

    def add_draft_item(
        self,
        account: str,
        draft_ref: str,
        item: Item,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        check_line_limit([item], self.max_line_minor)
        return self._on_draft(
            account, draft_ref, context, "add_draft_item", {"item": item},
            lambda draft: draft.add_item(item),
        )  # fmt: skip

    def update_draft_item(
        self,
        account: str,
        draft_ref: str,
        item: Item,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        check_line_limit([item], self.max_line_minor)
        return self._on_draft(
            account, draft_ref, context, "update_draft_item", {"item": item},
            lambda draft: draft.update_item(item),
        )  # fmt: skip

    def remove_draft_item(
        self,
        account: str,
        draft_ref: str,
        line_id: int,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        return self._on_draft(
            account, draft_ref, context, "remove_draft_item", {"line_id": line_id},
            lambda draft: draft.remove_item(line_id),
        )  # fmt: skip

    def _on_draft(  # noqa: PLR0913, PLR0917 - one path for the item commands
        self,
        account: str,
        draft_ref: str,
        context: RequestContext,
        command: str,
        args: dict[str, Any],
        act: Callable[[DraftOrder], None],
    ) -> CommandResult:
        request = fingerprint(command, args)

        def step(ctx: RequestContext) -> Outcome:
            with acting(ctx.with_fingerprint(request)) as req:
                draft = self.get_draft(account, draft_ref)
                version = self.replayed(draft, req)
                if version is not None:
                    return CommandResult(draft_ref, version, replayed=True)
                act(draft)
            return [draft], CommandResult(draft_ref, draft.version)

        return self._execute(draft_ref, context, command, step)

    def complete_draft(
        self, account: str, draft_ref: str, context: RequestContext = NO_CONTEXT
    ) -> CommandResult:
        """Turn a draft into a new order, or apply its items to ``order_ref``'s.

        Order and draft are saved in one transaction: a draft completes once.
        """
        request = fingerprint("complete_draft", {"draft": draft_ref})

        def step(ctx: RequestContext) -> Outcome:
            with acting(ctx.with_fingerprint(request)) as req:
                draft = self.get_draft(account, draft_ref)
                if self.replayed(draft, req) is not None:
                    return _completion(draft)
                draft.check_not_completed()
                if not draft.items:
                    raise EmptyRequestError("items")
                order_ref = draft.order_ref or draft.new_order_ref
                order = self._find(account, order_ref)
                if draft.order_ref is None:
                    if order is not None:
                        return self._completed_meanwhile(account, draft_ref, req)
                    order = Order.open(
                        account, order_ref, draft.currency, draft.items, draft.details
                    )
                elif order is None:
                    raise OrderNotFoundError(account, order_ref)
                else:
                    _apply(draft, order)
                draft.complete(order_ref, order.version)
            return [order, draft], CommandResult(order_ref, order.version, order=order)

        return self._execute(draft_ref, context, "complete_draft", step)

    def _completed_meanwhile(
        self, account: str, draft_ref: str, ctx: RequestContext
    ) -> CommandResult:
        """The draft's order exists: completed by a concurrent identical request?

        Draft and order commit together, and the order was read after the
        draft, so a fresh read of the draft shows that completion.
        """
        draft = self.get_draft(account, draft_ref)
        if self.replayed(draft, ctx) is not None:
            return _completion(draft)
        draft.check_not_completed()
        raise OrderExistsError(account, draft.new_order_ref)

    def get_draft(self, account: str, draft_ref: str) -> DraftOrder:
        draft = self._find_draft(account, draft_ref)
        if draft is None:
            raise DraftNotFoundError(account, draft_ref)
        return draft


def _apply(draft: DraftOrder, order: Order) -> None:
    """A draft's items onto its existing order: added, or replacing them all."""
    if not draft.target.replace:
        order.add_items(draft.items, draft.currency)
        return
    order.check_order_currency(draft.currency)
    gross = sum(item.gross_amount for item in draft.items)
    net = sum(item.net_amount for item in draft.items)
    order.replace(draft.items, gross, net, _never_asked, BY_NAMED_LINES)


def _completion(draft: DraftOrder) -> CommandResult:
    """The answer of the request that completed ``draft``, for its retries."""
    assert draft.completed_order_ref is not None  # noqa: S101
    assert draft.completed_version is not None  # noqa: S101
    return CommandResult(
        draft.completed_order_ref, draft.completed_version, replayed=True
    )
