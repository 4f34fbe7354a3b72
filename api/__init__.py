"""Entry points: the FastAPI app, settings, and the ``ledger`` command line."""
