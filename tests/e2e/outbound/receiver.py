"""A webhook receiver on loopback that records what it gets and answers as told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def verified(self, secret: str) -> dict[str, Any]:
        """The payload, if the signature is ``secret``'s (raises otherwise)."""
        payload: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return payload


# How the receiver answers the n-th request (from 0): a status, after a wait.
Answer = Callable[[int, "Received"], int]


class Receiver:
    def __init__(self, answer: Answer | None = None, port: int = 0) -> None:
        self.answer = answer or (lambda _n, _r: 200)
        self.requests: list[Received] = []
        self.accepted: list[Received] = []  # answered 2xx
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                got = Received(
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                with receiver._changed:
                    n = len(receiver.requests)
                    receiver.requests.append(got)
                status = receiver.answer(n, got)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with receiver._changed:
                    if 200 <= status < 300:
                        receiver.accepted.append(got)
                    receiver._changed.notify_all()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(
        self, done: Callable[[list[Received]], bool], timeout: float = 30
    ) -> list[Received]:
        """The accepted requests, once ``done`` holds of them (else fails)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done(self.accepted):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"{len(self.accepted)} accepted: not done"
                self._changed.wait(remaining)
            return list(self.accepted)


@contextmanager
def receiving(answer: Answer | None = None, port: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(answer, port)
    try:
        yield receiver
    finally:
        receiver.close()
