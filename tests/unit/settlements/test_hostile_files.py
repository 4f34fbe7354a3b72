"""Whatever a file holds, the readers answer with batches or a refusal naming where."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from settlements.formats import read
from settlements.model import PROVIDERS, SettlementFileError
from tests.settlement_files import ADYEN_COLUMNS, KLARNA_COLUMNS, STRIPE_COLUMNS, table

cells = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | cells,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(cells, inner, max_size=4)
    ),
    max_leaves=20,
)


def refused_or_read(content: bytes, provider: str | None = None) -> None:
    try:
        parsed = read(content, provider)
    except SettlementFileError as error:
        line = error.line
    else:
        line = 0
        for batch in parsed.batches:
            for line in batch.lines:
                assert isinstance(line.net, int)
                assert abs(line.net) < 2**63
    assert line >= 0


@given(st.binary(max_size=300), st.sampled_from([None, *PROVIDERS]))
def test_any_bytes(content, provider):
    refused_or_read(content, provider)


@given(
    st.sampled_from([ADYEN_COLUMNS, KLARNA_COLUMNS, STRIPE_COLUMNS]),
    st.lists(st.lists(cells, min_size=1, max_size=30), max_size=4),
)
def test_any_cells_under_a_real_header(columns, rows):
    text = table(columns, (dict(zip(columns, row, strict=False)) for row in rows))
    refused_or_read(text.encode())


@given(
    st.sampled_from(["items", "transactions", "payouts", "totals"]),
    json_values,
)
def test_any_json_in_a_known_shape(key, value):
    refused_or_read(json.dumps({key: value, "payment_reference": "X"}).encode())
    refused_or_read(json.dumps({key: [value]}).encode())


@given(json_values, json_values)
def test_any_json_inside_each_providers_objects(first, second):
    for document in (
        {"items": [{"id": first, "amounts": second}]},
        {"items": [{"id": "s1", "amounts": [{"currency": first, "amount": second}]}]},
        {"transactions": [{"id": first, "settlements": second}]},
        {"transactions": [{"settlements": {"events": [first, second]}}]},
        {"totals": first, "payment_reference": second, "currency_code": "SEK"},
        {"payouts": [first], "transactions": [second]},
    ):
        refused_or_read(json.dumps(document).encode())


def test_values_that_would_not_fit_a_column_are_refused():
    sale = {
        "type": "SALE",
        "amount": 5,
        "currency_code": "SEK",
        "payment_reference": "x",
    }
    for hostile in (
        {**sale, "merchant_reference1": "\ud800"},  # a lone surrogate, escaped
        {**sale, "payment_reference": "x\u0000"},
        {**sale, "amount": 10**13},  # sums of many must still fit a bigint
    ):
        try:
            read(json.dumps({"transactions": [hostile]}).encode())
        except SettlementFileError:
            continue
        raise AssertionError(hostile)


def test_an_epa_file_with_a_quote_left_open_is_refused():
    refused_or_read(b'H,"1', "riverty")
    refused_or_read(b'H,1,2,3,4,5,6,7,8,9\nD,"x', "riverty")
