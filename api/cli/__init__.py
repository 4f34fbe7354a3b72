"""The ``ledger`` command line."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from api.database import database, ensure_schema, open_ledger
from api.keys import KeyStore, Role
from api.logs import configure_logging
from api.reports import settlement_csv
from api.settings import Settings
from domain.application import OrderLedger
from domain.order import order_uuid
from projections import queries, reconciliation
from projections.audit import ChainVerifier
from projections.finance_role import READ_MODEL_TABLES, grant_finance_role
from projections.setup import Projections, open_views
from projections.views import VIEWS

cli = typer.Typer(help="Order ledger: event-sourced order and payment ledger.")
keys_cli = typer.Typer(help="API keys: each bound to one account and a role.")
cli.add_typer(keys_cli, name="keys")
projections_cli = typer.Typer(help="Read models: rebuild, status.")
cli.add_typer(projections_cli, name="projections")
report_cli = typer.Typer(help="Finance reports.")
cli.add_typer(report_cli, name="report")
audit_cli = typer.Typer(help="Tamper evidence of the event store.")
cli.add_typer(audit_cli, name="audit")


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
            log_config=None,
            timeout_graceful_shutdown=30,
        )


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


@contextmanager
def _ledger_and_views(
    settings: Settings, names: list[str] | None = None
) -> Iterator[tuple[OrderLedger, Projections]]:
    with database(settings) as url:
        ledger = open_ledger(settings, url)
        projections = Projections(ledger, open_views(url, settings.db_schema, names))
        try:
            yield ledger, projections
        finally:
            projections.close()
            ledger.close()


@cli.command()
def project() -> None:
    """Run the read models as their own process, until stopped (SIGINT/SIGTERM)."""
    configure_logging()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with _ledger_and_views(Settings()) as (_, projections):
        typer.echo(f"projecting {', '.join(projections.runners)}", err=True)
        projections.start()
        stop.wait()


@projections_cli.command("rebuild")
def projections_rebuild(
    name: Annotated[
        str | None, typer.Argument(help=f"one of {', '.join(VIEWS)}")
    ] = None,
) -> None:
    """Empty a read model (or all) and project every event again, showing progress."""
    if name is not None and name not in VIEWS:
        typer.echo(f"no read model {name!r}; there are {', '.join(VIEWS)}", err=True)
        raise typer.Exit(2)
    with _ledger_and_views(Settings(), [name] if name else None) as (
        ledger,
        projections,
    ):
        total = ledger.recorder.max_notification_id() or 0
        for runner in projections.runners.values():
            label = f"rebuilding {runner.view.name}"
            with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
                runner.rebuild(progress=bar.update)
            typer.echo(f"{runner.view.name}: {runner.view.checksum()}", err=True)


@projections_cli.command("status")
def projections_status() -> None:
    """How far each read model is behind, and every event it set aside."""
    with _ledger_and_views(Settings()) as (_, projections):
        for name, lag in projections.lag().items():
            typer.echo(
                f"{name}\t{lag.events_behind} events\t{lag.seconds_behind:.1f} s "
                f"behind\t{lag.set_aside} set aside"
            )
        for name, runner in projections.runners.items():
            for letter in runner.dead_letters():
                typer.echo(
                    f"{name}\tset aside: event {letter.notification_id} "
                    f"(order {letter.originator_id} v{letter.originator_version}): "
                    f"{letter.reason}"
                )


@projections_cli.command("grant-finance")
def projections_grant_finance(
    role: Annotated[str, typer.Option(help="the read-only role")] = "ledger_finance",
) -> None:
    """Create a read-only role with SELECT on the read-model tables only."""
    settings = Settings()
    with _ledger_and_views(settings), database(settings) as url:
        grant_finance_role(url, settings.db_schema, role)
    typer.echo(f"{role} may read {', '.join(READ_MODEL_TABLES)}", err=True)


@report_cli.command("settlement")
def report_settlement(
    account: Annotated[str, typer.Option(help="the account")],
    from_: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"])],
    to: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"])],
    as_of: Annotated[
        datetime | None, typer.Option(help="as the report stood then (ISO time, UTC)")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
) -> None:
    """Money moved per day, currency and payment, on stdout."""
    if output not in ("csv", "json"):
        typer.echo("--format must be csv or json", err=True)
        raise typer.Exit(2)
    when = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else None
    with _ledger_and_views(Settings()) as (_, projections):
        projections.catch_up()
        with projections.reading() as curs:
            rows = queries.settlement(
                curs, projections.schema, account, from_.date(), to.date(), when
            )
    typer.echo(
        settlement_csv(rows) if output == "csv" else json.dumps({"rows": rows}),
        nl=False,
    )


@cli.command()
def reconcile(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    account: Annotated[str, typer.Option(help="the account the file settles")],
    output: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
) -> None:
    """Compare a PSP settlement CSV with the ledger; the result on stdout."""
    text = file.read_text(encoding="utf-8")
    total = max(0, text.count("\n") - 1)
    rows: list[reconciliation.SettlementRow] = []
    try:
        with typer.progressbar(length=total, label="reading", file=sys.stderr) as bar:
            for row in reconciliation.parse(text):
                rows.append(row)
                bar.update(1)
    except reconciliation.SettlementFileError as error:
        typer.echo(f"{file}: {error}", err=True)
        raise typer.Exit(2) from None
    with _ledger_and_views(Settings()) as (_, projections):
        projections.catch_up()
        result = reconciliation.Reconciliation()
        if rows:
            first, last = min(r.date for r in rows), max(r.date for r in rows)
            with projections.reading() as curs:
                movements = queries.movements(
                    curs, projections.schema, account, first, last
                )
            result = reconciliation.reconcile(rows, movements)
    counts = {k: len(v) for k, v in result.as_dict().items()}
    typer.echo(" ".join(f"{k}={n}" for k, n in counts.items()), err=True)
    typer.echo(
        result.to_csv() if output == "csv" else json.dumps(result.as_dict()), nl=False
    )


@audit_cli.command("verify")
def audit_verify(
    account: Annotated[str | None, typer.Option(help="only this account")] = None,
    order: Annotated[
        str | None, typer.Option(help="only this order (needs --account)")
    ] = None,
) -> None:
    """Recompute every order's hash chain; exit 1 and name each broken order."""
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
                total = ledger.recorder.max_notification_id() or 0
                with typer.progressbar(
                    length=total, label="verifying", file=sys.stderr
                ) as bar:
                    report = verifier.verify(account=account, progress=bar.update)
        finally:
            ledger.close()
    for broken in report.broken:
        typer.echo(f"{broken.order_id}\tversion {broken.version}\t{broken.reason}")
    if report.broken:
        raise typer.Exit(1)
    typer.echo(
        f"all {report.orders_checked} orders verified ({report.events_checked} events)"
    )


def main() -> None:
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    cli()
