"""Answers that list a whole order, kept per process by the order's version.

Riverty's and Dintero's order reads list every capture, refund and void,
and Dintero's lists of an order's events and operations list them all:
their published shapes have no page, so building one decodes every event of
the order and grows with it. An answer is a function of the order's events
up to its version, and events never change, so the bytes built once for
(read, order, version) answer every later read of that version: a shop
polling a long order costs a read of its newer events, not a rebuild of the
answer. A new event makes a new version, never a stale answer.

The bytes are what FastAPI would send for the model (by alias, without
``None`` where the route leaves it out, JSON as Starlette renders it), so a
cached answer is byte for byte the uncached one. The cache holds at most
``max_bytes`` of answers per process, least recently used out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

JSON = "application/json"


class AnswerCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # routes run in the thread pool
        self.hits = 0

    def answer(
        self,
        key: Hashable,
        build: Callable[[], BaseModel],
        *,
        exclude_none: bool = False,
    ) -> Response:
        with self._lock:
            body = self._answers.get(key)
            if body is not None:
                self._answers.move_to_end(key)
                self.hits += 1
        if body is None:
            content = build().model_dump(
                mode="json", by_alias=True, exclude_none=exclude_none
            )
            body = bytes(JSONResponse(content).body)
            self._keep(key, body)
        return Response(body, media_type=JSON)

    def _keep(self, key: Hashable, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            if key in self._answers:
                return
            self._answers[key] = body
            self._size += len(body)
            while self._size > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self._size -= len(dropped)


def answer_cache(request: Request) -> AnswerCache:
    """The app's cache (an empty one that keeps nothing if the app has none)."""
    found = getattr(request.app.state, "answer_cache", None)
    return found if isinstance(found, AnswerCache) else AnswerCache(0)
