"""An account's order totals per currency and status, kept as its orders change.

The console's order list shows the totals of every order its filters match.
Summed from ``order_summaries`` they cost a scan of all the account's
orders. ``order_totals`` keeps them summed per (account, currency, status):
statement triggers on ``order_summaries`` add each statement's new rows and
subtract its old ones, in the projector's own transaction, so the totals are
exactly the summaries' sums at every commit — a rebuild's emptying included.
A filter of status and currency only is answered from it; any other filter
still sums the matching summaries.

Sums are ``numeric``: a sum of bigints may pass 2^63 − 1 where no single
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


def _apply(rows: str, sign: str) -> str:
    """Add (``sign`` "") or subtract ("-") a transition table's rows."""
    sums = ", ".join(f"sum({sign}{column})" for column in AMOUNTS)
    return (
        "INSERT INTO {schema}.order_totals AS t"  # noqa: S608 - DDL of fixed names
        f" (account, currency, status, orders, {_COLUMNS})"
        f" SELECT account, currency, status, sum({sign}1), {sums}"
        f" FROM {rows} GROUP BY account, currency, status"
        " ON CONFLICT (account, currency, status) DO UPDATE"
        f" SET orders = t.orders + excluded.orders, {_ADDED};"
    )


ORDER_TOTALS = (
    """CREATE TABLE IF NOT EXISTS {schema}.order_totals (
        account text NOT NULL, currency text NOT NULL, status text NOT NULL,
        orders bigint NOT NULL, gross_amount numeric NOT NULL,
        authorized numeric NOT NULL, captured numeric NOT NULL,
        refunded numeric NOT NULL, released numeric NOT NULL,
        outstanding_authorized numeric NOT NULL, refundable numeric NOT NULL,
        PRIMARY KEY (account, currency, status))""",
    # Each branch names only the transition tables its trigger has.
    f"""CREATE OR REPLACE FUNCTION {{schema}}.order_totals_apply()
    RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {_apply("old_rows", "-")}
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN {_apply("new_rows", "")}
        END IF;
        RETURN NULL;
    END $$""",
    # The triggers and the first sums in one transaction, the summaries
    # locked against writes meanwhile: no row is counted twice or missed.
    """DO $$ BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM pg_trigger
            WHERE tgname = 'order_totals_on_insert'
                AND tgrelid = (
                    SELECT c.oid FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = {schema_name}
                        AND c.relname = 'order_summaries')
        ) THEN
            LOCK TABLE {schema}.order_summaries IN SHARE ROW EXCLUSIVE MODE;
            DELETE FROM {schema}.order_totals;
            INSERT INTO {schema}.order_totals
            SELECT account, currency, status, count(*), sum(gross_amount),
                sum(authorized), sum(captured), sum(refunded), sum(released),
                sum(outstanding_authorized), sum(refundable)
            FROM {schema}.order_summaries GROUP BY account, currency, status;
            CREATE TRIGGER order_totals_on_insert AFTER INSERT
                ON {schema}.order_summaries REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {schema}.order_totals_apply();
            CREATE TRIGGER order_totals_on_update AFTER UPDATE
                ON {schema}.order_summaries
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {schema}.order_totals_apply();
            CREATE TRIGGER order_totals_on_delete AFTER DELETE
                ON {schema}.order_summaries REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {schema}.order_totals_apply();
        END IF;
    END $$""",
)

KEPT_FILTERS = frozenset({"status", "statuses", "currency"})
