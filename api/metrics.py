"""Prometheus metrics: HTTP traffic, commands, rejections, events, lag, pool."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class LedgerMetrics:
    """One registry per app, so several apps (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ledger_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ledger_http_request_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.commands = Counter(
            "ledger_commands",
            "Commands by type and outcome (ok, replayed, or the rejection's code)",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.events = Counter(
            "ledger_events_appended",
            "Events appended to the store",
            registry=self.registry,
        )

    def observe_command(self, command: str, outcome: str, events: int) -> None:
        self.commands.labels(command, outcome).inc()
        if events:
            self.events.inc(events)

    def watch(self, collect: Callable[[], Iterator[GaugeMetricFamily]]) -> None:
        """Gauges read at scrape time (projection lag, pool usage)."""
        self.registry.register(_Gauges(collect))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Gauges(Collector):
    def __init__(self, collect: Callable[[], Iterator[GaugeMetricFamily]]) -> None:
        self._collect = collect

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._collect()


def app_gauges(state: Any) -> Iterator[GaugeMetricFamily]:  # noqa: ANN401 - app.state
    lag_events = GaugeMetricFamily(
        "ledger_projection_lag_events",
        "Events not yet projected",
        labels=["projection"],
    )
    lag_seconds = GaugeMetricFamily(
        "ledger_projection_lag_seconds",
        "Age of the oldest event not yet projected",
        labels=["projection"],
    )
    set_aside = GaugeMetricFamily(
        "ledger_projection_dead_letters",
        "Events a read model could not project and set aside",
        labels=["projection"],
    )
    projections = getattr(state, "projections", None)
    if projections is not None:
        for name, lag in projections.lag().items():
            lag_events.add_metric([name], lag.events_behind)
            lag_seconds.add_metric([name], lag.seconds_behind)
            set_aside.add_metric([name], lag.set_aside)
    yield lag_events
    yield lag_seconds
    yield set_aside
    pool = GaugeMetricFamily(
        "ledger_db_pool", "Event store connection pool", labels=["stat"]
    )
    ledger = getattr(state, "ledger", None)
    if ledger is not None:
        stats = ledger.recorder.datastore.pool.get_stats()
        for stat in ("pool_size", "pool_available", "requests_waiting"):
            pool.add_metric([stat], stats.get(stat, 0))
    yield pool
    yield from _webhook_gauges(getattr(state, "outbound", None))


def _webhook_gauges(outbound: Any) -> Iterator[GaugeMetricFamily]:  # noqa: ANN401
    """Deliveries waiting and failed, and the age of the oldest undelivered."""
    gauge = GaugeMetricFamily(
        "ledger_webhook_deliveries", "Webhook deliveries by state", labels=["state"]
    )
    oldest = GaugeMetricFamily(
        "ledger_webhook_oldest_undelivered_seconds",
        "Age of the oldest event a webhook endpoint is still waiting for",
    )
    if outbound is not None:
        status = outbound.status()
        gauge.add_metric(["pending"], status.pending)
        gauge.add_metric(["failed"], status.failed)
        oldest.add_metric([], status.oldest_undelivered_seconds)
    yield gauge
    yield oldest


class MetricsMiddleware:
    """Counts and times every request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: LedgerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(
                time.perf_counter() - start
            )
