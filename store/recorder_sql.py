"""SQL the horizon recorder adds to the events table; rows as notifications."""

from __future__ import annotations

from eventsourcing.persistence import Notification
from psycopg import sql
from psycopg.rows import DictRow


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def notification(row: DictRow) -> Notification:
    return Notification(
        id=row["notification_id"],
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def add_columns(schema: str, table: str) -> list[sql.Composed]:
    """DDL adding the writer's xid and the log to an events table.

    Rows written before the columns existed get xid 0, which every snapshot
    counts as finished, and log 0; new rows default to their own
    transaction's xid. Conditional, so that a start-up does not take an
    ACCESS EXCLUSIVE lock on a table that already has the columns.
    """
    qualified = sql.Identifier(schema, table)
    return [
        sql.SQL(
            "DO $$ BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM information_schema.columns "
            "WHERE table_schema = {schema} AND table_name = {table} "
            "AND column_name = {column}) THEN {alter} END IF; END $$"
        ).format(
            schema=sql.Literal(schema),
            table=sql.Literal(table),
            column=sql.Literal(column),
            alter=alter,
        )
        for column, alter in (
            (
                "transaction_id",
                sql.SQL(
                    "ALTER TABLE {0} ADD COLUMN transaction_id xid8 NOT NULL "
                    "DEFAULT '0'; ALTER TABLE {0} "
                    "ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id();"
                ).format(qualified),
            ),
            (
                "log_id",
                sql.SQL(
                    "ALTER TABLE {0} ADD COLUMN log_id smallint NOT NULL DEFAULT 0; "
                    "CREATE INDEX {1} ON {0} (log_id, notification_id);"
                ).format(qualified, sql.Identifier(f"{table}_log_idx")),
            ),
        )
    ]


def append_function(
    schema: str,
    table: str,
    requests_table: str,
    channel: str,
    lock_namespace: int,
) -> sql.Composed:
    """DDL of ``<table>_append``: a save in one statement, one round trip.

    Called in autocommit, the statement is the transaction. The advisory
    locks of the events' logs are taken and released inside it, around the
    xid and the INSERT only, so no client round trip (nor a client thread
    waiting for its turn on a busy interpreter) ever holds them. A version
    conflict is found by ``ON CONFLICT DO NOTHING`` under the locks and raised
    after they are released (``unique_violation``: the library's
    IntegrityError), so a conflict never holds them either. The idempotency
    keys go in after the events: the events' INSERT stays the first write.
    The events come as one array per column: psycopg sends arrays of plain
    types from C, and a composite type's array in Python.
    """
    return sql.SQL(
        "CREATE OR REPLACE FUNCTION {function}("
        " originator_ids uuid[], versions bigint[], topics text[], states bytea[],"
        " log_ids smallint[], lock_keys int[], lock_timeout text,"
        " key_ids uuid[], key_names text[], key_prints text[], key_versions bigint[])"
        " RETURNS SETOF bigint LANGUAGE plpgsql AS $$"
        " DECLARE k int; ids bigint[];"
        " BEGIN"
        "  PERFORM set_config('lock_timeout', lock_timeout, true);"
        "  FOREACH k IN ARRAY lock_keys LOOP"
        "   PERFORM pg_advisory_lock({namespace}, k);"
        "  END LOOP;"
        "  PERFORM pg_current_xact_id();"
        "  WITH inserted AS ("
        "   INSERT INTO {table}"
        "   (originator_id, originator_version, topic, state, log_id)"
        "   SELECT * FROM unnest(originator_ids, versions, topics, states, log_ids)"
        "   ON CONFLICT DO NOTHING RETURNING notification_id)"
        "  SELECT array_agg(notification_id ORDER BY notification_id) INTO ids"
        "  FROM inserted;"
        "  FOREACH k IN ARRAY lock_keys LOOP"
        "   PERFORM pg_advisory_unlock({namespace}, k);"
        "  END LOOP;"
        "  IF coalesce(cardinality(ids), 0) < cardinality(versions) THEN"
        "   RAISE unique_violation USING MESSAGE ="
        "    'another writer saved these aggregate versions first';"
        "  END IF;"
        "  PERFORM pg_notify({channel}, '');"
        "  INSERT INTO {requests}"
        "  SELECT * FROM unnest(key_ids, key_names, key_prints, key_versions);"
        "  RETURN QUERY SELECT unnest(ids);"
        " END $$"
    ).format(
        function=sql.Identifier(schema, f"{table}_append"),
        table=sql.Identifier(schema, table),
        requests=sql.Identifier(schema, requests_table),
        channel=sql.Literal(channel),
        namespace=sql.Literal(lock_namespace),
    )
