"""Loud, not silent, when a read model set an event aside (SPEC §10).

An event a read model could not project (a dead letter) leaves that order's
balances, and every finance figure they add to, short of acknowledged money.
A finance read of the account says so — ``ReadModelIncompleteError`` names
the orders — rather than answer a plain 200 without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from psycopg import sql

from projections.views import DEAD_LETTER_TABLE

if TYPE_CHECKING:
    from projections.setup import Projections


class ReadModelIncompleteError(Exception):
    """The account's read models miss events they set aside."""

    def __init__(self, account: str, orders: list[str]) -> None:
        shown = ", ".join(orders[:20]) + (" …" if len(orders) > 20 else "")  # noqa: PLR2004
        super().__init__(
            f"the read models set events of {len(orders)} order(s) of account "
            f"{account!r} aside and miss their money: {shown}; "
            "see /health/ready and `ledger projections rebuild`"
        )
        self.account = account
        self.orders = orders


def set_aside_orders(projections: Projections, account: str | None = None) -> list[str]:
    """The orders (of ``account``, or all) with an event some read model set aside."""
    with projections.reading() as curs:
        curs.execute(
            sql.SQL("SELECT DISTINCT originator_id FROM {}.{}").format(
                sql.Identifier(projections.schema), sql.Identifier(DEAD_LETTER_TABLE)
            )
        )
        ids = [UUID(str(row["originator_id"])) for row in curs.fetchall()]
    orders = []
    for order_id in ids:
        # The order's first event names it; it carries no client data to fail on.
        opened = next(iter(projections.ledger.events.get(order_id, lte=1)), None)
        if opened is None:
            continue
        if account is None or getattr(opened, "account", None) == account:
            orders.append(str(getattr(opened, "order_ref", order_id)))
    return sorted(orders)


def check_complete(projections: Projections, account: str) -> None:
    """Raise ``ReadModelIncompleteError`` if the account's answers would miss money."""
    orders = set_aside_orders(projections, account)
    if orders:
        raise ReadModelIncompleteError(account, orders)
