"""Settlements and reconciliation (SPEC §13): what the PSPs actually paid out.

``formats/`` reads each provider's published report into one model
(``model.py``), in signed minor units with the direction taken from the row
type; ``store.py`` keeps imports, batches and lines append-only with their
raw rows; ``matching.py`` pairs lines with the ledger's captures and refunds;
``runs.py`` stores each run and keeps the exception queue (``exceptions.py``);
``reports.py`` answers per payout and per period; ``service.py`` is the one
service the API, the command line and the console call.
"""
