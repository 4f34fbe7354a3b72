"""Outbound events (SPEC §14): an account's event feed and signed webhooks.

``follower.py`` follows the ledger's notification log like a read model and
writes each order event once, as the feed and the webhooks show it
(``events.py``), with a delivery per subscribed endpoint; ``feed.py`` pages
through an account's events; ``endpoints.py`` keeps the webhook endpoints and
their secrets; ``targets.py`` refuses targets a server should not call;
``sender.py`` delivers, signs (Standard Webhooks), retries and logs;
``service.py`` runs both loops.
"""
