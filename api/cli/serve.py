"""``ledger serve`` (the HTTP API) and ``ledger project`` (the read models)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import uvicorn

from api.bootstrap import ledger_and_projections, tune_garbage_collection
from api.cli.app import key_store
from api.console.sessions import ConsoleSessions
from api.database import database
from api.keys import Principal, Role
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
    open_console: Annotated[  # noqa: FBT002
        bool,
        typer.Option(
            "--open", help="with --demo: open the console in a browser, signed in"
        ),
    ] = False,
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
            link = _print_demo_keys(settings, f"http://{host}:{port}")
            if open_console and _has_display():
                threading.Timer(2.0, webbrowser.open, (link,)).start()
        typer.echo(
            f"serving on http://{host}:{port} with {workers} worker(s)  (docs: /docs)",
            err=True,
        )
        # Workers build their app from the environment: hand them this database.
        os.environ["DATABASE_URL"] = url
        os.environ["LEDGER_RUN_PROJECTIONS"] = str(projections).lower()
        with _webhook_dispatcher(projections):
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


@contextmanager
def _webhook_dispatcher(run: bool) -> Iterator[None]:  # noqa: FBT001 - a switch
    """One ``ledger webhooks run`` beside the workers, not a dispatcher in each.

    Delivering is HTTP and JSON work; in a process of its own it never takes
    the workers' interpreter lock from the requests they answer.
    """
    if not run:
        yield
        return
    os.environ["LEDGER_RUN_WEBHOOKS"] = "false"  # the workers' setting
    child = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "webhooks", "run", "--with-parent"],
        env={**os.environ, "LEDGER_RUN_WEBHOOKS": "true"},
    )
    try:
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def _print_demo_keys(settings: Settings, url: str) -> str:
    """Print the demo's keys and console link; the link, signed in once."""
    with key_store(settings) as store:
        _, writer = store.create("demo", Role.WRITER)
        finance_id, finance = store.create("demo", Role.FINANCE)
        assert settings.database_url is not None  # noqa: S101 - set by the caller
        ticket = ConsoleSessions(settings.database_url, store).issue_ticket(
            Principal(finance_id, "demo", Role.FINANCE)
        )
    link = f"{url}/console/ticket/{ticket}"
    typer.echo(
        f"\nOrder ledger at {url}  (account: demo)\n"
        f"  writer key:  {writer}\n"
        f"  finance key: {finance}\n"
        f"  console:     {link}\n"
        f"               (signs in as the finance key, once, within 15 minutes;\n"
        f"                then sign in at {url}/console with a key)\n"
        f"  try: curl -H 'Authorization: Bearer {finance}' "
        f"{url}/v1/accounts/demo/orders/ORDER_ID\n",
        err=True,
    )
    return link


def _has_display() -> bool:
    """A browser can open: not a headless Linux box (CI, a server)."""
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


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
