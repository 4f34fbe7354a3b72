"""The main flows of every surface against a real ``ledger serve`` process.

The rest of the end-to-end suite runs the app in the test's own process,
where it can reach inside. Here the same tests run unchanged against the
command a deployment runs — two worker processes with their own caches, the
projections in the workers, settings from the environment — by giving them
an ``api`` that is that server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.database import ensure_schema
from api.keys import KeyStore, Role
from tests.e2e import test_console
from tests.e2e.conftest import ACCOUNT, Api, Clock
from tests.e2e.test_console import console
from tests.e2e.test_crash import Server
from tests.e2e.test_dintero_reference import (
    dintero,
    test_a_reference_client_runs_end_to_end,
    test_the_order_list_pages_in_dinteros_shape,
)
from tests.e2e.test_finance import TestOrderList, TestReconciliation, TestSettlement
from tests.e2e.test_riverty_flows import TestCapturesRefundsVoids, TestRefundLines
from tests.e2e.test_riverty_seed import test_seed_003
from tests.e2e.test_seed_scenarios import (
    test_a_replace_an_item,
    test_b_refund_remaining,
    test_c_part_authorization_with_a_second_payment,
)
from tests.e2e.test_serve import free_port


class TestConsoleReads(test_console.TestPagesShowTheApisFigures):
    # It stops the app's own projection threads: only in-process.
    test_health_shows_each_read_models_lag = None  # type: ignore[assignment]


__all__ = [
    "TestCapturesRefundsVoids",
    "TestConsoleReads",
    "TestOrderList",
    "TestReconciliation",
    "TestRefundLines",
    "TestSettlement",
    "console",
    "dintero",
    "test_a_reference_client_runs_end_to_end",
    "test_a_replace_an_item",
    "test_b_refund_remaining",
    "test_c_part_authorization_with_a_second_payment",
    "test_seed_003",
    "test_the_order_list_pages_in_dinteros_shape",
]


@pytest.fixture
def api(env, database_url: str, schema: str, tmp_path: Path) -> Iterator[Api]:
    """``ledger serve --workers 2`` on this test's schema, with its keys."""
    ensure_schema(database_url, schema)
    keys = KeyStore(database_url, schema)
    try:
        made = {
            role: keys.create(ACCOUNT, role)[1]
            for role in (Role.WRITER, Role.FINANCE, Role.ADMIN)
        }
        other = keys.create("other", Role.WRITER)[1]
    finally:
        keys.close()
    server = Server(env, free_port(), tmp_path / "serve.log", workers=2)
    server.start()
    try:
        yield Api(
            base=f"http://127.0.0.1:{server.port}",
            clock=Clock(),  # the server's own clock: tests here never move it
            writer=made[Role.WRITER],
            finance=made[Role.FINANCE],
            admin=made[Role.ADMIN],
            other_writer=other,
        )
    finally:
        server.stop()
