"""The console's page data, without a server or a browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.console import views
from api.console.web import major, utc
from api.native.schemas import EventOut, OrderEventsOut
from domain.money import EXPONENTS, to_minor

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@given(
    amount=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(sorted(EXPONENTS)),
)
def test_major_units_read_back_to_the_same_minor_units(amount, currency):
    text = major(amount, currency)
    number, shown_currency = text.rsplit(" ", 1)
    assert shown_currency == currency
    assert to_minor(Decimal(number.replace(",", "")), currency) == amount


def test_major_groups_thousands_and_keeps_the_sign():
    assert major(123450, "NOK") == "1,234.50 NOK"
    assert major(-5, "EUR") == "-0.05 EUR"
    assert major(None, "EUR") == ""


def test_instants_are_written_in_utc():
    assert utc("2026-12-06T21:30:00+01:00") == "2026-12-06T20:30:00Z"
    assert utc(None) == ""


class TestOrderFilters:
    def test_date_ranges_are_whole_utc_days_both_ends_included(self):
        filters, given_ = views.order_filters(
            {"created_from": "2026-11-01", "created_to": "2026-11-30", "x": "y"}, NOW
        )
        assert filters.created_from == datetime(2026, 11, 1, tzinfo=UTC)
        assert filters.created_to == datetime(2026, 12, 1, tzinfo=UTC) - timedelta(
            microseconds=1
        )
        assert given_ == {"created_from": "2026-11-01", "created_to": "2026-11-30"}

    def test_outstanding_older_than_days(self):
        filters, _ = views.order_filters({"outstanding_days": "7"}, NOW)
        assert filters.authorized_before == NOW - timedelta(days=7)

    def test_blank_fields_filter_nothing(self):
        filters, given_ = views.order_filters({"order_id": "  ", "status": ""}, NOW)
        assert filters == views.OrderFilters()
        assert given_ == {}

    @pytest.mark.parametrize(
        ("query", "named"),
        [
            ({"created_from": "yesterday"}, "created_from"),
            ({"outstanding_days": "-1"}, "outstanding_days"),
            ({"outstanding_days": "99999"}, "outstanding_days"),
            ({"merchant_reference": "x" * 256}, "merchant_reference"),
            ({"order_id": "a\x00b"}, "order_id"),
        ],
    )
    def test_a_bad_value_names_its_field(self, query, named):
        with pytest.raises(views.FilterError, match=named):
            views.order_filters(query, NOW)


class TestAsOf:
    def test_the_viewers_offset_turns_local_time_into_utc(self):
        # getTimezoneOffset() is UTC − local: -60 in Oslo in winter.
        assert views.as_of_instant("2026-12-06T13:00", "-60") == datetime(
            2026, 12, 6, 12, 0, tzinfo=UTC
        )
        assert views.as_of_instant("2026-12-06T07:00", "300") == datetime(
            2026, 12, 6, 12, 0, tzinfo=UTC
        )

    def test_without_an_offset_the_time_is_utc(self):
        assert views.as_of_instant("2026-12-06T12:00:05", "") == datetime(
            2026, 12, 6, 12, 0, 5, tzinfo=UTC
        )

    @pytest.mark.parametrize(
        ("local", "offset"), [("soon", "0"), ("2026-12-06T12:00", "9999")]
    )
    def test_nonsense_is_refused(self, local, offset):
        with pytest.raises(views.FilterError, match="as of"):
            views.as_of_instant(local, offset)


def _event(version: int, kind: str, payload: dict[str, object]) -> EventOut:
    return EventOut(
        type=kind,
        version=version,
        time=f"2026-12-06T12:00:0{version}+00:00",
        actor="k1",
        request_id=f"r{version}",
        idempotency_key=None,
        payload=payload,
        hash=f"h{version}",
        previous_hash=None,
    )


def test_the_timeline_sums_each_events_lines_and_stops_at_the_shown_version():
    events = OrderEventsOut(
        order_id="O1",
        events=[
            _event(1, "Opened", {"account": "a", "currency": "NOK"}),
            _event(
                2,
                "ItemAdded",
                {"item": {"line_id": 1, "gross_amount": 1500, "item_id": "x"}},
            ),
            _event(
                3,
                "Captured",
                {
                    "payment_id": "P1",
                    "items": [
                        {"line_id": 1, "amount": 1000},
                        {"line_id": 2, "amount": 250},
                    ],
                    "processed_at": "2026-12-05T10:00:00+00:00",
                },
            ),
            _event(4, "Refunded", {"payment_id": "P1", "items": []}),
        ],
    )
    rows = views.timeline(events, up_to_version=3)
    assert [row.version for row in rows] == [3, 2, 1]
    captured, added, opened = rows
    assert captured.amount == 1250
    assert captured.lines == [(1, 1000), (2, 250)]
    assert captured.payment_id == "P1"
    assert captured.business_time == "2026-12-05T10:00:00+00:00"
    assert '"request_id": "r3"' in captured.raw_json
    assert added.amount == 1500
    assert opened.amount is None
    assert opened.business_time is None
