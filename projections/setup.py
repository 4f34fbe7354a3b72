"""Open the read models on the ledger's database and run them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow

from domain.application import OrderLedger
from projections.runner import Lag, ProjectionRunner
from projections.startup import schema_lock
from projections.views import VIEWS, ReadModelView


def open_views(
    url: str, schema: str, names: list[str] | None = None
) -> list[ReadModelView]:
    info = conninfo_to_dict(url)
    datastore = PostgresDatastore(
        dbname=str(info.get("dbname") or "postgres"),
        host=str(info.get("host") or "127.0.0.1"),
        port=str(info.get("port") or "5432"),
        user=str(info.get("user") or "postgres"),
        password=str(info.get("password") or ""),
        schema=schema,
        pool_size=2,
        max_overflow=2,
        connect_timeout=5,
    )
    views = [VIEWS[name](datastore) for name in names or list(VIEWS)]
    with schema_lock(url):
        for view in views:
            view.create_table()
    return views


class Projections:
    """Every read model's runner, optionally following the log in threads."""

    def __init__(self, ledger: OrderLedger, views: list[ReadModelView]) -> None:
        self.ledger = ledger
        self.runners = {view.name: ProjectionRunner(ledger, view) for view in views}
        self.datastore = views[0].datastore
        self.schema = self.datastore.schema
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @contextmanager
    def reading(self) -> Iterator[Cursor[DictRow]]:
        """A read-only transaction on the read models."""
        with self.datastore.transaction(commit=False) as curs:
            yield curs

    def wait_for_head(self, timeout: float = 5.0) -> None:
        """Read-your-writes for reports: project up to the log's current end."""
        self.wait(self.ledger.recorder.max_notification_id() or 0, timeout)

    def catch_up(self) -> int:
        return sum(runner.catch_up() for runner in self.runners.values())

    def wait(self, notification_id: int, timeout: float = 10.0) -> None:
        for runner in self.runners.values():
            runner.wait(notification_id, timeout)

    def lag(self) -> dict[str, Lag]:
        return {name: runner.lag() for name, runner in self.runners.items()}

    def start(self) -> None:
        for runner in self.runners.values():
            thread = threading.Thread(
                target=runner.run,
                args=(self._stop,),
                name=f"projection-{runner.view.name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def close(self) -> None:
        self.stop()
        for runner in self.runners.values():
            runner.view.datastore.close()


@contextmanager
def running(
    ledger: OrderLedger, url: str, schema: str, *, follow: bool
) -> Iterator[Projections]:
    projections = Projections(ledger, open_views(url, schema))
    if follow:
        projections.start()
    try:
        yield projections
    finally:
        projections.close()
