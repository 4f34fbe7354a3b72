"""``ledger audit verify``: recompute the hash chains, name every broken order."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from api.bootstrap import open_ledger
from api.database import database
from api.settings import Settings
from domain.order import order_uuid
from projections.audit import ChainVerifier

audit_cli = typer.Typer(help="Tamper evidence of the event store.")


def register(cli: typer.Typer) -> None:
    cli.add_typer(audit_cli, name="audit")


@audit_cli.command("verify")
def audit_verify(
    account: Annotated[str | None, typer.Option(help="only this account")] = None,
    order: Annotated[
        str | None, typer.Option(help="only this order (needs --account)")
    ] = None,
    full: Annotated[  # noqa: FBT002 - typer's flag
        bool,
        typer.Option(
            "--full",
            help="the whole store from its first event, not only what the last"
            " whole-store audit did not read",
        ),
    ] = False,
) -> None:
    """Recompute the hash chains; exit 1 and name each broken order.

    The whole store's audit goes on from where the last one stopped (the
    chains' heads it verified are kept); --full reads every event again.
    An account's or an order's audit always reads all of its events.
    """
    if order is not None and account is None:
        typer.echo("--order needs --account", err=True)
        raise typer.Exit(2)
    settings = Settings()
    with database(settings) as url:
        ledger = open_ledger(settings, url)
        try:
            verifier = ChainVerifier(ledger)
            if order is not None and account is not None:
                report = verifier.verify(aggregate_id=order_uuid(account, order))
            else:
                total = (
                    verifier.events_to_read(account)
                    if account is not None
                    else verifier.store_events_to_read(full=full)
                )
                with typer.progressbar(
                    length=total, label="verifying", file=sys.stderr
                ) as bar:
                    report = (
                        verifier.verify(account=account, progress=bar.update)
                        if account is not None
                        else verifier.verify_store(full=full, progress=bar.update)
                    )
        finally:
            ledger.close()
    for broken in report.broken:
        typer.echo(f"{broken.order_id}\tversion {broken.version}\t{broken.reason}")
    if report.broken:
        raise typer.Exit(1)
    typer.echo(
        f"all {report.orders_checked} orders verified ({report.events_checked} events)"
    )
    if report.events_read is not None:
        typer.echo(
            f"this run read {report.events_read} events, up to notification"
            f" {report.verified_through}"
        )
