"""``ledger serve`` (the HTTP API) and ``ledger project`` (the read models)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated

import typer
import uvicorn

from api.bootstrap import ledger_and_projections, tune_garbage_collection
from api.cli.app import key_store
from api.database import database
from api.keys import Role
from api.logs import configure_logging
from api.serving import HTTP_PROTOCOL
from api.settings import Settings


def register(cli: typer.Typer) -> None:
    cli.command()(serve)
    cli.command()(project)


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    demo: Annotated[  # noqa: FBT002 - typer's flag idiom
        bool, typer.Option(help="create a writer and a finance key for account 'demo'")
    ] = False,
    projections: Annotated[  # noqa: FBT002
        bool, typer.Option(help="follow the read models in this process")
    ] = True,
    workers: Annotated[
        int, typer.Option(min=1, help="worker processes (default: the CPU count)")
    ] = os.cpu_count() or 1,
) -> None:
    """Run the HTTP API (and, unless --no-projections, the read models).

    SIGTERM stops taking requests, lets those in flight finish (30 s at most)
    and stops the read models at a committed position.
    """
    configure_logging()
    settings = Settings().model_copy(update={"run_projections": projections})
    where = (
        "DATABASE_URL" if settings.database_url else f"embedded in {settings.data_dir}"
    )
    typer.echo(f"event store: PostgreSQL {where}", err=True)
    # Hold the embedded server for the whole run, so the app joins the same one.
    with database(settings) as url:
        settings = settings.model_copy(update={"database_url": url})
        if demo:
            _print_demo_keys(settings, f"http://{host}:{port}")
        typer.echo(
            f"serving on http://{host}:{port} with {workers} worker(s)  (docs: /docs)",
            err=True,
        )
        # Workers build their app from the environment: hand them this database.
        os.environ["DATABASE_URL"] = url
        os.environ["LEDGER_RUN_PROJECTIONS"] = str(projections).lower()
        uvicorn.run(
            "api.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            http=HTTP_PROTOCOL,
            log_config=None,
            timeout_graceful_shutdown=30,
        )


def _print_demo_keys(settings: Settings, url: str) -> None:
    with key_store(settings) as store:
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


def project() -> None:
    """Run the read models as their own process, until stopped (SIGINT/SIGTERM)."""
    configure_logging()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with ledger_and_projections(Settings()) as (_, projections):
        typer.echo(f"projecting {', '.join(projections.runners)}", err=True)
        tune_garbage_collection()
        projections.start()
        stop.wait()
