"""The README's walk-through, run as written against a running server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from api.keys import Role

README = Path(__file__).parents[2] / "README.md"
DOCUMENTED_BASE = "http://127.0.0.1:8000"


def shell_blocks_with_curl(text: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    return [block for block in blocks if "curl " in block]


def test_the_readme_has_a_runnable_walk_through():
    blocks = shell_blocks_with_curl(README.read_text())
    assert blocks, "no curl example in the README"
    for block in blocks:
        for line in block.splitlines():
            if " -d " in line:  # a body needs its JSON content type
                assert "Content-Type: application/json" in line, line


def run_block(api, block: str, **keys: str) -> str:
    """A README shell block, run as written against the test server."""
    if not (shutil.which("curl") and shutil.which("jq")):
        pytest.fail("the README's walk-through needs curl and jq on this machine")
    ran = subprocess.run(  # noqa: S603
        [
            "/bin/bash",
            "-euo",
            "pipefail",
            "-c",
            block.replace(DOCUMENTED_BASE, api.base),
        ],
        env={**keys, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def json_documents(text: str) -> list[object]:
    decoder = json.JSONDecoder()
    documents, text = [], text.strip()
    while text:
        document, end = decoder.raw_decode(text)
        documents.append(document)
        text = text[end:].strip()
    return documents


def test_the_settlements_walk_through_runs_as_written(api):
    _, finance_key = api.app.state.keys.create("demo", Role.FINANCE)
    block = next(
        b
        for b in shell_blocks_with_curl(README.read_text())
        if "settlements/imports" in b
    )
    lines = run_block(api, block, FINANCE_KEY=finance_key).splitlines()
    batch, run, resolved = json_documents("\n".join(lines[:3]))
    payouts_csv = "\n".join(lines[3:])
    assert batch == {"batch_id": "7", "payout_amount": 1450, "proof_status": "balanced"}
    assert run["statuses"]["provider_initiated"] == 1
    assert resolved == {"status": "resolved", "category": "provider_initiated"}
    assert "provider,batch_id,currency,payout_date,payout_amount" in payouts_csv
    fees = "transaction fees (inline)=-50"
    assert f"adyen,7,EUR,2026-11-03,1450,1500,-50,{fees},1450,True,0.0,1" in payouts_csv


def test_the_walk_through_runs_as_written(api):
    _, writer_key = api.app.state.keys.create("demo", Role.WRITER)
    walk_through = next(b for b in shell_blocks_with_curl(README.read_text()))
    documents = json_documents(run_block(api, walk_through, WRITER_KEY=writer_key))
    totals, *events = documents
    assert totals["authorized"] == totals["captured"] == 39800
    assert totals["refundable"] == 39800
    assert [e["type"] for e in events][:2] == ["Opened", "ItemAdded"]
    assert [e["type"] for e in events][-2:] == ["Authorized", "Captured"]
