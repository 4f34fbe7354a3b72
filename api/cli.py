"""The ``ledger`` command line."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.settings import Settings

cli = typer.Typer(help="Order ledger: event-sourced order and payment ledger.")


@cli.callback()
def _root() -> None:
    """Order ledger command line."""


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the HTTP API."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    settings = Settings()
    where = (
        settings.database_url and "DATABASE_URL"
    ) or f"embedded in {settings.data_dir}"
    typer.echo(f"event store: PostgreSQL {where}", err=True)
    typer.echo(
        f"serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)", err=True
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def main() -> None:
    cli()
