"""``ledger projections``: rebuild, status, and a read-only role for BI tools."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from api.bootstrap import ledger_and_projections, open_settlements
from api.database import database
from api.settings import Settings
from projections.finance_role import READ_MODEL_TABLES, grant_finance_role
from projections.views import VIEWS
from settlements.ddl import TABLES as SETTLEMENT_TABLES

projections_cli = typer.Typer(help="Read models: rebuild, status.")


def register(cli: typer.Typer) -> None:
    cli.add_typer(projections_cli, name="projections")


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
    with ledger_and_projections(Settings(), [name] if name else None) as (
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
    with ledger_and_projections(Settings()) as (_, projections):
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
    """Create a read-only role with SELECT on the read models and settlements only."""
    settings = Settings()
    with ledger_and_projections(settings), database(settings) as url:
        open_settlements(url, settings).close()  # their tables, to be granted
        grant_finance_role(url, settings.db_schema, role, SETTLEMENT_TABLES)
    tables = (*READ_MODEL_TABLES, *SETTLEMENT_TABLES)
    typer.echo(f"{role} may read {', '.join(tables)}", err=True)
