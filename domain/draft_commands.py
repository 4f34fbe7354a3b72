"""Dintero's draft orders: stage items, then complete them into an order."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4, uuid5

from domain.context import RequestContext, acting
from domain.draft import DRAFT_NAMESPACE, DraftOrder
from domain.errors import DraftNotFoundError, OrderExistsError, OrderNotFoundError
from domain.idempotency import CommandResult, fingerprint
from domain.order import Order
from domain.rules import check_line_limit
from domain.unit_of_work import NO_CONTEXT, LedgerApplication, Outcome
from domain.values import Item


class DraftCommands(LedgerApplication):
    def create_draft(
        self,
        account: str,
        currency: str,
        items: Sequence[Item],
        order_ref: str | None = None,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        """Stage items; with an idempotency key the draft id derives from it."""
        check_line_limit(items, self.max_line_minor)
        key = context.idempotency_key
        draft_ref = (
            "D"
            + (uuid5(DRAFT_NAMESPACE, f"{account}\x1f{key}") if key else uuid4()).hex
        )
        args = {"currency": currency, "items": list(items), "order_ref": order_ref}

        def step(ctx: RequestContext) -> Outcome:
            with acting(ctx.with_fingerprint(fingerprint("create_draft", args))) as req:
                draft = self._find_draft(account, draft_ref)
                if draft is not None:
                    version = draft.replayed(req)
                    assert version is not None  # noqa: S101 - the id derives from the key
                    return CommandResult(draft_ref, version, replayed=True)
                draft = DraftOrder.start(account, draft_ref, currency, items, order_ref)
            return [draft], CommandResult(draft_ref, draft.version)

        return self._execute(draft_ref, context, "create_draft", step)

    def complete_draft(
        self, account: str, draft_ref: str, context: RequestContext = NO_CONTEXT
    ) -> CommandResult:
        """Turn a draft into a new order, or add its items to ``order_ref``'s order.

        Order and draft are saved in one transaction: a draft completes once.
        """
        request = fingerprint("complete_draft", {"draft": draft_ref})

        def step(ctx: RequestContext) -> Outcome:
            with acting(ctx.with_fingerprint(request)) as req:
                draft = self.get_draft(account, draft_ref)
                if draft.replayed(req) is not None:
                    return _completion(draft)
                draft.check_not_completed()
                order_ref = draft.order_ref or draft.new_order_ref
                order = self._find(account, order_ref)
                if draft.order_ref is None:
                    if order is not None:
                        return self._completed_meanwhile(account, draft_ref, req)
                    order = Order.open(account, order_ref, draft.currency, draft.items)
                elif order is None:
                    raise OrderNotFoundError(account, order_ref)
                else:
                    order.add_items(draft.items, draft.currency)
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
        if draft.replayed(ctx) is not None:
            return _completion(draft)
        draft.check_not_completed()
        raise OrderExistsError(account, draft.new_order_ref)

    def get_draft(self, account: str, draft_ref: str) -> DraftOrder:
        draft = self._find_draft(account, draft_ref)
        if draft is None:
            raise DraftNotFoundError(account, draft_ref)
        return draft


def _completion(draft: DraftOrder) -> CommandResult:
    """The answer of the request that completed ``draft``, for its retries."""
    assert draft.completed_order_ref is not None  # noqa: S101
    assert draft.completed_version is not None  # noqa: S101
    return CommandResult(
        draft.completed_order_ref, draft.completed_version, replayed=True
    )
