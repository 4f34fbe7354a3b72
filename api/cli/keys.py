"""``ledger keys``: create, revoke and list API keys."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from api.cli.app import key_store
from api.keys import Role
from api.settings import Settings

keys_cli = typer.Typer(help="API keys: each bound to one account and a role.")


def register(cli: typer.Typer) -> None:
    cli.add_typer(keys_cli, name="keys")


@keys_cli.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="the account the key may act on")],
    role: Annotated[Role, typer.Option(help="writer, finance (read only) or admin")],
    as_json: Annotated[  # noqa: FBT002 - typer reads --json from the default
        bool,
        typer.Option(
            "--json",
            help='print {"key", "client_id", "client_secret"}: the same credential '
            "as a bearer key and as Dintero client credentials",
        ),
    ] = False,
) -> None:
    """Create a key; prints the key on stdout and nothing else (it is not stored)."""
    with key_store(Settings()) as store:
        new = store.create(account, role)
    if as_json:
        credential = {
            "key": new.key,
            "client_id": new.client_id,
            "client_secret": new.client_secret,
        }
        typer.echo(json.dumps(credential))
    else:
        typer.echo(new.key)


@keys_cli.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="the key, or its id (the part after lk_)")],
) -> None:
    """Revoke a key at once."""
    with key_store(Settings()) as store:
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
    with key_store(Settings()) as store:
        for key_id, acct, role, created, revoked in store.list(account):
            state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "live"
            typer.echo(f"{key_id}\t{acct}\t{role}\t{created:%Y-%m-%d %H:%M}\t{state}")
