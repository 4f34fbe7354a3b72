"""Fixtures of the integration tests: resources only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.setup import Projections, open_views


@pytest.fixture
def projections(pg_ledger, database_url, schema) -> Iterator[Projections]:
    """Every read model on this test's schema, not following the log."""
    projections = Projections(pg_ledger, open_views(database_url, schema))
    try:
        yield projections
    finally:
        projections.close()
