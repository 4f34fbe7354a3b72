"""The console in a real headless Chromium (Debian's), driven by Playwright.

A finance controller's month end: sign in, find an order by merchant
reference, explain it event by event, look at it as it stood earlier, take
the settlement CSV, reconcile a PSP file, verify, sign out. Each page's
screenshot is saved under ``test-output/screenshots`` (or
``$LEDGER_TEST_OUTPUT``). Without Chromium these tests are skipped, saying
why; in CI (``CI`` set) a missing Chromium fails them instead.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from projections.queries import TOTAL_COLUMNS
from tests.e2e.conftest import Api
from tests.e2e.console import money_story
from tests.e2e.dintero import NATIVE, ok
from tests.e2e.test_console import read_minor

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = bool(os.environ.get("CI"))
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not IN_CI,
    reason="no Chromium here (apt-get install chromium); CI installs it and runs these",
)
SHOTS = Path(os.environ.get("LEDGER_TEST_OUTPUT", "test-output")) / "screenshots"
BALANCES = TOTAL_COLUMNS[1:]  # every balance, without the gross amount


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.fail("CI must run the browser tests: apt-get install chromium")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, api: Api) -> Iterator[Any]:
    """A fresh browser context whose every request outside the ledger fails."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        timezone_id="Europe/Oslo",
        locale="sv-SE",  # dates as 2026-12-07 08:15:00: checked against Oslo's time
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    foreign: list[str] = []

    def only_the_ledger(route: Any) -> None:
        if route.request.url.startswith(api.base):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    tab.route("**/*", only_the_ledger)
    tab.foreign_requests = foreign
    yield tab
    context.close()


def shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(tab: Any, api: Api, key: str) -> None:
    tab.goto(f"{api.base}/console")
    assert tab.url.endswith("/console/sign-in")
    shot(tab, "sign-in")
    tab.fill("#key", key)
    tab.keyboard.press("Enter")  # the form works from the keyboard
    tab.wait_for_url("**/console/orders")


def shown_minor(tab: Any, table_id: str) -> dict[str, int]:
    """The amounts a person reads in the table, in minor units (not data-minor)."""
    cells = tab.locator(f"#{table_id} [data-field]")
    values: dict[str, int] = {}
    for index in range(cells.count()):
        cell = cells.nth(index)
        values.setdefault(
            cell.get_attribute("data-field"), read_minor(cell.inner_text())
        )
    return values


def test_a_controller_finds_an_order_and_explains_every_unit(page, api, writer):
    story = money_story(writer)
    order_id = story["order_id"]
    sign_in(page, api, api.finance)
    page.fill("input[name=merchant_reference]", story["merchant_reference"])
    page.click("button:has-text('Filter')")
    page.wait_for_selector("#orders")
    shot(page, "orders")
    assert page.locator("#orders tbody tr").count() == 1
    page.click(f"#orders a:has-text('{order_id}')")
    page.wait_for_selector("#timeline")
    shot(page, "order")

    api_order = ok(writer.get(f"{NATIVE}/orders/{order_id}"))
    assert shown_minor(page, "order-totals") == {
        k: api_order["totals"][k] for k in BALANCES
    }
    events = ok(writer.get(f"{NATIVE}/orders/{order_id}/events"))["events"]
    timeline = page.locator("#timeline > li")
    assert timeline.count() == len(events)
    assert [timeline.nth(i).get_attribute("data-type") for i in range(len(events))] == [
        e["type"] for e in reversed(events)
    ]
    assert page.locator("#chain-mark").inner_text().startswith("✔ chain verified")
    for event in events:
        assert page.locator(f"code.hash:text-is('{event['hash']}')").count() == 1
    # Times are shown in the viewer's zone (Oslo), UTC on hover.
    first_time = page.locator("#timeline time").first
    at = datetime.fromisoformat(first_time.get_attribute("datetime"))
    in_oslo = at.astimezone(ZoneInfo("Europe/Oslo")).strftime("%Y-%m-%d %H:%M:%S")
    assert in_oslo in first_time.inner_text(), first_time.inner_text()
    assert at.astimezone(UTC).strftime("%H:%M:%S") not in first_time.inner_text()
    assert first_time.get_attribute("title") == at.astimezone(UTC).strftime(
        "%Y-%m-%d %H:%M:%S UTC"
    )
    # The raw JSON of an event, on demand.
    details = page.locator("#timeline details").first
    details.locator("summary").click()
    assert '"hash"' in details.locator("pre").inner_text()

    # As it stood before the refund: the version control, then the API's figures.
    before = api_order["version"] - 1
    page.fill("#version", str(before))
    page.click("#show-version")
    page.wait_for_selector(f"text=As it stood at version {before}")
    shot(page, "order-as-of")
    earlier = ok(writer.get(f"{NATIVE}/orders/{order_id}", params={"version": before}))
    assert shown_minor(page, "order-totals") == {
        k: earlier["totals"][k] for k in BALANCES
    }
    assert earlier["totals"]["refunded"] != api_order["totals"]["refunded"]
    assert page.locator("#timeline > li").count() == len(events) - 1

    # As of a time, typed in the viewer's own zone (the browser's is Oslo's):
    # the page must be the API's answer for that instant.
    captured = next(e for e in events if e["type"] == "Captured")
    instant = datetime.fromisoformat(captured["time"]) + timedelta(milliseconds=1)
    instant = instant.replace(microsecond=instant.microsecond // 1000 * 1000)
    typed = instant.astimezone(ZoneInfo("Europe/Oslo"))
    page.goto(f"{api.base}/console/orders/{order_id}")
    page.fill("#as-of", typed.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3])
    page.click("#show-as-of")
    page.wait_for_selector("text=As it stood at version")
    shot(page, "order-as-of-time")
    then = ok(
        writer.get(
            f"{NATIVE}/orders/{order_id}",
            params={"as_of": instant.astimezone(UTC).isoformat()},
        )
    )
    assert then["version"] < api_order["version"]
    assert shown_minor(page, "order-totals") == {k: then["totals"][k] for k in BALANCES}
    assert page.foreign_requests == []


