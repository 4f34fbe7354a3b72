"""``ledger keys``: a key is printed once, stored only as a hash, and can be revoked."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from api.keys import KeyStore, hash_key
from domain.order import order_uuid
from domain.values import Allocation
from tests.builders import item
from tests.e2e.conftest import ledger


def test_keys_create_prints_the_key_and_nothing_else(env, database_url, schema):
    created = ledger(env, "keys", "create", "--account", "acme", "--role", "finance")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n"
    assert key.startswith("lk_")
    store = KeyStore(database_url, schema)
    try:
        principal = store.authenticate(key)
        assert principal is not None
        assert (principal.account, principal.role) == ("acme", "finance")
    finally:
        store.close()
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(
            sql.SQL("SELECT key_hash FROM {}").format(
                sql.Identifier(schema, "api_keys")
            )
        ).fetchall()
    assert stored == [(hash_key(key),)]
    assert key not in str(stored)


def test_keys_revoke_stops_the_key(env, database_url, schema):
    key = ledger(
        env, "keys", "create", "--account", "acme", "--role", "writer"
    ).stdout.strip()
    assert ledger(env, "keys", "revoke", key).returncode == 0
    assert ledger(env, "keys", "revoke", key).returncode == 1
    store = KeyStore(database_url, schema)
    try:
        assert store.authenticate(key) is None
    finally:
        store.close()
    listed = ledger(env, "keys", "list", "--account", "acme").stdout
    assert "revoked" in listed
    assert key not in listed


def test_a_bad_role_is_refused(env):
    result = ledger(env, "keys", "create", "--account", "acme", "--role", "root")
    assert result.returncode != 0
    assert "root" in result.stderr


def test_audit_verify_from_the_shell(env, pg_ledger, database_url, schema):
    pg_ledger.create_order("acme", "A1", "EUR", [item(1, 100)])
    pg_ledger.authorize("acme", "A1", "P", [Allocation(1, 100)])
    good = ledger(env, "audit", "verify")
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("all 1 orders verified (3 events)")
    assert "this run read 3 events" in good.stdout
    rerun = ledger(env, "audit", "verify")
    assert rerun.returncode == 0, rerun.stderr
    assert "all 1 orders verified (3 events)\nthis run read 0 events" in rerun.stdout
    full = ledger(env, "audit", "verify", "--full")
    assert "this run read 3 events" in full.stdout
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            sql.SQL(
                "DELETE FROM {} WHERE originator_id = %s AND originator_version = 2"
            ).format(sql.Identifier(schema, "ledger_events")),
            (order_uuid("acme", "A1"),),
        )
    bad = ledger(env, "audit", "verify", "--account", "acme")
    assert bad.returncode == 1
    assert bad.stdout.startswith("A1\tversion 3\t")
    single = ledger(env, "audit", "verify", "--account", "acme", "--order", "A1")
    assert single.returncode == 1


def test_keys_create_json_is_a_key_and_client_credentials(env, database_url, schema):
    created = ledger(
        env, "keys", "create", "--account", "acme", "--role", "writer", "--json"
    )
    assert created.returncode == 0, created.stderr
    credential = json.loads(created.stdout)
    assert set(credential) == {"key", "client_id", "client_secret"}
    assert credential["key"] == (
        f"{credential['client_id']}_{credential['client_secret']}"
    )
    store = KeyStore(database_url, schema)
    try:
        principal = store.authenticate(credential["key"])
        assert principal is not None
        assert principal.account == "acme"
    finally:
        store.close()
