"""Read-only queries of the read models, for the finance API and the CLI."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from psycopg import Cursor, sql
from psycopg.rows import DictRow

from projections.order_totals import AMOUNTS, KEPT_FILTERS

SETTLEMENT_COLUMNS = (
    "date",
    "currency",
    "payment_id",
    "authorized",
    "captured",
    "refunded",
    "released",
    "net",
)


@dataclass(frozen=True)
class OrderFilters:
    status: str | None = None
    currency: str | None = None
    payment_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    authorized_before: datetime | None = None  # outstanding authorization older than
    expiring_before: datetime | None = None  # outstanding authorization expiring
    merchant_reference: str | None = None
    statuses: tuple[str, ...] | None = None  # any of these
    refunded: bool | None = None  # something refunded, or nothing
    order_id: str | None = None  # this order only (not case-sensitive)
    search: str | None = (
        None  # part of the order id or merchant reference, a payment id
    )


def encode_cursor(created_at: datetime, order_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), order_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position after which the next page starts; ValueError if not one of ours."""
    try:
        created, order_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(created), str(order_id)
    except (ValueError, TypeError) as error:
        msg = "not a cursor this API gave out"
        raise ValueError(msg) from error


_FILTER_CONDITIONS = {
    "order_id": "lower(order_id) = lower(%(order_id)s)",
    "status": "status = %(status)s",
    "currency": "currency = %(currency)s",
    "payment_id": "%(payment_id)s = ANY(payment_ids)",
    "created_from": "created_at >= %(created_from)s",
    "created_to": "created_at <= %(created_to)s",
    "updated_from": "updated_at >= %(updated_from)s",
    "updated_to": "updated_at <= %(updated_to)s",
    "authorized_before": "oldest_authorized_at < %(authorized_before)s",
    "expiring_before": "authorization_expires_at < %(expiring_before)s",
    "merchant_reference": "merchant_reference = %(merchant_reference)s",
    "statuses": "status = ANY(%(statuses)s)",
    "refunded": "(refunded <> 0) = %(refunded)s",
    "search": "(order_id ILIKE %(search)s ESCAPE '\\'"
    " OR merchant_reference ILIKE %(search)s ESCAPE '\\'"
    " OR %(search_exact)s = ANY(payment_ids))",
}
TOTAL_COLUMNS = AMOUNTS  # the money columns of order_summaries


def _where(
    account: str, filters: OrderFilters
) -> tuple[list[sql.Composable], dict[str, Any]]:
    """The conditions ``filters`` make, and their parameters."""
    conditions: list[sql.Composable] = [sql.SQL("account = %(account)s")]
    params: dict[str, Any] = {"account": account}
    for name, condition in _FILTER_CONDITIONS.items():
        value = getattr(filters, name)
        if value is not None:
            conditions.append(sql.SQL(condition))
            params[name] = list(value) if isinstance(value, tuple) else value
    if filters.search is not None:
        params["search"] = f"%{_like_escaped(filters.search)}%"
        params["search_exact"] = filters.search
    return conditions, params


