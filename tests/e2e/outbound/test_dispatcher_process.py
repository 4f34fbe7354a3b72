"""``ledger webhooks`` from the shell, and a dispatcher killed mid-delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from domain.values import Allocation
from tests.builders import item
from tests.e2e.conftest import LEDGER, ledger
from tests.e2e.outbound.receiver import Received, receiving
from tests.e2e.outbound.test_webhooks import assert_in_order_per_order, first_arrivals
from tests.e2e.test_serve import free_port, wait_until_live


def webhook_env(env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "LEDGER_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "LEDGER_WEBHOOK_RETRY_SCHEDULE": "0.2,0.2,0.2,0.2,0.2",
        "LEDGER_WEBHOOK_TIMEOUT": "1",
    }


def dispatcher(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603
            [LEDGER, "webhooks", "run"], env=env, stdout=output, stderr=output
        )


def test_the_commands_manage_an_endpoint(env, pg_ledger):  # noqa: ARG001 - the schema
    env = webhook_env(env)
    url = "http://127.0.0.1:9/hook"
    made = ledger(env, "webhooks", "create", "--account", "acct",
                  "--url", url, "--events", "Captured")  # fmt: skip
    assert made.returncode == 0, made.stderr
    endpoint = json.loads(made.stdout)
    assert endpoint["secret"].startswith("whsec_")
    listed = ledger(env, "webhooks", "list", "--account", "acct")
    assert f"{endpoint['id']}\ton\tCaptured\t{url}" in listed.stdout
    rotated = ledger(env, "webhooks", "rotate", "--account", "acct", endpoint["id"])
    assert rotated.stdout.strip().startswith("whsec_")
    assert rotated.stdout.strip() != endpoint["secret"]
    ledger(env, "webhooks", "disable", "--account", "acct", endpoint["id"])
    assert (
        "disabled (disabled by a key)"
        in ledger(env, "webhooks", "list", "--account", "acct").stdout
    )
    refused = ledger(env, "webhooks", "create", "--account", "acct",
                     "--url", "http://10.1.2.3/hook")  # fmt: skip
    assert refused.returncode == 2
    assert "private or local" in refused.stderr
    assert (
        ledger(
            env, "webhooks", "delete", "--account", "acct", endpoint["id"]
        ).returncode
        == 0
    )
    assert ledger(env, "webhooks", "list", "--account", "acct").stdout == ""


def test_a_killed_dispatcher_loses_nothing_and_resends_under_the_same_ids(
    env, pg_ledger, tmp_path
):
    env = webhook_env(env)
    holding = threading.Event()
    release = threading.Event()

    def answer(n: int, _r: Received) -> int:
        if n == 3:  # the fourth request is held while the dispatcher dies
            holding.set()
            release.wait(timeout=60)
        return 200

    with receiving(answer) as receiver:
        made = ledger(env, "webhooks", "create", "--account", "acct",
                      "--url", receiver.url)  # fmt: skip
        secret = json.loads(made.stdout)["secret"]
        for n in range(5):
            pg_ledger.create_order("acct", f"K{n}", "EUR", [item(1, 1_000)])
            pg_ledger.authorize("acct", f"K{n}", "P", [Allocation(1, 1_000)])
            pg_ledger.capture("acct", f"K{n}", "P", [Allocation(1, 400)])
        log = tmp_path / "dispatcher.log"
        first = dispatcher(env, log)
        try:
            assert holding.wait(timeout=60), log.read_text()
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            release.set()
        second = dispatcher(env, log)
        try:
            expected = 5 * 4  # Opened, ItemAdded, Authorized, Captured per order
            got = receiver.wait_for(
                lambda r: len({x.message_id for x in r}) >= expected, timeout=60
            )
        finally:
            second.terminate()
            second.wait(timeout=30)
    ids = [r.message_id for r in receiver.requests]
    assert len(set(ids)) == expected  # nothing lost; a resend repeats an id
    assert len(ids) > expected  # the held one (at least) came again
    for request in got:
        request.verified(secret)
    assert_in_order_per_order(first_arrivals(got))


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for a parent that does not reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_killed_serve_does_not_leave_its_dispatcher_behind(
    database_url: str, schema: str, tmp_path: Path
):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LEDGER_DB_SCHEMA": schema}
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        serve = subprocess.Popen(  # noqa: S603
            [LEDGER, "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_live(f"http://127.0.0.1:{port}", serve, log)
        [child] = [
            pid
            for pid in _children(serve.pid)
            if b"webhooks\0run" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
    finally:
        serve.kill()
        serve.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _running(child):  # it polls for its parent each second
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    assert "the serving process is gone: stopping" in log.read_text()
