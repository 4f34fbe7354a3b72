"""Each provider's report into the one model: by the provider named, or by its shape."""

from __future__ import annotations

import json
from typing import Any

from settlements.formats import adyen, dintero, generic, klarna, mapped, riverty, stripe
from settlements.mapping import ColumnMapping
from settlements.model import PROVIDERS, ParsedFile, SettlementFileError


def read(
    content: bytes, provider: str | None = None, mapping: ColumnMapping | None = None
) -> ParsedFile:
    """The file's batches; a SettlementFileError names the line and the column."""
    if provider is not None and provider not in PROVIDERS:
        raise SettlementFileError(0, None, f"provider must be one of {PROVIDERS}")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise SettlementFileError(line, None, "the file is not UTF-8") from None
    if "\x00" in text:
        raise SettlementFileError(
            text[: text.index("\x00")].count("\n") + 1, None, "NUL"
        )
    if text.lstrip("\ufeff").lstrip().startswith(("{", "[")):
        return _read_json(text, provider)
    return _read_csv(text, provider, mapping)


def _read_csv(
    text: str, provider: str | None, mapping: ColumnMapping | None
) -> ParsedFile:
    if provider == "riverty" or (provider is None and riverty.looks_like(text)):
        return riverty.parse(text, mapping)
    if mapping is not None:
        return mapped.parse_csv(text, mapping, provider or "generic")
    readers = (
        ("adyen", adyen.looks_like, adyen.parse),
        ("klarna", klarna.looks_like, klarna.parse_csv),
        ("stripe", stripe.looks_like, stripe.parse),
        ("generic", generic.looks_like, generic.parse),
    )
    for name, looks_like, parse in readers:
        if provider == name or (provider is None and looks_like(text)):
            return parse(text)
    if provider == "dintero":
        msg = "Dintero's CSV report is read through a column mapping; none is set"
        raise SettlementFileError(1, None, msg)
    msg = "not a report this ledger recognises: name the provider"
    raise SettlementFileError(1, None, msg)


def _read_json(text: str, provider: str | None) -> ParsedFile:
    try:
        document: Any = json.loads(text)
    except RecursionError:
        raise SettlementFileError(1, None, "the JSON nests too deep") from None
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        raise SettlementFileError(line, None, f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise SettlementFileError(1, None, "a JSON report is an object")
    try:  # an escaped lone surrogate or NUL would not fit a text column
        stored = json.dumps(document, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise SettlementFileError(1, None, "a string is not Unicode text") from None
    if b"\\u0000" in stored:
        raise SettlementFileError(1, None, "a string holds NUL")
    if provider in (None, "dintero") and dintero.looks_like_settlements(document):
        return dintero.parse_settlements(document)
    if provider in (None, "dintero") and dintero.looks_like_events(document):
        return dintero.parse_events(document)
    if provider in (None, "klarna") and _klarna_shaped(document):
        return klarna.parse_json(document)
    msg = "not a JSON report this ledger recognises"
    raise SettlementFileError(1, None, msg)


def _klarna_shaped(document: dict[str, Any]) -> bool:
    return "totals" in document or any(
        isinstance(document.get(key), list) for key in ("payouts", "transactions")
    )
