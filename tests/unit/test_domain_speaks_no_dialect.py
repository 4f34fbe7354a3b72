"""The model is the ledger's own: a new PSP dialect is a package under api/."""

from __future__ import annotations

import re
from pathlib import Path

import domain

DIALECTS = re.compile(r"riverty|dintero|klarna|woocommerce|oxid", re.IGNORECASE)


def test_no_module_of_the_domain_names_a_psp_dialect():
    root = Path(domain.__file__).parent
    named = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DIALECTS.search(line)
    ]
    assert named == []
