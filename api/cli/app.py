"""The ``ledger`` command and the helpers its groups share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from api.database import database, ensure_schema
from api.keys import KeyStore
from api.settings import Settings

cli = typer.Typer(help="Order ledger: event-sourced order and payment ledger.")


@cli.callback()
def _root() -> None:
    """Order ledger command line."""


@contextmanager
def key_store(settings: Settings) -> Iterator[KeyStore]:
    with database(settings) as url:
        ensure_schema(url, settings.db_schema)
        store = KeyStore(url, settings.db_schema)
        try:
            yield store
        finally:
            store.close()
