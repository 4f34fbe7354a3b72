"""What the console's pages show, built from the ledger's own reads.

Pure functions of the native API's models and the read models' rows, so the
pages' figures are the API's figures and can be tested without a browser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from api.native.schemas import EventOut, OrderEventsOut
from projections.queries import OrderFilters

# The form's fields, as the order list's URL carries them.
FILTER_FIELDS = (
    "q",
    "order_id",
    "merchant_reference",
    "payment_id",
    "status",
    "currency",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "expiring_before",
    "outstanding_days",
)
MAX_FILTER_LENGTH = 255
MAX_OFFSET_MINUTES = 18 * 60  # no time zone is further from UTC
AS_OF, DATE_TIME, ZONE_OFFSET = "as of", "a date and time", "an offset within 18 h"


class FilterError(ValueError):
    """A filter the form cannot have sent; the page says which and why."""

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field}: {expected}")


@dataclass(frozen=True)
class TimelineRow:
    version: int
    type: str
    business_time: str | None  # the PSP's time (processed_at), when it gave one
    recorded_at: str
    actor: str | None
    request_id: str | None
    idempotency_key: str | None
    payment_id: str | None
    amount: int | None  # the event's money, summed over its lines
    lines: list[tuple[int, int]]  # (line id, amount)
    hash: str | None
    previous_hash: str | None
    raw_json: str


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(name, "a date (YYYY-MM-DD)") from None


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def order_filters(
    query: dict[str, str], now: datetime
) -> tuple[OrderFilters, dict[str, str]]:
    """The list's filters from its query string (dates are UTC days, inclusive)."""
    given = {k: query[k].strip() for k in FILTER_FIELDS if query.get(k, "").strip()}
    for name, value in given.items():
        if len(value) > MAX_FILTER_LENGTH or "\x00" in value:
            raise FilterError(name, f"at most {MAX_FILTER_LENGTH} characters")
    days = {
        name: _day(given[name], name)
        for name in (
            "created_from",
            "created_to",
            "updated_from",
            "updated_to",
            "expiring_before",
        )
        if name in given
    }
    older = None
    if "outstanding_days" in given:
        text = given["outstanding_days"]
        if not text.isdigit() or int(text) > 36_500:  # noqa: PLR2004 - a century
            raise FilterError("outstanding_days", "a whole number of days, 0-36500")
        older = now - timedelta(days=int(text))
    one_day = timedelta(days=1)
    filters = OrderFilters(
        search=given.get("q"),
        order_id=given.get("order_id"),
        merchant_reference=given.get("merchant_reference"),
        payment_id=given.get("payment_id"),
        status=given.get("status"),
        currency=given.get("currency"),
        created_from=_start(days["created_from"]) if "created_from" in days else None,
        created_to=_start(days["created_to"] + one_day) - timedelta(microseconds=1)
        if "created_to" in days
        else None,
        updated_from=_start(days["updated_from"]) if "updated_from" in days else None,
        updated_to=_start(days["updated_to"] + one_day) - timedelta(microseconds=1)
        if "updated_to" in days
        else None,
        expiring_before=_start(days["expiring_before"])
        if "expiring_before" in days
        else None,
        authorized_before=older,
    )
    return filters, given


def _money(payload: dict[str, Any]) -> tuple[int | None, list[tuple[int, int]]]:
    """The event's amount per line: allocations, or the item an event adds."""
    items = payload.get("items")
    if isinstance(items, list) and items and "amount" in items[0]:
        lines = [(int(i["line_id"]), int(i["amount"])) for i in items]
        return sum(amount for _, amount in lines), lines
    item = payload.get("item")
    if isinstance(item, dict) and "gross_amount" in item:
        return int(item["gross_amount"]), [
            (int(item["line_id"]), int(item["gross_amount"]))
        ]
    return None, []


def timeline_row(event: EventOut) -> TimelineRow:
    amount, lines = _money(event.payload)
    processed = event.payload.get("processed_at")
    return TimelineRow(
        version=event.version,
        type=event.type,
        business_time=str(processed) if processed else None,
        recorded_at=event.time,
        actor=event.actor,
        request_id=event.request_id,
        idempotency_key=event.idempotency_key,
        payment_id=event.payload.get("payment_id"),
        amount=amount,
        lines=lines,
        hash=event.hash,
        previous_hash=event.previous_hash,
        raw_json=json.dumps(event.model_dump(), indent=2, sort_keys=True),
    )


def timeline(events: OrderEventsOut, up_to_version: int) -> list[TimelineRow]:
    """The events up to the version the page shows, newest first."""
    rows = [timeline_row(e) for e in events.events if e.version <= up_to_version]
    return sorted(rows, key=lambda row: row.version, reverse=True)


def as_of_instant(local: str, offset_minutes: str) -> datetime:
    """A ``datetime-local`` value and the browser's UTC offset as an instant.

    ``offset_minutes`` is JavaScript's ``getTimezoneOffset()`` (UTC − local);
    without it (no script) the time is read as UTC.
    """
    try:
        moment = datetime.fromisoformat(local)
    except ValueError:
        raise FilterError(AS_OF, DATE_TIME) from None
    if moment.tzinfo is not None:
        return moment
    offset = int(offset_minutes) if offset_minutes.lstrip("-").isdigit() else 0
    if abs(offset) > MAX_OFFSET_MINUTES:
        raise FilterError(AS_OF, ZONE_OFFSET)
    return moment.replace(tzinfo=UTC) + timedelta(minutes=offset)


def grand_totals(rows: list[dict[str, Any]]) -> int:
    return sum(int(row["orders"]) for row in rows)


SETTLEMENT_AMOUNTS = ("authorized", "captured", "refunded", "released", "net")


def settlement_totals(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The settlement rows summed per currency."""
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        sums = totals.setdefault(row["currency"], dict.fromkeys(SETTLEMENT_AMOUNTS, 0))
        for column in SETTLEMENT_AMOUNTS:
            sums[column] += row[column]
    return totals
