"""What every format's parser shares: its batches, in the order the file names them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.bounds import check_path_id
from domain.errors import LedgerError
from settlements.model import ParsedFile, SettlementBatch, SettlementFileError
from settlements.table import Row, rows


class Batches:
    def __init__(self, provider: str) -> None:
        self.provider = provider
        self._batches: dict[str, SettlementBatch] = {}

    def get(self, batch_id: str, currency: str, line: int) -> SettlementBatch:
        batch = self._batches.get(batch_id)
        if batch is None:
            try:
                check_path_id(batch_id, "batch id")
            except LedgerError as error:
                raise SettlementFileError(line, None, str(error)) from None
            batch = self._batches[batch_id] = SettlementBatch(
                self.provider, batch_id, currency
            )
        elif batch.currency != currency:
            raise SettlementFileError(
                line,
                None,
                f"batch {batch_id} is settled in {batch.currency}, not {currency}",
            )
        return batch

    def parsed(self, rows: int) -> ParsedFile:
        if not self._batches:
            raise SettlementFileError(1, None, "the file holds no settlement rows")
        return ParsedFile(self.provider, list(self._batches.values()), rows)


def parse_rows(
    provider: str,
    text: str,
    required: Sequence[str],
    add: Callable[[Batches, Row], None],
) -> ParsedFile:
    """A CSV report read by header name, each row added to its batch by ``add``."""
    batches = Batches(provider)
    count = 0
    for row in rows(text, required):
        count += 1
        add(batches, row)
    return batches.parsed(count)
