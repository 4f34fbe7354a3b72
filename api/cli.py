"""The ``ledger`` command line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.database import database, ensure_schema
from api.keys import KeyStore, Role
from api.logs import configure_logging
from api.settings import Settings

cli = typer.Typer(help="Order ledger: event-sourced order and payment ledger.")
keys_cli = typer.Typer(help="API keys: each bound to one account and a role.")
cli.add_typer(keys_cli, name="keys")


@cli.callback()
def _root() -> None:
    """Order ledger command line."""


@contextmanager
def _key_store(settings: Settings) -> Iterator[KeyStore]:
    with database(settings) as url:
        ensure_schema(url, settings.db_schema)
        store = KeyStore(url, settings.db_schema)
        try:
            yield store
        finally:
            store.close()


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    demo: Annotated[  # noqa: FBT002 - typer's flag idiom
        bool, typer.Option(help="create a writer and a finance key for account 'demo'")
    ] = False,
) -> None:
    """Run the HTTP API."""
    configure_logging()
    settings = Settings()
    where = (
        "DATABASE_URL" if settings.database_url else f"embedded in {settings.data_dir}"
    )
    typer.echo(f"event store: PostgreSQL {where}", err=True)
    # Hold the embedded server for the whole run, so the app joins the same one.
    with database(settings) as url:
        settings = settings.model_copy(update={"database_url": url})
        if demo:
            _print_demo_keys(settings, f"http://{host}:{port}")
        typer.echo(f"serving on http://{host}:{port}  (docs: /docs)", err=True)
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None)


def _print_demo_keys(settings: Settings, url: str) -> None:
    with _key_store(settings) as store:
        _, writer = store.create("demo", Role.WRITER)
        _, finance = store.create("demo", Role.FINANCE)
    typer.echo(
        f"\nOrder ledger at {url}  (account: demo)\n"
        f"  writer key:  {writer}\n"
        f"  finance key: {finance}\n"
        f"  try: curl -H 'Authorization: Bearer {finance}' "
        f"{url}/v1/accounts/demo/orders/ORDER_ID\n",
        err=True,
    )


@keys_cli.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="the account the key may act on")],
    role: Annotated[Role, typer.Option(help="writer, finance (read only) or admin")],
) -> None:
    """Create a key; prints the key on stdout and nothing else (it is not stored)."""
    with _key_store(Settings()) as store:
        _, key = store.create(account, role)
    typer.echo(key)


@keys_cli.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="the key, or its id (the part after lk_)")],
) -> None:
    """Revoke a key at once."""
    with _key_store(Settings()) as store:
        revoked = store.revoke(key)
    if not revoked:
        typer.echo("no live key matched", err=True)
        raise typer.Exit(1)
    typer.echo("revoked", err=True)


@keys_cli.command("list")
def keys_list(
    account: Annotated[str | None, typer.Option(help="only this account")] = None,
) -> None:
    """List key ids, accounts, roles and states (never the keys)."""
    with _key_store(Settings()) as store:
        for key_id, acct, role, created, revoked in store.list(account):
            state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "live"
            typer.echo(f"{key_id}\t{acct}\t{role}\t{created:%Y-%m-%d %H:%M}\t{state}")


def main() -> None:
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    cli()
