"""/metrics: traffic, commands, rejections, events, projection lag, pool use."""

from __future__ import annotations

import pytest

from tests.e2e.dintero import chair, create_order, ok, operation

CAPTURES = "/v1/accounts/{aid}/shopping/orders/{order_id}/captures"


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}}") or (
            not labels and line.startswith(f"{name} ")
        ):
            return float(line.rsplit(" ", 1)[1])
    pytest.fail(f"{name}{{{wanted}}} not in metrics")


def test_metrics(writer):
    order_id = create_order(writer, [chair(1, 1000)])
    ok(operation(writer, order_id, "authorizations", {1: 1000}))
    ok(operation(writer, order_id, "captures", {1: 100}))
    assert operation(writer, order_id, "captures", {1: 5000}).status_code == 409
    text = writer.get("/metrics").text
    assert (
        sample(
            text,
            "ledger_http_requests_total",
            method="POST",
            route=CAPTURES,
            status="200",
        )
        == 1
    )
    assert (
        sample(
            text,
            "ledger_http_requests_total",
            method="POST",
            route=CAPTURES,
            status="409",
        )
        == 1
    )
    assert sample(text, "ledger_commands_total", command="capture", outcome="ok") == 1
    assert (
        sample(text, "ledger_commands_total", command="capture", outcome="over_capture")
        == 1
    )
    assert sample(text, "ledger_events_appended_total") >= 5
    sample(text, "ledger_projection_lag_events", projection="journal")  # present
    assert sample(text, "ledger_projection_dead_letters", projection="journal") == 0
    assert sample(text, "ledger_db_pool", stat="pool_size") >= 1
    assert f'route="{CAPTURES}"' in text
    assert order_id not in text  # templates, not raw paths: bounded label values
    assert 'ledger_http_request_seconds_bucket{le="0.01",method="POST"' in text
