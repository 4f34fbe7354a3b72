"""``ledger settlements`` and ``ledger reconcile``: reports, runs, exceptions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from api.bootstrap import open_ledger, open_settlements
from api.cli.reports import reconcile_file
from api.database import database
from api.settings import Settings
from projections.setup import Projections, open_views
from settlements.exceptions import ExceptionError, ExceptionNotFoundError
from settlements.mapping import MappingError, load
from settlements.model import PROVIDERS, SettlementFileError
from settlements.reports import payouts_csv
from settlements.service import BatchNotFoundError, Settlements
from settlements.store import SettlementConflictError

settlements_cli = typer.Typer(help="Providers' settlement reports (SPEC §13).")
Account = Annotated[str, typer.Option(help="the account the reports settle")]
Day = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])]
ACTOR = "command line"


def register(cli: typer.Typer) -> None:
    cli.add_typer(settlements_cli, name="settlements")
    cli.command()(reconcile)


@contextmanager
def service(*, with_ledger: bool = False) -> Iterator[Settlements]:
    """The settlements service; with the ledger's read models when a run needs them."""
    settings = Settings()
    with database(settings) as url:
        ledger = open_ledger(settings, url) if with_ledger else None
        projections = (
            Projections(ledger, open_views(url, settings.db_schema)) if ledger else None
        )
        settlements = open_settlements(url, settings, projections)
        try:
            yield settlements
        except (SettlementFileError, SettlementConflictError, MappingError) as error:
            typer.echo(f"refused: {error}", err=True)
            raise typer.Exit(2) from None
        except ExceptionError as error:
            typer.echo(f"refused: {error}", err=True)
            raise typer.Exit(2) from None
        except (ExceptionNotFoundError, BatchNotFoundError) as error:
            typer.echo(f"not found: {error}", err=True)
            raise typer.Exit(2) from None
        finally:
            settlements.close()
            if projections is not None:
                projections.close()
            if ledger is not None:
                ledger.close()


def _provider(provider: str | None) -> str | None:
    if provider is not None and provider not in PROVIDERS:
        typer.echo(f"--provider must be one of {', '.join(PROVIDERS)}", err=True)
        raise typer.Exit(2)
    return provider


def _print(document: Any) -> None:  # noqa: ANN401 - JSON
    typer.echo(json.dumps(document, indent=2, default=str))


@settlements_cli.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    account: Account,
    provider: Annotated[
        str | None,
        typer.Option(help="adyen, klarna, stripe, dintero, riverty, generic"),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="save this column mapping for the provider first"),
    ] = None,
) -> None:
    """Import a provider's settlement report; the same file again changes nothing."""
    provider = _provider(provider)
    with service() as settlements:
        if mapping is not None:
            if provider is None:
                typer.echo("--mapping needs --provider", err=True)
                raise typer.Exit(2)
            load(mapping.read_text(encoding="utf-8"))  # refused before it is saved
            settlements.save_mapping(
                account, provider, mapping.read_text(encoding="utf-8"), ACTOR
            )
        answer = settlements.import_file(
            account,
            file.read_bytes(),
            provider,
            file.name,
            ACTOR,
            progress=lambda stage: typer.echo(stage, err=True),
        )
    _print(answer)


@settlements_cli.command("batches")
def batches(
    account: Account,
    provider: Annotated[str | None, typer.Option()] = None,
    from_: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"])
    ] = None,
    to: Day = None,
) -> None:
    """Payout batches, each with its proof (Σ net + carry-in − carry-out = payout)."""
    with service() as settlements:
        found = settlements.batches(
            account,
            _provider(provider),
            from_.date() if from_ else None,
            to.date() if to else None,
        )
    _print({"batches": found})


@settlements_cli.command("payouts")
def payouts(
    account: Account,
    from_: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"])
    ] = None,
    to: Day = None,
    output: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
) -> None:
    """Per payout: gross, fees by type, net, matched share, open exceptions."""
    with service() as settlements:
        rows = settlements.payouts(
            account, from_.date() if from_ else None, to.date() if to else None
        )
    if output == "json":
        _print({"payouts": rows})
    else:
        typer.echo(payouts_csv(rows), nl=False)


@settlements_cli.command("exceptions")
def exceptions(
    account: Account,
    status: Annotated[str | None, typer.Option(help="open, resolved or closed")] = None,
) -> None:
    """The exception queue, oldest first, each with its story."""
    with service() as settlements:
        _print({"exceptions": settlements.exceptions(account, status)})


@settlements_cli.command("resolve")
def resolve(
    exception_id: Annotated[str, typer.Argument(help="the exception's id (exc_…)")],
    account: Account,
    resolution: Annotated[str, typer.Option(help="matched, timing or write_off")],
    note: Annotated[str, typer.Option(help="why: the reason is recorded")],
    order: Annotated[str | None, typer.Option(help="matched: the order")] = None,
    kind: Annotated[str, typer.Option(help="matched: capture or refund")] = "capture",
    reference: Annotated[
        str | None, typer.Option(help="matched: its reference")
    ] = None,
) -> None:
    """Resolve an open exception, with a reason; recorded, never deleted."""
    operation = (
        {"order_id": order, "kind": kind, "reference": reference} if order else None
    )
    with service() as settlements:
        _print(
            settlements.resolve(
                account, exception_id, resolution, note, operation, ACTOR
            )
        )


def reconcile(
    account: Account,
    file: Annotated[
        Path | None,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="a CSV of the ledger's own format, compared and not stored",
        ),
    ] = None,
    from_: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"])
    ] = None,
    to: Day = None,
    as_of: Annotated[
        datetime | None, typer.Option(help="as it stood then (ISO time, UTC)")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
) -> None:
    """Reconcile the imported settlements with the ledger: a stored run.

    Given a FILE (the ledger's own CSV), compare it instead, storing nothing.
    """
    if file is not None:
        reconcile_file(file, account, output)
        return
    when = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else None
    with service(with_ledger=True) as settlements:
        typer.echo("matching settlement lines with the ledger…", err=True)
        run = settlements.reconcile(
            account,
            from_.date() if from_ else None,
            to.date() if to else None,
            when,
            ACTOR,
        )
    typer.echo(
        f"run {run['run_id']}: {run['lines']:,} lines, match rate {run['match_rate']},"
        f" {run['exceptions']} exceptions",
        err=True,
    )
    _print(run)
