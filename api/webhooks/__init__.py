"""SPEC §14 over HTTP: the account's event feed and its webhook endpoints."""
