"""A report's CSV rows by header name: columns move and new ones appear."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from settlements.model import SettlementFileError

DELIMITERS = (",", ";", "\t")


@cache
def _folded(column: str) -> str:
    return column.casefold()


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(_folded(column), "")

    def need(self, column: str) -> str:
        value = self.get(column)
        if not value:
            raise SettlementFileError(self.line, column, "is empty")
        return value

    def raw(self) -> dict[str, str]:
        return {name: value for name, value in self.cells.items() if value}


def delimiter_of(first_line: str) -> str:
    """The delimiter the header line uses most (Klarna's may be ``;``)."""
    return max(DELIMITERS, key=first_line.count)


def rows(text: str, required: Sequence[str]) -> Iterator[Row]:
    """Each data row, keyed by its column's name (case-insensitive)."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise SettlementFileError(1, None, "the file is empty")
    reader = csv.reader(lines, delimiter=delimiter_of(lines[0]), strict=True)
    try:
        header = [name.strip().casefold() for name in next(reader)]
        _check_header(header, required)
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                raise SettlementFileError(
                    number, None, f"{len(cells)} cells under {len(header)} columns"
                )
            yield Row(number, dict(zip(header, map(str.strip, cells), strict=False)))
    except csv.Error as error:
        raise SettlementFileError(reader.line_num, None, f"not CSV: {error}") from None


def _check_header(header: list[str], required: Sequence[str]) -> None:
    duplicated = sorted({name for name in header if header.count(name) > 1 and name})
    if duplicated:
        raise SettlementFileError(1, duplicated[0], "the column appears twice")
    missing = [name for name in required if name.casefold() not in header]
    if missing:
        raise SettlementFileError(1, missing[0], "a required column is missing")
