"""The ``ledger`` command line: one module per group of commands."""

from __future__ import annotations

import logging

from api.cli import audit, keys, projections, reports, serve, settlements, webhooks
from api.cli.app import cli


def main() -> None:
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    for group in (serve, keys, projections, reports, audit, webhooks, settlements):
        group.register(cli)
    cli()