def test_month_end_settlement_reconciliation_and_audit(page, api, writer):
    story = money_story(writer)
    today = datetime.now(UTC).date().isoformat()
    sign_in(page, api, api.finance)

    page.click("nav >> text=Settlement")
    page.fill("input[name=first]", today)
    page.fill("input[name=last]", today)
    page.click("button:has-text('Show')")
    page.wait_for_selector("#settlement-totals")
    shot(page, "settlement")
    with page.expect_download() as download:
        page.click("#settlement-csv")
    mine = Path(download.value.path()).read_text()
    theirs = writer.get(
        f"{NATIVE}/reports/settlement",
        params={"from": today, "to": today, "format": "csv"},
    ).text
    assert mine == theirs
    assert len(list(csv.DictReader(io.StringIO(mine)))) >= 1

    payment = ok(writer.get(f"{NATIVE}/orders/{story['order_id']}"))["payments"][0]
    settlement_file = SHOTS.parent / "psp-settlement.csv"
    settlement_file.parent.mkdir(parents=True, exist_ok=True)
    settlement_file.write_text(
        "date,order_id,payment_id,kind,amount,currency,reference\n"
        f"{today},{story['order_id']},{payment['payment_id']},capture,9000,NOK,psp-1\n"
        f"{today},NOT-OURS,{payment['payment_id']},capture,100,NOK,psp-2\n"
    )
    page.click("nav >> text=Reconciliation")
    page.set_input_files("#settlement-file", str(settlement_file))
    page.click("#reconcile")
    page.wait_for_selector("#reconciliation-summary")
    shot(page, "reconciliation")
    assert page.locator("[data-count=amount_mismatches]").inner_text() == "1"
    assert page.locator("[data-count=missing_in_ledger]").inner_text() == "1"
    with page.expect_download() as download:
        page.click("#differences-csv")
    differences = Path(download.value.path()).read_text()
    assert re.search(r"^amount_mismatches,", differences, re.MULTILINE)
    assert "NOT-OURS" in differences

    page.click("nav >> text=Audit")
    page.click("#run-verify")
    page.wait_for_selector("#audit-result")
    shot(page, "audit")
    assert "every chain holds" in page.locator("#audit-result").inner_text()

    page.click("nav >> text=Health")
    page.wait_for_selector("#lag")
    shot(page, "health")
    assert page.locator("#lag tbody tr").count() >= 2

    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/console/sign-in")
    page.goto(f"{api.base}/console/orders")
    assert page.url.endswith("/console/sign-in")
    assert page.foreign_requests == []


def test_another_accounts_order_is_refused(page, api):
    with api.client(api.other_writer) as other:
        theirs = money_story(other, account="other")
    sign_in(page, api, api.finance)
    answer = page.goto(f"{api.base}/console/orders/{theirs['order_id']}")
    assert answer.status == 404
    shot(page, "another-account")
    assert theirs["merchant_reference"] not in page.content()


def test_readable_on_a_phone(page, api, writer):
    money_story(writer)
    sign_in(page, api, api.writer)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{api.base}/console/orders")
    shot(page, "orders-phone")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0  # wide tables scroll in their own box, the page does not


def test_api_docs_render_with_the_network_cut_off(page, api):
    page.goto(f"{api.base}/docs")
    page.wait_for_selector(".opblock")
    shot(page, "docs")
    assert page.locator(".opblock").count() > 20
    page.goto(f"{api.base}/redoc")
    page.wait_for_selector("[data-section-id]")
    shot(page, "redoc")
    assert page.locator("[data-section-id]").count() > 20
    # Only ReDoc's own logo link points outside; nothing the page needs came from there.
    assert all("redoc" in url for url in page.foreign_requests)


def test_a_writer_wires_up_a_webhook_and_watches_it_deliver(page, api, writer):
    from tests.e2e.outbound.receiver import receiving  # noqa: PLC0415

    with receiving() as receiver:
        sign_in(page, api, api.writer)
        page.click("nav a:has-text('Webhooks')")
        page.wait_for_selector("#no-webhooks")
        page.fill("input[name=url]", receiver.url)
        page.uncheck("input[name=events][value='*']")
        page.check("input[name=events][value=Captured]")
        page.fill("input[name=description]", "general ledger")
        page.click("#register button[type=submit]")
        secret = page.locator("#secret").inner_text().strip()
        shot(page, "webhook-registered")
        assert secret.startswith("whsec_")

        money_story(writer)
        [request] = receiver.wait_for(lambda got: len(got) >= 1)
        assert request.verified(secret)["type"] == "Captured"

        page.goto(f"{api.base}/console/webhooks")
        assert page.locator("#secret").count() == 0  # shown once only
        page.click("#webhooks tbody a")
        page.wait_for_selector("#deliveries")
        for _ in range(100):  # the receiver answered before the row was marked
            row = page.locator("#deliveries tbody tr").first
            if row.get_attribute("data-status") == "delivered":
                break
            page.reload()
        shot(page, "webhook-deliveries")
        row = page.locator("#deliveries tbody tr").first
        assert row.get_attribute("data-status") == "delivered"
        assert request.message_id in row.inner_text()
        page.click("#toggle")
        page.wait_for_selector("#state .bad")
        assert "disabled by a key" in page.locator("#state").inner_text()
        [hook] = ok(writer.get(f"{NATIVE}/webhooks"))["webhooks"]
        assert hook["disabled"] is True
    assert page.foreign_requests == []
