"""SPEC §12: a client's map is data at every layer, whatever keys it holds.

Any plain JSON map — the event store's own ``{"_type_", "_data_"}`` markers
included — on every event that keeps one (the order's details, each money
operation) is saved, decoded again by a ledger that never saw it (as after a
restart), projected by both read models, and verified by the audit.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from domain.context import OperationFacts
from domain.draft import DraftTarget
from domain.values import Allocation, OrderDetails
from projections.audit import ChainVerifier
from tests.builders import item

TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12)
KEYS = st.sampled_from(
    ["_type_", "_data_", "uuid_hex", "decimal_str", "k"]
) | TEXT.filter(lambda key: key and key == key.strip())
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | st.sampled_from(["no_such_type", "decimal_str", "uuid_hex", "1.5", "00" * 16])
)
MARKERS = st.fixed_dictionaries(
    {
        "_type_": st.sampled_from(["no_such_type", "decimal_str", "uuid_hex"]),
        "_data_": LEAVES,
    }
)
VALUES = st.recursive(
    LEAVES | MARKERS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3)
    ),
    max_leaves=8,
)
MAPS = MARKERS | st.dictionaries(KEYS, VALUES, max_size=5)

orders = iter(range(10**9))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(details=MAPS, operation=MAPS)
def test_any_client_map_reads_back_everywhere(
    pg_ledger, pg_settings, database_url, projections, details: Any, operation: Any
):
    ref = f"MAP-{next(orders)}"
    draft = pg_ledger.create_draft(
        "acct",
        "EUR",
        [item(1, 1_000)],
        DraftTarget(new_order_ref=ref),
        details=OrderDetails(metadata=details),
    )
    pg_ledger.complete_draft("acct", draft.ref)
    facts = OperationFacts(metadata=operation)
    for command in (pg_ledger.authorize, pg_ledger.capture, pg_ledger.refund):
        command("acct", ref, "P", [Allocation(1, 100)], facts=facts)

    fresh = open_ledger(pg_settings, database_url)  # decodes from the store
    try:
        order = fresh.get_order("acct", ref)
        assert order.details is not None
        assert order.details.metadata == details
        money = [e for e in fresh.order_events("acct", ref) if hasattr(e, "metadata")]
        assert [e.metadata for e in money] == [operation] * 3
        report = ChainVerifier(fresh).verify()
        assert report.broken == [], report.broken
    finally:
        fresh.close()
    projections.catch_up()
    for runner in projections.runners.values():
        assert runner.dead_letters() == [], runner.view.name
