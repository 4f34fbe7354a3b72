"""``ledger webhooks``: the dispatcher, and the endpoints' create, list, change."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from api.bootstrap import open_ledger, open_outbound
from api.database import database
from api.logs import configure_logging
from api.settings import Settings
from outbound.endpoints import EndpointError, EndpointNotFoundError
from outbound.service import Outbound

webhooks_cli = typer.Typer(help="Webhook endpoints and their dispatcher (SPEC §14).")
Account = Annotated[str, typer.Option(help="the account the endpoint belongs to")]
EndpointId = Annotated[str, typer.Argument(help="the endpoint's id (ep_…)")]


def register(cli: typer.Typer) -> None:
    cli.add_typer(webhooks_cli, name="webhooks")


@contextmanager
def outbound(settings: Settings | None = None) -> Iterator[Outbound]:
    """The outbound service without its loops (a command starts them if it runs)."""
    settings = (settings or Settings()).model_copy(update={"run_projections": False})
    with database(settings) as url:
        ledger = open_ledger(settings, url)
        service = open_outbound(ledger, url, settings)
        try:
            yield service
        except EndpointError as error:
            typer.echo(f"refused: {error}", err=True)
            raise typer.Exit(2) from None
        except EndpointNotFoundError as error:
            typer.echo(f"no endpoint {error}", err=True)
            raise typer.Exit(2) from None
        finally:
            service.close()
            ledger.close()


@webhooks_cli.command("run")
def run(
    *,
    with_parent: Annotated[
        bool,
        typer.Option(
            "--with-parent",
            hidden=True,
            help="stop when the process that started this one is gone",
        ),
    ] = False,
) -> None:
    """Deliver webhooks until stopped (SIGINT/SIGTERM), as `ledger serve` does."""
    configure_logging()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()
    with outbound() as service:
        typer.echo("delivering webhooks", err=True)
        service.start()
        # A `ledger serve` killed outright cannot stop its child: the child
        # notices it was orphaned (re-parented) and stops on its own.
        while not stop.wait(1.0 if with_parent else None):
            if os.getppid() != parent:
                typer.echo("the serving process is gone: stopping", err=True)
                break


@webhooks_cli.command("create")
def create(
    account: Account,
    url: Annotated[str, typer.Option(help="http(s) URL to POST events to")],
    events: Annotated[
        str, typer.Option(help="comma-separated event types, or * for all")
    ] = "*",
    description: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Register an endpoint; prints it with its secret (shown only now) as JSON."""
    with outbound() as service:
        endpoint, secret = service.endpoints.create(
            account,
            url,
            [e.strip() for e in events.split(",") if e.strip()],
            description,
        )
    typer.echo(json.dumps({**endpoint.shown(), "secret": secret}))


@webhooks_cli.command("list")
def list_endpoints(account: Account) -> None:
    """One line per endpoint: id, state, event types, URL."""
    with outbound() as service:
        for endpoint in service.endpoints.list(account):
            state = (
                f"disabled ({endpoint.disabled_reason})" if endpoint.disabled else "on"
            )
            typer.echo(
                f"{endpoint.id}\t{state}\t{','.join(endpoint.events)}\t{endpoint.url}"
            )


@webhooks_cli.command("disable")
def disable(account: Account, endpoint_id: EndpointId) -> None:
    with outbound() as service:
        service.endpoints.update(account, endpoint_id, disabled=True)
    typer.echo(f"{endpoint_id} disabled")


@webhooks_cli.command("enable")
def enable(account: Account, endpoint_id: EndpointId) -> None:
    """Deliver again (what waited while it was disabled is sent; see replay)."""
    with outbound() as service:
        service.endpoints.update(account, endpoint_id, disabled=False)
    typer.echo(f"{endpoint_id} enabled")


@webhooks_cli.command("rotate")
def rotate(account: Account, endpoint_id: EndpointId) -> None:
    """A new secret on stdout; the old one also signs for a day."""
    with outbound() as service:
        _, secret = service.endpoints.rotate(account, endpoint_id)
    typer.echo(secret)


@webhooks_cli.command("delete")
def delete(account: Account, endpoint_id: EndpointId) -> None:
    with outbound() as service:
        service.endpoints.delete(account, endpoint_id)
    typer.echo(f"{endpoint_id} deleted")
