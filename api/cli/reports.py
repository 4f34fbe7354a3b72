"""``ledger report settlement``, and ``ledger reconcile FILE``'s comparison."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from api.bootstrap import ledger_and_projections
from api.settings import Settings
from projections import reconciliation
from projections.reports import FinanceReports, settlement_csv

report_cli = typer.Typer(help="Finance reports.")


def register(cli: typer.Typer) -> None:
    cli.add_typer(report_cli, name="report")


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
    with ledger_and_projections(Settings()) as (_, projections):
        reports = FinanceReports(projections)
        rows = reports.settlement(account, from_.date(), to.date(), when)
    typer.echo(
        settlement_csv(rows) if output == "csv" else json.dumps({"rows": rows}),
        nl=False,
    )


def reconcile_file(file: Path, account: str, output: str) -> None:
    """Compare a CSV of the ledger's own format with the ledger; stdout."""
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
    with ledger_and_projections(Settings()) as (_, projections):
        result = FinanceReports(projections).reconcile(account, rows)
    counts = {k: len(v) for k, v in result.as_dict().items()}
    typer.echo(" ".join(f"{k}={n}" for k, n in counts.items()), err=True)
    typer.echo(
        result.to_csv() if output == "csv" else json.dumps(result.as_dict()), nl=False
    )
