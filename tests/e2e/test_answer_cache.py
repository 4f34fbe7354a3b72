"""Whole-order answers are built once per version and never outlive it (issue 24)."""

from __future__ import annotations

import pytest

from api.answer_cache import AnswerCache
from tests.e2e.dintero import SHOP, ok
from tests.e2e.riverty import API, authorize, capture_jacket


@pytest.mark.parametrize(
    ("read", "status"),
    [
        (lambda n: f"{API}/orders/{n}", "captures"),
        (lambda n: f"{SHOP}/orders/{n}", "captures"),
        (lambda n: f"{SHOP}/orders/{n}?include_events=true", "events"),
        (lambda n: f"{SHOP}/orders/{n}/events", "events"),
        (lambda n: f"{SHOP}/orders/{n}/captures", "captures"),
    ],
)
def test_a_read_again_is_the_same_bytes_until_the_order_changes(
    api, writer, read, status
):
    cache = api.app.state.answer_cache
    number = f"AC-{status}-{len(read('x'))}"  # one order per case
    ok(authorize(writer, number))
    first = writer.get(read(number))
    hits = cache.hits
    again = writer.get(read(number))
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert cache.hits == hits + 1
    assert again.headers["content-type"] == "application/json"

    ok(capture_jacket(writer, number))
    after = ok(writer.get(read(number)))
    assert cache.hits == hits + 1  # a new version: built, not served
    assert after != first.json()
    assert len(after[status]) == len(first.json()[status]) + 1


def test_an_answer_is_the_one_built_without_the_cache(api, writer):
    ok(authorize(writer, "AC-SAME"))
    ok(capture_jacket(writer, "AC-SAME"))
    paths = [f"{API}/orders/AC-SAME", f"{SHOP}/orders/AC-SAME?include_events=true"]
    cached = [writer.get(path).content for path in paths]
    api.app.state.answer_cache = AnswerCache(0)  # keeps nothing
    assert [writer.get(path).content for path in paths] == cached


def test_the_cache_keeps_at_most_its_bytes():
    cache = AnswerCache(100)
    from pydantic import BaseModel  # noqa: PLC0415

    class Body(BaseModel):
        text: str

    for n in range(5):
        cache.answer(n, lambda n=n: Body(text=str(n) * 30))
    assert cache._size <= 100
    assert len(cache._answers) == 2
    cache.answer("big", lambda: Body(text="x" * 200))
    assert "big" not in cache._answers
