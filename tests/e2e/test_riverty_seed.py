"""Seed 003 verbatim: authorize, the accepted update, the update with wrong totals."""

from __future__ import annotations

from tests.e2e.conftest import ACCOUNT
from tests.e2e.dintero import NATIVE, ok
from tests.e2e.riverty import (
    API,
    FIRST_UPDATE,
    SECOND_UPDATE,
    SEED_ERRORS,
    authorize,
    update,
)


def test_seed_003(writer):
    authorized = ok(authorize(writer, "RIV-1"))
    assert authorized["outcome"] == "Accepted"
    assert authorized["expirationDate"]
    native = ok(writer.get(f"{NATIVE}/orders/RIV-1"))
    assert native["account"] == ACCOUNT
    assert native["gross_amount"] == 28500
    assert [line["gross_amount"] for line in native["lines"]] == [
        20000,
        5000,
        3000,
        500,
    ]
    assert [line["net_amount"] for line in native["lines"]] == [16800, 4200, 2521, 420]
    assert native["totals"]["authorized"] == 28500

    first = ok(update(writer, "RIV-1", FIRST_UPDATE))
    assert first["outcome"] == "Accepted"
    assert first["reservationId"] == authorized["reservationId"]
    after_first = ok(writer.get(f"{NATIVE}/orders/RIV-1"))
    assert [line["line_id"] for line in after_first["lines"]] == [1, 2, 3, 4]
    assert after_first["totals"]["outstanding_authorized"] == 28500

    events_before = ok(writer.get(f"{NATIVE}/orders/RIV-1/events"))
    second = update(writer, "RIV-1", SECOND_UPDATE)
    assert second.status_code == 400
    assert second.json() == SEED_ERRORS
    assert ok(writer.get(f"{NATIVE}/orders/RIV-1")) == after_first
    assert ok(writer.get(f"{NATIVE}/orders/RIV-1/events")) == events_before

    riverty_view = ok(writer.get(f"{API}/orders/RIV-1"))
    assert riverty_view["orderDetails"]["totalGrossAmount"] == 285
    assert riverty_view["orderDetails"]["totalNetAmount"] == 239.41
    assert riverty_view["remainingAuthorizedAmount"] == 285
