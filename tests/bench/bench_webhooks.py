"""Writes with webhooks on: hot-order captures over HTTP, with no endpoint and
with 10 endpoints (nine receivers on loopback, one dead), in one run.

``python -m tests.bench.bench_webhooks`` (also part of ``make bench``). The
baseline (no endpoint) runs before and after the endpoints' run, so a drift of
the machine shows. The receivers run in this process, on the same two cores:
what they cost is part of what the figure says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from typing import Any

import httpx

from api.keys import KeyStore, Role
from tests.bench.bench_commands import bench_database
from tests.bench.bench_http import CAPTURE_LUA, LEDGER, prepare_ledger, served, wrk
from tests.bench.report import Report, Section
from tests.e2e.outbound.receiver import Receiver
from tests.e2e.test_serve import free_port

SECONDS = 10


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "LEDGER_DB_SCHEMA": "bench",
        "LEDGER_RATE_LIMIT": "1000000",
        "LEDGER_RATE_BURST": "1000000",
        "LEDGER_BUSY_TIMEOUT": "10",
        "LEDGER_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "LEDGER_WEBHOOK_TIMEOUT": "2",
    }


def _captures(base: str, auth: dict[str, str]) -> dict[str, Any]:
    return wrk(base, CAPTURE_LUA, auth, seconds=SECONDS)


def _register(base: str, admin: dict[str, str], urls: list[str]) -> None:
    for target in urls:
        httpx.post(
            f"{base}/v1/accounts/bench/webhooks",
            json={"url": target, "events": ["*"]},
            headers=admin,
        ).raise_for_status()


def measure(url: str, report: Report | None) -> None:
    env = _env(url)
    writer = {"Authorization": f"Bearer {prepare_ledger(url)}"}
    keys = KeyStore(url, "bench")
    admin = {"Authorization": f"Bearer {keys.create('bench', Role.ADMIN)[1]}"}
    keys.close()
    port = free_port()
    command = [LEDGER, "serve", "--port", str(port), "--workers", "2"]
    receivers = [Receiver() for _ in range(9)]
    try:
        with served(command, env, port) as (base, _):
            before = _captures(base, writer)
            print(f"no endpoint:       {before['rps']:.0f} captures/s", flush=True)
            dead = f"http://127.0.0.1:{free_port()}/hook"
            _register(base, admin, [dead])
            dead_only = _captures(base, writer)
            print(f"one dead endpoint: {dead_only['rps']:.0f} captures/s", flush=True)
            _register(base, admin, [r.url for r in receivers])
            started = time.monotonic()
            with_hooks = _captures(base, writer)
            delivered = sum(len(r.accepted) for r in receivers)
            print(
                f"10 endpoints:      {with_hooks['rps']:.0f} captures/s "
                f"({delivered} deliveries in {time.monotonic() - started:.0f} s)",
                flush=True,
            )
            status = httpx.get(f"{base}/health/ready").json()["webhooks"]
            for hook in httpx.get(
                f"{base}/v1/accounts/bench/webhooks", headers=admin
            ).json()["webhooks"]:
                httpx.delete(
                    f"{base}/v1/accounts/bench/webhooks/{hook['id']}", headers=admin
                )
            after = _captures(base, writer)
            print(f"no endpoint again: {after['rps']:.0f} captures/s", flush=True)
    finally:
        for receiver in receivers:
            receiver.close()
    baseline = max(before["rps"], after["rps"])
    ratio = with_hooks["rps"] / baseline
    print(f"with 10 endpoints (one dead): {ratio:.2f} x the baseline's writes")
    print(f"with one dead endpoint: {dead_only['rps'] / baseline:.2f} x")
    if report is not None:
        section = Section(
            "Writes with webhooks",
            "Hot-order captures over HTTP (wrk, 32 connections, 10 s each) on "
            "`ledger serve --workers 2` (its dispatcher a process of its own), "
            "with no webhook endpoint, one dead endpoint (an address where nothing "
            "listens), 10 (that one and nine receivers on loopback in the bench "
            "process, on the same two cores), then none again. The baseline is "
            "the better of the two runs without.",
            ["run", "captures/s", "p99 ms", "x baseline"],
        )
        for name, run in (("no endpoint", before), ("one dead endpoint", dead_only),
                          ("10 endpoints, one dead", with_hooks),
                          ("no endpoint again", after)):  # fmt: skip
            section.row(name, f"{run['rps']:.0f}", f"{run['p99']:.1f}",
                        f"{run['rps'] / baseline:.2f}")  # fmt: skip
        section.notes.append(
            f"Deliveries during the 10-endpoint run: {delivered} accepted; "
            f"pending at its end {status['pending']}, oldest undelivered "
            f"{status['oldest_undelivered_seconds']:.0f} s (the dead endpoint's)."
        )
        report.add(section)


def main(report: Report | None = None) -> None:
    if shutil.which("wrk") is None:
        print("wrk not installed (apt-get install wrk): webhook benchmark skipped")
        return
    with bench_database() as url:
        subprocess.run([LEDGER, "--help"], capture_output=True, check=True)
        measure(url, report)


if __name__ == "__main__":
    main()
