"""The README's receiver, run as written on a real delivery."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from outbound.events import EVENT_TYPES
from tests.e2e.console import money_story
from tests.e2e.outbound.receiver import receiving
from tests.e2e.outbound.test_webhooks import register

README = Path(__file__).parents[3] / "README.md"


def receiver_section() -> str:
    text = README.read_text()
    return text[text.index("## Events and webhooks") : text.index("## Read models")]


def documented_receive() -> Any:
    [block] = re.findall(r"```python\n(.*?)```", receiver_section(), re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(block, namespace)  # noqa: S102 - our own README's example
    return namespace["receive"]


def test_the_readme_receiver_verifies_a_real_delivery_and_refuses_a_forged_one(
    writer: httpx.Client,
):
    receive = documented_receive()
    with receiving() as receiver:
        hook = register(writer, receiver.url, ["Captured"])
        money_story(writer)
        [delivery] = receiver.wait_for(lambda got: len(got) >= 1)
    payload = receive(delivery.body, delivery.headers, hook["secret"])
    assert payload["type"] == "Captured"
    assert set(payload["data"]) == {
        "id",
        "type",
        "order_id",
        "version",
        "created_at",
        "business_time",
        "data",
    }
    forged = delivery.body.replace(b'"Captured"', b'"Refunded"', 1)
    with pytest.raises(WebhookVerificationError):
        receive(forged, delivery.headers, hook["secret"])


def test_the_readme_names_every_event_type_and_only_those():
    section = receiver_section()
    listed = section[section.index("`type` one of") : section.index("; `data`")]
    assert set(re.findall(r"`([A-Z][A-Za-z]+)`", listed)) == EVENT_TYPES
