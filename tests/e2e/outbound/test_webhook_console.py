"""The console's webhook pages over HTTP, as a browser's forms post them."""

from __future__ import annotations

import html
import re

import httpx

from tests.e2e.conftest import Api
from tests.e2e.console import csrf_of, money_story, signed_in
from tests.e2e.dintero import ok
from tests.e2e.outbound.receiver import receiving
from tests.e2e.outbound.test_webhooks import HOOKS, eventually, register

PAGE = "/console/webhooks"


def secret_on(page: str) -> str:
    match = re.search(r'<code id="secret">(whsec_[^<]+)</code>', page)
    assert match, "no secret shown"
    return html.unescape(match.group(1))


def post(console: httpx.Client, path: str, **fields: object) -> httpx.Response:
    return console.post(path, data={"csrf": csrf_of(console, PAGE), **fields})


def test_a_writer_registers_an_endpoint_and_its_receiver_verifies_with_the_secret(
    api: Api, writer: httpx.Client
):
    with signed_in(api, api.writer) as console, receiving() as receiver:
        empty = console.get(PAGE)
        assert empty.status_code == 200
        assert 'id="no-webhooks"' in empty.text
        answer = post(
            console, PAGE, url=receiver.url, events=["Captured"], description="ERP"
        )
        assert answer.status_code == 200, answer.text
        secret = secret_on(answer.text)
        [endpoint] = ok(writer.get(HOOKS))["webhooks"]
        assert (endpoint["url"], endpoint["events"]) == (receiver.url, ["Captured"])
        assert endpoint["description"] == "ERP"
        listed = console.get(PAGE).text
        assert secret not in listed  # shown once, on the answer to the form
        assert endpoint["id"] in listed

        money_story(writer)
        [captured] = receiver.wait_for(lambda got: len(got) >= 1)
        assert captured.verified(secret)["type"] == "Captured"

        # The receiver has the request before the sender marks it delivered.
        def delivered() -> str | None:
            page = console.get(f"{PAGE}/{endpoint['id']}").text
            return page if 'data-status="delivered"' in page else None

        detail = eventually(delivered)
        assert captured.message_id in detail
        delivery_id = ok(writer.get(f"{HOOKS}/{endpoint['id']}/deliveries"))[
            "deliveries"
        ][0]["id"]
        again = post(
            console, f"{PAGE}/{endpoint['id']}/replay", delivery_id=delivery_id
        )
        assert 'id="queued"' in again.text
        resent = receiver.wait_for(lambda got: len(got) >= 2)
        assert resent[1].message_id == captured.message_id


def test_disable_enable_rotate_and_delete_from_the_console(
    api: Api, writer: httpx.Client
):
    hook = register(writer, "http://127.0.0.1:9/never")
    one = f"{PAGE}/{hook['id']}"
    with signed_in(api, api.writer) as console:
        assert post(console, f"{one}/disabled", disabled="true").status_code == 303
        shown = ok(writer.get(f"{HOOKS}/{hook['id']}"))
        assert (shown["disabled"], shown["disabled_reason"]) == (
            True,
            "disabled by a key",
        )
        assert "disabled by a key" in console.get(one).text
        post(console, f"{one}/disabled", disabled="false")
        assert ok(writer.get(f"{HOOKS}/{hook['id']}"))["disabled"] is False

        rotated = secret_on(post(console, f"{one}/rotate-secret").text)
        assert rotated != hook["secret"]

        assert post(console, f"{one}/delete").status_code == 303
        assert writer.get(f"{HOOKS}/{hook['id']}").status_code == 404
        assert 'id="no-webhooks"' in console.get(PAGE).text
        assert console.get(one).status_code == 404


def test_a_refused_target_is_a_page_saying_why_and_nothing_is_registered(
    api: Api, writer: httpx.Client
):
    with signed_in(api, api.writer) as console:
        refused = post(console, PAGE, url="http://10.1.2.3/hook", events=["*"])
        assert refused.status_code == 400
        assert "10.1.2.3" in refused.text
        no_type = post(console, PAGE, url="http://127.0.0.1:9/x")
        assert no_type.status_code == 400
        assert "at least one event type" in no_type.text
    assert ok(writer.get(HOOKS))["webhooks"] == []


def test_only_writer_and_admin_keys_see_webhooks_and_only_their_own(
    api: Api, writer: httpx.Client
):
    hook = register(writer, "http://127.0.0.1:9/never")
    with signed_in(api, api.finance) as console:
        assert 'href="/console/webhooks"' not in console.get("/console/orders").text
        refused = console.get(PAGE)
        assert refused.status_code == 403
        assert "writer or admin" in refused.text
    with signed_in(api, api.other_writer) as other:
        assert 'href="/console/webhooks"' in other.get("/console/orders").text
        assert hook["id"] not in other.get(PAGE).text
        assert other.get(f"{PAGE}/{hook['id']}").status_code == 404
        token = csrf_of(other, PAGE)
        gone = other.post(f"{PAGE}/{hook['id']}/delete", data={"csrf": token})
        assert gone.status_code == 404
    with signed_in(api, api.writer) as console:
        forged = console.post(f"{PAGE}/{hook['id']}/delete", data={"csrf": "x"})
        assert forged.status_code == 403
    assert ok(writer.get(f"{HOOKS}/{hook['id']}"))["disabled"] is False


def test_what_a_client_named_its_endpoint_is_shown_as_text(
    api: Api, writer: httpx.Client
):
    bad = '<img src=x onerror="alert(1)">'
    ok(
        writer.post(
            HOOKS,
            json={
                "url": "http://127.0.0.1:9/h",
                "events": ["*"],
                "description": bad,
            },
        ),
        201,
    )
    with signed_in(api, api.writer) as console:
        page = console.get(PAGE).text
    assert bad not in page
    assert "&lt;img src=x onerror=" in page
