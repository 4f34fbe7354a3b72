"""Write side of the order ledger: money, the Order aggregate, its rules.

Imports the standard library and ``eventsourcing`` only; no HTTP, SQL or pydantic.
"""
