"""The event store: a recorder for the ledger's events table."""
