"""Read side: PostgreSQL read models of the ledger's events (SPEC §10)."""
