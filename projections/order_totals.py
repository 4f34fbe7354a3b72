"""An account's order totals per currency and status, kept as its orders change.

The console's order list shows the totals of every order its filters match.
Summed from ``order_summaries`` they cost a scan of all the account's
orders. ``order_totals`` keeps them summed per (account, currency, status).
Each batch the balances view writes moves them by two set-based statements
in the batch's own transaction: the batch's orders' summaries as they were
are subtracted before they are rewritten, and added after. So the totals are
exactly the summaries' sums at every commit. A rebuild, which rewrites every
summary in one transaction, sums them once at its end instead (updating the
same few rows thousands of times in one transaction leaves a chain of row
versions each later update walks). A filter of status and currency only is
answered from it; any other filter still sums the matching summaries.

Sums are ``numeric``: a sum of bigints may pass 2^63 - 1 where no single
order does. They are read back as bigint, as the summed query reads them.
"""

from __future__ import annotations

AMOUNTS = (
    "gross_amount",
    "authorized",
    "captured",
    "refunded",
    "released",
    "outstanding_authorized",
    "refundable",
)
_COLUMNS = ", ".join(AMOUNTS)
_ADDED = ", ".join(f"{c} = t.{c} + excluded.{c}" for c in AMOUNTS)


def _moved(sign: str) -> str:
    """Add (``sign`` "") or subtract ("-") the summaries of a batch's orders."""
    sums = ", ".join(f"sum({sign}s.{column})" for column in AMOUNTS)
    return (
        "INSERT INTO {schema}.order_totals AS t"  # noqa: S608 - fixed names
        f" (account, currency, status, orders, {_COLUMNS})"
        f" SELECT s.account, s.currency, s.status, {sign}count(*), {sums}"
        " FROM unnest(%s::text[], %s::text[]) AS k(account, order_id)"
        " JOIN {schema}.order_summaries s"
        " ON s.account = k.account AND s.order_id = k.order_id"
        " GROUP BY s.account, s.currency, s.status"
        " ON CONFLICT (account, currency, status) DO UPDATE"
        f" SET orders = t.orders + excluded.orders, {_ADDED}"
    )


SUBTRACT_ORDERS, ADD_ORDERS = _moved("-"), _moved("")

# Every summary summed: a rebuild's last step, and a store's first.
SUM_EVERY_ORDER = (
    "INSERT INTO {schema}.order_totals"  # noqa: S608 - fixed names
    f" (account, currency, status, orders, {_COLUMNS})"
    " SELECT account, currency, status, count(*), "
    + ", ".join(f"sum({column})" for column in AMOUNTS)
    + " FROM {schema}.order_summaries GROUP BY account, currency, status"
)

ORDER_TOTALS = (
    # Summaries projected before the table existed are summed when it is made.
    """DO $$ BEGIN
        PERFORM pg_advisory_xact_lock(hashtext({schema_name} || '.order_totals'));
        IF to_regclass(quote_ident({schema_name}) || '.order_totals') IS NULL THEN
            CREATE TABLE {schema}.order_totals (
                account text NOT NULL, currency text NOT NULL,
                status text NOT NULL, orders bigint NOT NULL,
                gross_amount numeric NOT NULL, authorized numeric NOT NULL,
                captured numeric NOT NULL, refunded numeric NOT NULL,
                released numeric NOT NULL,
                outstanding_authorized numeric NOT NULL,
                refundable numeric NOT NULL,
                PRIMARY KEY (account, currency, status));
            """
    + SUM_EVERY_ORDER
    + """;
        END IF;
    END $$""",
)

KEPT_FILTERS = frozenset({"status", "statuses", "currency"})
