"""Wakes a projection runner when the ledger commits events.

Every insert of the ledger's recorder sends ``NOTIFY <events table>``; it is
delivered when the writer commits. Waiting on it instead of polling cuts the
time from commit to read model from the poll interval to about one round trip.
The timeout still bounds every wait, so a lost notification (or a writer whose
rows were hidden behind an older open transaction) costs at most one interval.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql
from psycopg.conninfo import make_conninfo

log = logging.getLogger(__name__)
STOP_CHECK_SECONDS = 0.25  # how soon a stopping runner notices


class Wakeup:
    def __init__(self, conninfo: str, channel: str) -> None:
        self.conninfo = conninfo
        self.channel = channel
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    @classmethod
    def following(cls, recorder: PostgresApplicationRecorder) -> Wakeup:
        """A Wakeup on the recorder's database and notification channel."""
        kwargs = recorder.datastore.pool.kwargs
        assert isinstance(kwargs, dict)  # noqa: S101 - the library passes a dict
        params = {key: value for key, value in kwargs.items() if key != "row_factory"}
        return cls(make_conninfo(**params), recorder.channel_name)

    def wait(self, timeout: float, stop: threading.Event | None = None) -> None:
        """Return at the next commit of events, once ``stop`` is set, or at timeout."""
        deadline = time.monotonic() + timeout
        try:
            conn = self._listening()
            while (remaining := deadline - time.monotonic()) > 0:
                if stop is not None and stop.is_set():
                    return
                slice_ = min(remaining, STOP_CHECK_SECONDS)
                if any(True for _ in conn.notifies(timeout=slice_, stop_after=1)):
                    # Several commits while we were busy: one step sees them all.
                    for _ in conn.notifies(timeout=0):
                        pass
                    return
        except psycopg.Error:
            log.warning("lost the LISTEN connection; reconnecting", exc_info=True)
            self.close()
            raise

    def _listening(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.conninfo, autocommit=True)
            self._conn.execute(
                sql.SQL("LISTEN {}").format(sql.Identifier(self.channel))
            )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
