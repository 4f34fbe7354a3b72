"""CSV cells a spreadsheet will not run (SPEC §12).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read as a formula by Excel, LibreOffice and Google Sheets; a
``payment_id`` such as ``=HYPERLINK(…)`` would run on a finance desk. Such
cells get a leading apostrophe (OWASP's CSV injection advice). Numbers are
written as they are, so negative amounts stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in values]
