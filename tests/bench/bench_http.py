"""The ledger over HTTP against the stack's own ceiling, driven by wrk.

Run with ``make bench`` (needs ``wrk``: ``apt-get install wrk``). Both servers
run with the same uvicorn worker count; wrk uses 32 connections.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from api.database import open_ledger
from api.keys import KeyStore, Role
from api.settings import Settings
from domain.values import Allocation
from tests.bench.bench_commands import bench_database
from tests.builders import item

CONNECTIONS, SECONDS, WORKERS = 32, 10, os.cpu_count() or 1
LEDGER = str(Path(sys.executable).with_name("ledger"))
UVICORN = str(Path(sys.executable).with_name("uvicorn"))

# Each wrk thread numbers its own requests; ids must differ across threads.
LUA_PER_THREAD = """
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
local n = 0
"""

AUTHORIZE_LUA = (
    LUA_PER_THREAD
    + """request = function()
  n = n + 1
  local id = tostring(tid) .. "x" .. tostring(os.time())
  local body = string.format([[{"payment":{"type":"Invoice"},"order":{"number":"B%s-%d","currency":"EUR",
  "totalGrossAmount":285,"totalNetAmount":239.41,"items":[
  {"productId":"A","description":"a","grossUnitPrice":100,"netUnitPrice":84,"quantity":2,"vatPercent":19,"vatAmount":16},
  {"productId":"B","description":"b","grossUnitPrice":10,"netUnitPrice":8.4,"quantity":5,"vatPercent":19,"vatAmount":1.6},
  {"productId":"C","description":"c","grossUnitPrice":30,"netUnitPrice":25.21,"quantity":1,"vatPercent":19,"vatAmount":4.79},
  {"productId":"D","description":"d","grossUnitPrice":5,"netUnitPrice":4.2,"quantity":1,"vatPercent":19,"vatAmount":0.8}]}}]], id, n)
  return wrk.format("POST", "/api/v3/checkout/authorize", nil, body)
end
"""
)

CAPTURE_LUA = (
    LUA_PER_THREAD
    + """request = function()
  n = n + 1
  local id = tostring(tid) .. "x" .. tostring(os.time())
  local order = (n * 7 + tid) % 64
  wrk.headers["Idempotency-Key"] = id .. "-" .. n
  local body = '{"items":[{"line_id":1,"amount":1}],"payment_details":{"payment_id":"P"}}'
  return wrk.format("POST", "/v1/accounts/bench/shopping/orders/H" .. order .. "/captures", nil, body)
end
"""
)

CEILING_LUA = """
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/ceiling", nil, '{"ref":"r' .. n .. '","amount":1}')
end
"""


def wrk(url: str, script: str, headers: dict[str, str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    args = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(CONNECTIONS),
        "-d",
        f"{SECONDS}s",
        "--latency",
        "-s",
        lua.name,
    ]
    for name, value in {"Content-Type": "application/json", **headers}.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": ms("50"),
        "p99": ms("99"),
        "requests": done,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


@contextmanager
def served(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


def lag_sampler(base: str, stop: threading.Event, samples: list[float]) -> None:
    while not stop.wait(0.1):
        ready = httpx.get(f"{base}/health/ready", timeout=5).json()
        samples.append(max(p["seconds_behind"] for p in ready["projections"].values()))


def line(name: str, figures: dict[str, float], ceiling: float | None) -> str:
    ratio = f"  ratio {figures['rps'] / ceiling:.2f}" if ceiling else ""
    return (
        f"{name:28s} {figures['rps']:7.0f} req/s  p50 {figures['p50']:7.2f} ms  "
        f"p99 {figures['p99']:7.2f} ms  non-2xx {figures['non2xx']:.0f}  "
        f"socket errors {figures['socket_errors']:.0f}{ratio}"
    )


def main() -> None:
    if shutil.which("wrk") is None:
        print("wrk not installed (apt-get install wrk): HTTP benchmarks skipped")
        return
    with bench_database() as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LEDGER_DB_SCHEMA": "bench",
            "LEDGER_RATE_LIMIT": "1000000",
            "LEDGER_RATE_BURST": "1000000",
        }
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE bench_ceiling (id bigserial PRIMARY KEY, ref text, amount bigint)"
            )
        with served(
            [
                UVICORN,
                "--factory",
                "tests.bench.ceiling_app:create",
                "--port",
                "8781",
                "--workers",
                str(WORKERS),
                "--log-level",
                "warning",
            ],
            env,
            8781,
        ) as base:
            ceiling = wrk(base, CEILING_LUA, {})
        print(f"{WORKERS} worker(s), {CONNECTIONS} connections, {SECONDS} s each")
        print(line("ceiling (validate + INSERT)", ceiling, None), flush=True)

        settings = Settings(database_url=url, db_schema="bench")
        ledger = open_ledger(settings, url)
        for n in range(64):
            ledger.create_order("bench", f"H{n}", "EUR", [item(1, 10_000_000)])
            ledger.authorize("bench", f"H{n}", "P", [Allocation(1, 10_000_000)])
        keys = KeyStore(url, "bench")
        _, key = keys.create("bench", Role.WRITER)
        keys.close()
        auth = {"Authorization": f"Bearer {key}"}
        with served(
            [LEDGER, "serve", "--port", "8782", "--workers", str(WORKERS)], env, 8782
        ) as base:
            stop, lags = threading.Event(), []
            sampler = threading.Thread(target=lag_sampler, args=(base, stop, lags))
            sampler.start()
            authorize = wrk(base, AUTHORIZE_LUA, auth)
            capture = wrk(base, CAPTURE_LUA, auth)
            stop.set()
            sampler.join()
        print(line("ledger: Riverty authorize", authorize, ceiling["rps"]))
        print(line("ledger: capture on 64 orders", capture, ceiling["rps"]))
        captured = sum(
            ledger.get_order("bench", f"H{n}").totals().captured for n in range(64)
        )
        acknowledged = capture["requests"] - capture["non2xx"]
        in_flight = captured - acknowledged
        print(
            f"captured {captured} minor units for {acknowledged:.0f} counted 2xx captures;"
            f" {in_flight:.0f} more were in flight when wrk stopped counting"
            f" (≤ {CONNECTIONS} connections: {'ok' if 0 <= in_flight <= CONNECTIONS else 'WRONG'})"
        )
        if lags:
            lags.sort()
            print(
                f"projection lag under load: p50 {lags[len(lags) // 2] * 1000:.0f} ms"
                f"  p99 {lags[int(len(lags) * 0.99)] * 1000:.0f} ms ({len(lags)} samples)"
            )
        ledger.close()


if __name__ == "__main__":
    main()