def _like_escaped(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def cursor_after_order(
    curs: Cursor[DictRow], schema: str, account: str, order_id: str
) -> str | None:
    """The cursor of the page after ``order_id`` (Dintero pages by the last id)."""
    curs.execute(
        sql.SQL(
            "SELECT created_at, order_id FROM {}.order_summaries"
            " WHERE account = %s AND order_id = %s"
        ).format(sql.Identifier(schema)),
        (account, order_id),
    )
    row = curs.fetchone()
    return None if row is None else encode_cursor(row["created_at"], row["order_id"])


def list_orders(
    curs: Cursor[DictRow],
    schema: str,
    account: str,
    filters: OrderFilters,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Order summaries, oldest first, ``limit`` at a time (keyset pagination)."""
    conditions, params = _where(account, filters)
    params["limit"] = limit + 1
    if cursor is not None:
        params["after_created"], params["after_id"] = decode_cursor(cursor)
        conditions.append(
            sql.SQL("(created_at, order_id) > (%(after_created)s, %(after_id)s)")
        )
    curs.execute(
        sql.SQL(
            "SELECT * FROM {}.order_summaries WHERE {} "
            "ORDER BY created_at, order_id LIMIT %(limit)s"
        ).format(sql.Identifier(schema), sql.SQL(" AND ").join(conditions)),
        params,
    )
    rows = list(curs.fetchall())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["order_id"])
    return rows, next_cursor


def order_totals(
    curs: Cursor[DictRow], schema: str, account: str, filters: OrderFilters
) -> list[dict[str, Any]]:
    """Per currency: how many orders match ``filters``, and their money summed.

    From the kept totals when only status and currency filter (a read of a
    few rows, whatever the account's size); else the matching summaries.
    """
    if (
        not {name for name in _FILTER_CONDITIONS if getattr(filters, name) is not None}
        - KEPT_FILTERS
    ):
        statuses = filters.statuses
        if filters.status is not None:
            statuses = (
                (filters.status,)
                if statuses is None
                else (tuple(s for s in statuses if s == filters.status))
            )
        return kept_totals(curs, schema, account, statuses, filters.currency)
    return summed_totals(curs, schema, account, filters)


def summed_totals(
    curs: Cursor[DictRow], schema: str, account: str, filters: OrderFilters
) -> list[dict[str, Any]]:
    """``order_totals`` summed from the matching summaries, whatever the filter."""
    return _per_currency(curs, schema, "order_summaries", "count(*)", account, filters)


def kept_totals(
    curs: Cursor[DictRow],
    schema: str,
    account: str,
    statuses: tuple[str, ...] | None,
    currency: str | None,
) -> list[dict[str, Any]]:
    """Per currency: the orders of ``statuses`` (all if None), from order_totals."""
    filters = OrderFilters(statuses=statuses, currency=currency)
    return _per_currency(curs, schema, "order_totals", "sum(orders)", account, filters)


def _per_currency(
    curs: Cursor[DictRow],
    schema: str,
    table: str,
    orders: str,
    account: str,
    filters: OrderFilters,
) -> list[dict[str, Any]]:
    conditions, params = _where(account, filters)
    sums = sql.SQL(", ").join(
        sql.SQL("sum({0})::bigint AS {0}").format(sql.Identifier(column))
        for column in TOTAL_COLUMNS
    )
    curs.execute(
        sql.SQL(
            "SELECT currency, {orders}::bigint AS orders, {sums} FROM {table}"
            " WHERE {where} GROUP BY currency HAVING {orders} <> 0 ORDER BY currency"
        ).format(
            orders=sql.SQL(orders),
            sums=sums,
            table=sql.Identifier(schema, table),
            where=sql.SQL(" AND ").join(conditions),
        ),
        params,
    )
    return [dict(row) for row in curs.fetchall()]


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_end(day: date) -> datetime:
    """The start of the next day (the end of time for the last date there is)."""
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return day_start(day + timedelta(days=1))


def settlement(
    curs: Cursor[DictRow],
    schema: str,
    account: str,
    first: date,
    last: date,
    as_of: datetime | None = None,
) -> list[dict[str, Any]]:
    """Per UTC day, currency and payment: money moved, from the journal.

    With ``as_of``, only movements recorded by then count: the report a month
    end produced stays reproducible after later events.
    """
    # Whole days come from journal_days; the day ``as_of`` falls in, from the
    # journal rows recorded by then.
    last_whole = last
    cut = None
    if as_of is not None:
        as_of_day = as_of.astimezone(UTC).date()
        last_whole = min(last, as_of_day - timedelta(days=1))
        if first <= as_of_day <= last:
            cut = as_of_day
    curs.execute(
        sql.SQL(
            "WITH moved AS ("
            " SELECT day, currency, payment_id, kind, amount FROM {schema}.journal_days"
            " WHERE account = %(account)s AND day >= %(first)s AND day <= %(last)s"
            " UNION ALL"
            " SELECT %(cut)s::date, currency, payment_id, kind, amount"
            " FROM {schema}.journal WHERE %(cut)s::date IS NOT NULL"
            " AND account = %(account)s"
            " AND occurred_at >= %(cut_start)s AND occurred_at < %(cut_end)s"
            " AND occurred_at <= %(as_of)s)"
            " SELECT day AS date, currency, payment_id,"
            " sum(amount) FILTER (WHERE kind = 'authorization') AS authorized,"
            " sum(amount) FILTER (WHERE kind = 'capture') AS captured,"
            " sum(amount) FILTER (WHERE kind = 'refund') AS refunded,"
            " sum(amount) FILTER (WHERE kind = 'release') AS released"
            " FROM moved GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ).format(schema=sql.Identifier(schema)),
        {
            "account": account,
            "first": first,
            "last": last_whole,
            "cut": cut,
            "cut_start": day_start(cut) if cut else None,
            "cut_end": day_end(cut) if cut else None,
            "as_of": as_of,
        },
    )
    report = []
    for row in curs.fetchall():
        amounts = {
            k: int(row[k] or 0)
            for k in ("authorized", "captured", "refunded", "released")
        }
        report.append(
            {
                "date": row["date"].isoformat(),
                "currency": row["currency"],
                "payment_id": row["payment_id"],
                **amounts,
                "net": amounts["captured"] - amounts["refunded"],
            }
        )
    return report


def movements(
    curs: Cursor[DictRow], schema: str, account: str, first: date, last: date
) -> list[dict[str, Any]]:
    """Captures and refunds, one per event (its lines summed), in a date range."""
    curs.execute(
        sql.SQL(
            "SELECT (occurred_at AT TIME ZONE 'UTC')::date AS date, order_id,"
            " payment_id, kind, sum(amount) AS amount, currency, reference,"
            " notification_id FROM {}.journal"
            " WHERE account = %(account)s AND kind IN ('capture', 'refund')"
            " AND occurred_at >= %(start)s AND occurred_at < %(end)s"
            " GROUP BY notification_id, 1, 2, 3, 4, 6, 7 ORDER BY notification_id"
        ).format(sql.Identifier(schema)),
        {
            "account": account,
            "start": day_start(first),
            "end": day_end(last),
        },
    )
    return [dict(row) for row in curs.fetchall()]


def set_aside_events(
    curs: Cursor[DictRow], schema: str, limit: int = 200
) -> list[dict[str, Any]]:
    """Events a read model could not project (its dead letters), oldest first."""
    curs.execute(
        sql.SQL(
            "SELECT view_name, notification_id, originator_id, originator_version,"
            " topic, reason, recorded_at FROM {}.projection_dead_letters"
            " ORDER BY notification_id LIMIT %s"
        ).format(sql.Identifier(schema)),
        (limit,),
    )
    return [dict(row) for row in curs.fetchall()]
