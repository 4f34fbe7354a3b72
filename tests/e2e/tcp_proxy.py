"""A TCP proxy in front of PostgreSQL that a test can make lose the answers.

``swallow_answers()`` keeps forwarding what the ledger sends but drops what
the server answers: a statement still runs (and commits) on the server while
the ledger hears nothing, as when a network dies between the two. ``cut()``
then closes every proxied connection, and new ones pass again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo


class PostgresProxy:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        info = conninfo_to_dict(database_url)
        self._host = str(info.get("host") or "127.0.0.1")
        self._port = int(info.get("port") or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = make_conninfo(database_url, host="127.0.0.1", port=self.port)
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._swallow = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _upstream(self) -> socket.socket:
        if self._host.startswith("/"):  # a unix socket directory (pgserver)
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(str(Path(self._host) / f".s.PGSQL.{self._port}"))
            return upstream
        return socket.create_connection((self._host, self._port))

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = self._upstream()
            with self._lock:
                self._open += [client, upstream]
            threading.Thread(
                target=self._pump, args=(client, upstream, False), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, True), daemon=True
            ).start()

    def _pump(
        self, source: socket.socket, target: socket.socket, answers: bool
    ) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if answers and self._swallow.is_set():
                    continue  # the server answered; the ledger never hears it
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def swallow_answers(self) -> None:
        self._swallow.set()

    def cut(self) -> None:
        """Close every proxied connection; connections made after pass again."""
        with self._lock:
            ends, self._open = self._open, []
        for end in ends:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
        self._swallow.clear()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self.cut()
