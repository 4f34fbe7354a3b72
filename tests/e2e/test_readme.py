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


def test_the_walk_through_runs_as_written(api):
    if not (shutil.which("curl") and shutil.which("jq")):
        pytest.fail("the README's walk-through needs curl and jq on this machine")
    _, writer_key = api.app.state.keys.create("demo", Role.WRITER)
    [block] = shell_blocks_with_curl(README.read_text())
    script = block.replace(DOCUMENTED_BASE, api.base)
    ran = subprocess.run(  # noqa: S603
        ["/bin/bash", "-euo", "pipefail", "-c", script],
        env={"WRITER_KEY": writer_key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    decoder = json.JSONDecoder()
    documents, text = [], ran.stdout.strip()
    while text:
        document, end = decoder.raw_decode(text)
        documents.append(document)
        text = text[end:].strip()
    totals, *events = documents
    assert totals["authorized"] == totals["captured"] == 39800
    assert totals["refundable"] == 39800
    assert [e["type"] for e in events][:2] == ["Opened", "ItemAdded"]
    assert [e["type"] for e in events][-2:] == ["Authorized", "Captured"]
