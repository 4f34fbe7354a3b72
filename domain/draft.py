"""Draft orders: items staged, then completed into a new or existing order."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.audited import AuditedAggregate
from domain.bounds import check_optional_id, check_path_id
from domain.errors import (
    DraftCompletedError,
    InvalidItemError,
    LineIdReusedError,
    UnknownLineError,
)
from domain.money import check_currency
from domain.rules import check_details, check_item_count, check_item_fields
from domain.values import Item, OrderDetails

DRAFT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:order-ledger:draft")
ALPHANUMERIC = string.digits + string.ascii_uppercase


def draft_uuid(account: str, draft_ref: str) -> UUID:
    return uuid5(DRAFT_NAMESPACE, f"{account}\x1f{draft_ref}")


ALPHABETS: Final = {
    "ALPHANUMERIC": ALPHANUMERIC,
    "NUMERIC": string.digits,
    "ALPHA": string.ascii_uppercase,
}
ID_FORMAT: Final = re.compile(
    r"^(ALPHANUMERIC|NUMERIC|ALPHA)_([4-9]|[12][0-9]|3[0-2])$"
)
DEFAULT_ID_FORMAT: Final = "ALPHANUMERIC_9"


def alphanumeric_id(seed: UUID, length: int = 9, alphabet: str = ALPHANUMERIC) -> str:
    """An ``ALPHANUMERIC_9`` id: upper-case letters and digits, from ``seed``.

    Derived, not random, so completing the same draft always names the same order.
    """
    number, chars = seed.int, []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(chars)


def generated_id(seed: UUID, id_format: str) -> str:
    """An id of ``id_format`` (``ALPHANUMERIC_9``, ``NUMERIC_12``, ``ALPHA_6``…)."""
    match = ID_FORMAT.match(id_format)
    if match is None:
        raise InvalidItemError(
            "options.generate_order_id",
            f"{id_format!r} is not ALPHANUMERIC_n, NUMERIC_n or ALPHA_n (4 <= n <= 32)",
        )
    return alphanumeric_id(seed, int(match[2]), ALPHABETS[match[1]])


@dataclass(frozen=True)
class DraftTarget:
    """Which order a draft completes into, and how.

    ``order_ref``: an existing order its items go onto (``options.order_id``),
    or replace (``replace``); ``new_order_ref``: the id a new order gets
    (``order.order_id``), else one is generated in ``id_format``.
    """

    order_ref: str | None = None
    new_order_ref: str | None = None
    replace: bool = False
    id_format: str | None = None  # e.g. NUMERIC_12 (options.generate_order_id)

    def check(self) -> None:
        if self.id_format is not None:
            generated_id(DRAFT_NAMESPACE, self.id_format)
        check_optional_id(self.order_ref, "options.order_id")
        if self.new_order_ref is not None:
            check_path_id(self.new_order_ref, "order.order_id")
        if self.replace and self.order_ref is None:
            raise InvalidItemError("options.replace", "needs options.order_id")
        if None not in (self.order_ref, self.new_order_ref) and (
            self.order_ref != self.new_order_ref
        ):
            raise InvalidItemError(
                "order.order_id", "an update names its order in options.order_id"
            )


def check_draft_items(items: Sequence[Item]) -> None:
    """Items checked on their own: against the order on completion.

    A draft may hold none yet (drafts may start empty).
    """
    if items:
        check_item_count(len(items))
    seen: set[int] = set()
    for item in items:
        check_item_fields(item)
        if item.line_id in seen:
            raise LineIdReusedError(item.line_id)
        seen.add(item.line_id)


class DraftOrder(AuditedAggregate):
    class Event(AuditedAggregate.Event):
        """An event of one draft order."""

    class Created(Event, Aggregate.Created):
        class_version = 2  # v2: the merchant's details, a custom id, replace
        account: str
        draft_ref: str
        currency: str
        items: tuple[Item, ...]
        order_ref: str | None
        new_order_ref: str | None
        replace: bool
        details: OrderDetails | None
        id_format: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state.update(
                new_order_ref=None, replace=False, details=None, id_format=None
            )

    class ItemAdded(Event):
        item: Item

    class ItemUpdated(Event):
        item: Item

    class ItemRemoved(Event):
        line_id: int

    class Completed(Event):
        order_ref: str
        order_version: int

    @classmethod
    def start(  # noqa: PLR0913, PLR0917 - what a draft holds
        cls,
        account: str,
        draft_ref: str,
        currency: str,
        items: Sequence[Item],
        target: DraftTarget | None = None,
        details: OrderDetails | None = None,
    ) -> DraftOrder:
        """A draft for a new order, or (``target.order_ref``) for an existing one.

        It may start empty; items are checked against the order on completion.
        """
        target = target or DraftTarget()
        check_currency(currency)
        target.check()
        if details:
            check_details(details)
        check_draft_items(items)
        return cls._create(
            cls.Created,
            id=draft_uuid(account, draft_ref),
            account=account,
            draft_ref=draft_ref,
            currency=currency,
            items=tuple(items),
            order_ref=target.order_ref,
            new_order_ref=target.new_order_ref,
            replace=target.replace,
            details=details or None,
            id_format=target.id_format,
        )

    @event(Created)
    def __init__(  # noqa: PLR0913, PLR0917 - the event's fields
        self,
        account: str,
        draft_ref: str,
        currency: str,
        items: tuple[Item, ...],
        order_ref: str | None,
        new_order_ref: str | None,
        replace: bool,  # noqa: FBT001
        details: OrderDetails | None,
        id_format: str | None,
    ) -> None:
        self.account = account
        self.draft_ref = draft_ref
        self.currency = currency
        self.items = tuple(items)
        self.target = DraftTarget(order_ref, new_order_ref, replace, id_format)
        self.details = details
        self.completed_order_ref: str | None = None
        self.completed_version: int | None = None

    @property
    def order_ref(self) -> str | None:
        """The existing order this draft adds to or replaces, if any."""
        return self.target.order_ref

    @property
    def new_order_ref(self) -> str:
        """The order id a completion without ``order_ref`` creates."""
        if self.target.new_order_ref is not None:
            return self.target.new_order_ref
        return generated_id(self.id, self.target.id_format or DEFAULT_ID_FORMAT)

    # --- items, while the draft is open ---------------------------------------

    def add_item(self, item: Item) -> None:
        self.check_not_completed()
        check_draft_items([*self.items, item])
        self._item_added(item)

    def update_item(self, item: Item) -> None:
        self.check_not_completed()
        self._index(item.line_id)
        check_draft_items([item])
        self._item_updated(item)

    def remove_item(self, line_id: int) -> None:
        self.check_not_completed()
        self._index(line_id)
        self._item_removed(line_id)

    def _index(self, line_id: int) -> int:
        for index, item in enumerate(self.items):
            if item.line_id == line_id:
                return index
        raise UnknownLineError(line_id)

    @event(ItemAdded)
    def _item_added(self, item: Item) -> None:
        self.items = (*self.items, item)

    @event(ItemUpdated)
    def _item_updated(self, item: Item) -> None:
        index = self._index(item.line_id)
        self.items = (*self.items[:index], item, *self.items[index + 1 :])

    @event(ItemRemoved)
    def _item_removed(self, line_id: int) -> None:
        self.items = tuple(i for i in self.items if i.line_id != line_id)

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
