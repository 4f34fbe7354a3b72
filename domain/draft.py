"""Dintero draft orders: items staged, then completed into a new or existing order."""

from __future__ import annotations

import string
from collections.abc import Sequence
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.audited import AuditedAggregate
from domain.bounds import check_optional_id
from domain.errors import DraftCompletedError, LineIdReusedError
from domain.money import check_currency
from domain.rules import check_item_count, check_item_fields
from domain.values import Item

DRAFT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:order-ledger:draft")
ALPHANUMERIC = string.digits + string.ascii_uppercase


def draft_uuid(account: str, draft_ref: str) -> UUID:
    return uuid5(DRAFT_NAMESPACE, f"{account}\x1f{draft_ref}")


def alphanumeric_id(seed: UUID, length: int = 9) -> str:
    """Dintero's ``ALPHANUMERIC_9``: upper-case letters and digits, from ``seed``.

    Derived, not random, so completing the same draft always names the same order.
    """
    number, chars = seed.int, []
    for _ in range(length):
        number, digit = divmod(number, len(ALPHANUMERIC))
        chars.append(ALPHANUMERIC[digit])
    return "".join(chars)


class DraftOrder(AuditedAggregate):
    class Event(AuditedAggregate.Event):
        """An event of one draft order."""

    class Created(Event, Aggregate.Created):
        account: str
        draft_ref: str
        currency: str
        items: tuple[Item, ...]
        order_ref: str | None

    class Completed(Event):
        order_ref: str
        order_version: int

    @classmethod
    def start(
        cls,
        account: str,
        draft_ref: str,
        currency: str,
        items: Sequence[Item],
        order_ref: str | None = None,
    ) -> DraftOrder:
        """A draft for a new order, or (``order_ref``) for items added to one.

        Items are checked on their own here; against the order on completion.
        """
        check_currency(currency)
        check_optional_id(order_ref, "order_id")
        check_item_count(len(items))
        seen: set[int] = set()
        for item in items:
            check_item_fields(item)
            if item.line_id in seen:
                raise LineIdReusedError(item.line_id)
            seen.add(item.line_id)
        return cls._create(
            cls.Created,
            id=draft_uuid(account, draft_ref),
            account=account,
            draft_ref=draft_ref,
            currency=currency,
            items=tuple(items),
            order_ref=order_ref,
        )

    @event(Created)
    def __init__(
        self,
        account: str,
        draft_ref: str,
        currency: str,
        items: tuple[Item, ...],
        order_ref: str | None,
    ) -> None:
        self.account = account
        self.draft_ref = draft_ref
        self.currency = currency
        self.items = tuple(items)
        self.order_ref = order_ref
        self.completed_order_ref: str | None = None
        self.completed_version: int | None = None
        self.requests = {}

    @property
    def new_order_ref(self) -> str:
        """The order id a completion without ``order_ref`` creates."""
        return alphanumeric_id(self.id)

    def check_not_completed(self) -> None:
        if self.completed_order_ref is not None:
            raise DraftCompletedError(self.draft_ref, self.completed_order_ref)

    def complete(self, order_ref: str, order_version: int) -> None:
        self.check_not_completed()
        self._completed(order_ref, order_version)

    @event(Completed)
    def _completed(self, order_ref: str, order_version: int) -> None:
        self.completed_order_ref = order_ref
        self.completed_version = order_version
