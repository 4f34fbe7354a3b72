"""Open the read models on the ledger's database and run them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow

from domain.application import OrderLedger
from projections.completeness import check_complete
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
        pre_ping=True,  # a database restart leaves dead connections in the pool
    )
    views = [VIEWS[name](datastore) for name in names or list(VIEWS)]
    with schema_lock(url):
        for view in views:
            view.create_table()
    return views


# How often a read waiting for the runner looks at its position again.
POSITION_POLL_SECONDS = 0.01


class ProjectionLaggingError(Exception):
    """A read model could not be brought up to the committed head in time."""

    def __init__(self, view: str, behind: int, waited: float) -> None:
        super().__init__(
            f"read model {view} is {behind} events behind after {waited:.1f} s"
        )
        self.view = view
        self.behind = behind


class Projections:
    """Every read model's runner, optionally following the log in threads.

    ``followed_elsewhere``: another process (``ledger project``) follows the
    log, so reads wait for it instead of projecting themselves.
    """

    def __init__(
        self,
        ledger: OrderLedger,
        views: list[ReadModelView],
        *,
        followed_elsewhere: bool = False,
    ) -> None:
        self.ledger = ledger
        self.runners = {view.name: ProjectionRunner(ledger, view) for view in views}
        self.datastore = views[0].datastore
        self.schema = self.datastore.schema
        self.followed_elsewhere = followed_elsewhere
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @contextmanager
    def reading(self) -> Iterator[Cursor[DictRow]]:
        """A read-only transaction on the read models."""
        with self.datastore.transaction(commit=False) as curs:
            yield curs

    def fresh_for(self, account: str, timeout: float = 5.0) -> None:
        """Every committed event projected, and none of the account's set aside.

        Raises ProjectionLaggingError or ReadModelIncompleteError: a finance
        read is fresh and complete, or loud (SPEC §10).
        """
        self.wait_for_head(timeout)
        check_complete(self, account)

    def wait_for_head(self, timeout: float = 5.0) -> None:
        """Fresh or loud (SPEC §10): every event committed now is projected.

        With a runner following the log (a thread here, or another process)
        the read waits for it; it never projects in the request thread, where
        it would race that runner. Alone (a command-line report), it projects.
        Raises ProjectionLaggingError when the head is not reached in time.
        """
        started = time.monotonic()
        for runner in self.runners.values():
            heads = runner.heads()
            if not (self._threads or self.followed_elsewhere):
                try:
                    runner.wait(max(heads.values(), default=0), timeout)
                except TimeoutError:
                    behind = runner.lag().events_behind
                    waited = time.monotonic() - started
                    raise ProjectionLaggingError(
                        runner.view.name, behind, waited
                    ) from None
                continue
            while not runner.reached(heads):
                waited = time.monotonic() - started
                if waited > timeout:
                    behind = sum(
                        max(0, head - runner.view.position(log))
                        for log, head in heads.items()
                    )
                    raise ProjectionLaggingError(runner.view.name, behind, waited)
                time.sleep(POSITION_POLL_SECONDS)

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
    projections = Projections(
        ledger, open_views(url, schema), followed_elsewhere=not follow
    )
    if follow:
        projections.start()
    try:
        yield projections
    finally:
        projections.close()
