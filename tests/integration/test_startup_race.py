"""Processes that start together on a fresh database do not race on its catalog."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from api.bootstrap import open_ledger
from api.keys import KeyStore
from projections.setup import open_views


def test_four_starts_at_once_on_a_fresh_schema(pg_settings, database_url, schema):
    start = threading.Barrier(4)

    def start_up(_: int) -> None:
        start.wait()
        ledger = open_ledger(pg_settings, database_url)
        keys = KeyStore(database_url, schema)
        views = open_views(database_url, schema)
        views[0].datastore.close()
        keys.close()
        ledger.close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start_up, range(4)))  # raises if any start-up failed
