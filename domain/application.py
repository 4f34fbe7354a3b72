"""OrderLedger: the eventsourcing Application that runs every order command.

One class for the rest of the system to hold, made of one module per concern:
``unit_of_work`` (read, plan, replay or act, save, retry), ``order_commands``,
``draft_commands`` and ``order_reads``. Idempotency keys live in the
aggregates, so a retried request is recognised by the same read that checks
the rules.
"""

from __future__ import annotations

from domain.draft_commands import DraftCommands
from domain.order_commands import OrderCommands
from domain.order_reads import OrderReads
from domain.unit_of_work import NO_CONTEXT, Plan, replay

__all__ = ["NO_CONTEXT", "OrderLedger", "Plan", "replay"]


class OrderLedger(OrderCommands, DraftCommands, OrderReads):
    """Every command and read of the ledger's orders and drafts."""

    # The library names an application after its class unless told: the tables
    # (ledger_events, ledger_snapshots) and env prefixes carry this name.
    name = "ledger"
