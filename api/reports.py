"""Report renderings shared by the API and the command line."""

from __future__ import annotations

import csv
import io
from typing import Any

from projections.queries import SETTLEMENT_COLUMNS
from projections.spreadsheet import safe_cell


def settlement_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SETTLEMENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {key: safe_cell(value) for key, value in row.items()} for row in rows
    )
    return out.getvalue()
