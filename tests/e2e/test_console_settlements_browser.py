"""Payouts in headless Chromium: upload, prove, match, work the queue to zero."""

from __future__ import annotations

import pytest

from tests.e2e.dintero import chair, create_order, ok, operation
from tests.e2e.test_console_browser import (  # the browser and its pages
    CHROMIUM,
    IN_CI,
    SHOTS,
    browser,
    page,
    shot,
    sign_in,
)
from tests.settlement_files import ADYEN_COLUMNS, adyen_row, table

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not IN_CI,
    reason="no Chromium here (apt-get install chromium); CI installs it and runs these",
)
__all__ = ["browser", "page"]


def test_upload_prove_match_and_work_the_exceptions_to_zero(page, api, writer):
    order_id = create_order(writer, [chair(1, 10_000)])
    ok(operation(writer, order_id, "authorizations", {1: 10_000}, payment_id="P1"))
    capture = ok(operation(writer, order_id, "captures", {1: 10_000}, payment_id="P1"))
    report = SHOTS.parent / "settlement_detail_report_batch_42.csv"
    report.parent.mkdir(parents=True, exist_ok=True)
    nok = {"Gross Currency": "NOK", "Net Currency": "NOK", "Batch Number": "42"}
    report.write_text(
        table(
            ADYEN_COLUMNS,
            [
                adyen_row(
                    "Settled",
                    **{
                        **nok,
                        "Merchant Reference": order_id,
                        "Modification Merchant Reference": capture["id"],
                        "Gross Credit (GC)": "100.00",
                        "Net Credit (NC)": "98.00",
                        "Commission (NC)": "2.00",
                    },
                ),
                adyen_row(
                    "Settled",
                    **{
                        **nok,
                        "Merchant Reference": "SHOP-2-POS",
                        "Gross Credit (GC)": "5.00",
                        "Net Credit (NC)": "5.00",
                    },
                ),
                adyen_row("Fee", **{**nok, "Net Debit (NC)": "1.00"}),
                adyen_row("MerchantPayout", **{**nok, "Net Debit (NC)": "102.00"}),
            ],
        )
    )
    sign_in(page, api, api.finance)
    page.click("nav a:has-text('Payouts')")
    page.wait_for_selector("#no-payouts")
    page.set_input_files("#report", str(report))
    page.click("#import")
    page.wait_for_selector("#imported")
    assert "balanced" in page.locator("#imported").inner_text()
    row = page.locator("#payouts tr[data-batch='42']")
    assert row.get_attribute("data-proof") == "balanced"
    assert "102.00 NOK" in row.inner_text()
    page.click("#run")
    page.wait_for_selector("#run-result")
    assert page.locator("#match-rate").inner_text() == "50.0%"
    shot(page, "payouts")

    page.click("#payouts a:has-text('42')")
    page.wait_for_selector("#lines")
    assert page.locator("#proof-status").inner_text().startswith("balanced")
    assert page.locator("tr[data-line='2']").get_attribute("data-match") == "matched"
    assert (
        page.locator("tr[data-line='3']").get_attribute("data-match") == "not_in_ledger"
    )
    fees = page.locator("#fees").inner_text()
    assert "Fee" in fees
    assert "-1.00 NOK" in fees
    shot(page, "payout")

    page.click("nav a:has-text('Exceptions')")
    page.wait_for_selector("#exceptions")
    (row,) = page.locator("#exceptions tbody tr").all()
    assert row.get_attribute("data-category") == "settled_not_in_ledger"
    row.locator("select[name=resolution]").select_option("write_off")
    row.locator("input[name=note]").fill(
        "point-of-sale sale, booked in the shop system"
    )
    shot(page, "exceptions")
    row.locator("button:has-text('Resolve')").click()
    page.wait_for_selector("#no-exceptions")
    page.click("a:has-text('resolved')")
    story = page.locator("#exceptions").inner_text()
    assert "write_off" in story or "write off" in story
    assert "point-of-sale sale" in story
    assert page.foreign_requests == []


def test_a_writer_key_reads_but_does_not_import(page, api):
    sign_in(page, api, api.writer)
    page.goto(f"{api.base}/console/settlements")
    page.wait_for_selector("#no-payouts")
    assert page.locator("#upload").count() == 0
