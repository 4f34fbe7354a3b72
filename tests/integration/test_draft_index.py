"""The drafts list reads only the account's drafts, whatever else the store holds."""

from __future__ import annotations

from psycopg import sql

from domain.application import OrderLedger
from projections.account_index import DRAFT_CREATED_TOPIC as CREATED_TOPIC
from projections.drafts import draft_refs
from tests.builders import item


def test_the_list_pages_one_accounts_drafts_among_many(pg_ledger: OrderLedger):
    mine = [pg_ledger.create_draft("mine", "EUR", [item(1, 100)]).ref for _ in range(3)]
    for n in range(60):
        pg_ledger.create_draft(f"other-{n % 7}", "EUR", [item(1, 100)])
    recorder = pg_ledger.recorder
    assert draft_refs(recorder, "mine", 10) == mine  # type: ignore[arg-type]
    assert draft_refs(recorder, "mine", 1, mine[0]) == mine[1:2]  # type: ignore[arg-type]
    assert draft_refs(recorder, "nobody", 10) == []  # type: ignore[arg-type]


def test_the_list_reads_by_the_partial_index(pg_ledger: OrderLedger):
    for n in range(40):
        pg_ledger.create_draft(f"acct-{n % 4}", "EUR", [item(1, 100)])
    recorder = pg_ledger.recorder
    schema = recorder.datastore.schema  # type: ignore[attr-defined]
    table = sql.Identifier(schema, recorder.events_table_name)  # type: ignore[attr-defined]
    query = sql.SQL(
        "EXPLAIN SELECT notification_id FROM {} WHERE topic = {}"
        " AND {}.ledger_event_account(state) = 'acct-1'"
        " ORDER BY notification_id LIMIT 10"
    ).format(table, sql.Literal(CREATED_TOPIC), sql.Identifier(schema))
    with recorder.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
        curs.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask the plan
        curs.execute(query)
        plan = "\n".join(str(next(iter(row.values()))) for row in curs.fetchall())
    assert "draft_account_idx" in plan, plan
