"""Each provider's report into signed minor units, by header name, or refused whole."""

from __future__ import annotations

import json

import pytest

from settlements.formats import read
from settlements.mapping import MappingError, load
from settlements.model import OUTSIDE_THE_SUM, SettlementFileError, batch_proof
from tests.settlement_files import (
    ADYEN_COLUMNS,
    KLARNA_COLUMNS,
    STRIPE_COLUMNS,
    adyen_row,
    adyen_settled,
    dintero_events,
    dintero_settlement,
    dintero_settlements,
    klarna_row,
    riverty_epa,
    stripe_row,
    table,
)


def proof(batch, tolerance=0):
    net = sum(x.net for x in batch.lines if x.line_type not in OUTSIDE_THE_SUM)
    return batch_proof(
        net, batch.carry_in, batch.carry_out, batch.payout_amount, tolerance
    )


def adyen_batch_rows():
    return [
        adyen_settled("O-1", "O-1-C1", "129.80", "0.91"),
        adyen_settled("O-2", "O-2-C1", "59.90", "0.42"),
        adyen_settled("O-2", "O-2-C2", "40.00", "0.28"),
        adyen_row(
            "Settled",
            **{
                "Merchant Reference": "O-4",
                "Modification Merchant Reference": "O-4-C1",
                "Gross Currency": "USD",
                "Gross Credit (GC)": "50.00",
                "Exchange Rate": "0.92",
                "Net Credit (NC)": "45.68",
                "Markup (NC)": "0.32",
            },
        ),
        adyen_row(
            "Refunded",
            **{
                "Merchant Reference": "O-1",
                "Modification Merchant Reference": "O-1-R1",
                "Gross Debit (GC)": "49.90",
                "Net Debit (NC)": "49.90",
            },
        ),
        adyen_row(
            "Chargeback",
            **{
                "Merchant Reference": "O-9",
                "Gross Debit (GC)": "89.00",
                "Commission (NC)": "7.50",
                "Net Debit (NC)": "96.50",
            },
        ),
        adyen_row(
            "ChargebackReversed",
            **{
                "Merchant Reference": "O-8",
                "Gross Credit (GC)": "35.00",
                "Net Credit (NC)": "35.00",
            },
        ),
        adyen_row(
            "Fee",
            **{"Modification Reference": "Transaction Fees", "Net Debit (NC)": "0.12"},
        ),
        adyen_row(
            "MerchantPayout",
            **{
                "Modification Reference": "TX1XT batch 7, TestShopECOM",
                "Net Debit (NC)": "162.25",
            },
        ),
    ]


class TestAdyen:
    def test_a_batch_in_signed_minor_units_is_proven(self):
        parsed = read(table(ADYEN_COLUMNS, adyen_batch_rows()).encode())
        (batch,) = parsed.batches
        assert (parsed.provider, batch.batch_id, batch.currency) == (
            "adyen",
            "7",
            "EUR",
        )
        assert batch.payout_amount == 16225
        assert proof(batch)["status"] == "balanced"
        kinds = [(x.line_type, x.gross, x.fee, x.net) for x in batch.lines]
        assert kinds[0] == ("capture", 12980, -91, 12889)
        assert kinds[3] == ("capture", 5000, -32, 4568)  # USD gross, EUR net
        assert batch.lines[3].gross_currency == "USD"
        assert kinds[4] == ("refund", -4990, 0, -4990)
        assert kinds[5] == ("chargeback", -8900, -750, -9650)
        assert kinds[6][0] == "chargeback_reversal"
        assert batch.lines[0].operation_ref == "O-1-C1"
        assert batch.lines[0].occurred_at.isoformat() == "2026-03-02T09:00:00+00:00"

    def test_columns_are_read_by_name_in_any_order_with_new_ones(self):
        columns = (*reversed(ADYEN_COLUMNS), "Metadata", "Dispute Reference")
        rows = [{**row, "Metadata": "x"} for row in adyen_batch_rows()]
        moved = read(table(columns, rows).encode()).batches[0]
        plain = read(table(ADYEN_COLUMNS, adyen_batch_rows()).encode()).batches[0]
        assert [(x.line_type, x.net) for x in moved.lines] == [
            (x.line_type, x.net) for x in plain.lines
        ]

    def test_a_missing_payout_row_is_flagged_not_hidden(self):
        rows = adyen_batch_rows()[:-1]
        rows.append(adyen_row("MerchantPayout", **{"Net Debit (NC)": "170.00"}))
        assert (
            proof(read(table(ADYEN_COLUMNS, rows).encode()).batches[0])["status"]
            == "unbalanced"
        )

    def test_carry_over_from_and_to_other_batches(self):
        rows = [
            adyen_settled("O-1", "O-1-C1", "10.00", "0.00"),
            adyen_row("Balancetransfer", **{"Net Credit (NC)": "5.00"}),
            adyen_row("Balancetransfer", **{"Net Debit (NC)": "2.00"}),
            adyen_row("MerchantPayout", **{"Net Debit (NC)": "13.00"}),
        ]
        batch = read(table(ADYEN_COLUMNS, rows).encode()).batches[0]
        assert (batch.carry_in, batch.carry_out) == (500, 200)
        assert proof(batch)["status"] == "balanced"

    @pytest.mark.parametrize(
        ("cells", "column"),
        [
            ({"Net Debit (NC)": "1.00", "Net Credit (NC)": "1.00"}, "Net Debit (NC)"),
            ({"Net Credit (NC)": "1.001"}, "Net Credit (NC)"),
            ({"Net Credit (NC)": "1,00"}, "Net Credit (NC)"),
            ({"Net Currency": "XXY"}, "Net Currency"),
            ({"Creation Date": "yesterday"}, "Creation Date"),
        ],
    )
    def test_a_bad_cell_refuses_the_file_naming_line_and_column(self, cells, column):
        rows = adyen_batch_rows()
        rows[2] = {**rows[2], **cells}
        with pytest.raises(SettlementFileError) as refused:
            read(table(ADYEN_COLUMNS, rows).encode(), "adyen")
        assert (refused.value.line, refused.value.column) == (4, column)

    def test_a_missing_required_column_is_named(self):
        columns = tuple(c for c in ADYEN_COLUMNS if c != "Batch Number")
        rows = [
            {k: v for k, v in r.items() if k != "Batch Number"}
            for r in adyen_batch_rows()
        ]
        with pytest.raises(SettlementFileError, match="Batch Number"):
            read(table(columns, rows).encode(), "adyen")


def klarna_rows(*, signed: bool = True):
    minus = "-" if signed else ""
    return [
        klarna_row(
            "SALE",
            "1298.00",
            merchant_reference1="K-1",
            merchant_capture_reference="K-1-C1",
            capture_id="c1",
            order_id="ko1",
        ),
        klarna_row(
            "FEE",
            f"{minus}38.81",
            detailed_type="PURCHASE_FEE_PERCENTAGE",
            tax_amount=f"{minus}9.70",
            capture_id="c1",
            merchant_reference1="K-1",
        ),
        klarna_row(
            "RETURN",
            f"{minus}499.00",
            merchant_reference1="K-1",
            merchant_refund_reference="K-1-R1",
            refund_id="r1",
        ),
        klarna_row(
            "REVERSAL",
            f"{minus}890.00",
            merchant_reference1="K-9",
            reversal_reference="krn:klarna:eu1:dispute:x",
        ),
        klarna_row(
            "FEE",
            f"{minus}150.00",
            detailed_type="DISPUTE_FEE",
            tax_amount=f"{minus}37.50",
        ),
    ]


class TestKlarna:
    def test_signed_and_magnitude_files_read_the_same(self):
        signed = read(table(KLARNA_COLUMNS, klarna_rows()).encode()).batches[0]
        plain = read(table(KLARNA_COLUMNS, klarna_rows(signed=False)).encode()).batches[
            0
        ]
        expected = [
            ("capture", 129800, 129800),
            ("fee", 0, -4851),  # the fee's VAT is part of the deduction
            ("refund", -49900, -49900),
            ("chargeback", -89000, -89000),
            ("fee", 0, -18750),
        ]
        for batch in (signed, plain):
            assert [(x.line_type, x.gross, x.net) for x in batch.lines] == expected
        assert signed.payout_amount is None
        assert signed.lines[0].operation_ref == "K-1-C1"
        assert signed.lines[2].operation_ref == "K-1-R1"

    def test_a_sign_against_the_type_is_refused(self):
        rows = klarna_rows()
        rows[0] = {**rows[0], "amount": "-1298.00"}
        with pytest.raises(SettlementFileError) as refused:
            read(table(KLARNA_COLUMNS, rows).encode())
        assert (refused.value.line, refused.value.column) == (2, "amount")

    def test_semicolons_and_a_declared_total(self):
        columns = (*KLARNA_COLUMNS, "total_settlement_amount")
        rows = [{**row, "total_settlement_amount": "-327.01"} for row in klarna_rows()]
        batch = read(table(columns, rows, delimiter=";").encode()).batches[0]
        assert batch.payout_amount == -32701
        assert proof(batch)["status"] == "balanced"

    def test_the_payout_json_declares_the_payout_in_minor_units(self):
        payout = {
            "totals": {
                "settlement_amount": 62715,
                "repay_amount": 100,
                "deposit_amount": 0,
            },
            "payment_reference": "KPAY1",
            "payout_date": "2026-03-10T07:45:00Z",
            "currency_code": "SEK",
            "merchant_id": "KTEST",
        }
        batch = read(json.dumps(payout).encode()).batches[0]
        assert (batch.batch_id, batch.payout_amount, batch.carry_in) == (
            "KPAY1",
            62715,
            -100,
        )
        assert batch.lines == []

    def test_the_transactions_json(self):
        page = {
            "transactions": [
                {
                    "type": "SALE",
                    "amount": 129800,
                    "currency_code": "SEK",
                    "payment_reference": "KPAY1",
                    "merchant_reference1": "K-1",
                    "capture_id": "c1",
                },
                {
                    "type": "FEE",
                    "amount": -3881,
                    "vat_amount": -970,
                    "currency_code": "SEK",
                    "payment_reference": "KPAY1",
                },
            ],
            "pagination": {"count": 2},
        }
        batch = read(json.dumps(page).encode(), "klarna").batches[0]
        assert [(x.line_type, x.net) for x in batch.lines] == [
            ("capture", 129800),
            ("fee", -4851),
        ]


class TestStripe:
    def rows(self):
        return [
            stripe_row(
                "charge",
                "129.80",
                "2.20",
                source_id="ch_1",
                payment_intent_id="pi_1",
                **{"payment_metadata[order_id]": "S-1"},
            ),
            stripe_row(
                "charge",
                "120.00",
                "1.75",
                source_id="ch_2",
                payment_intent_id="pi_2",
                **{"payment_metadata[order_id]": "S-2"},
            ),
            stripe_row(
                "partial_capture_reversal",
                "-20.10",
                "0.00",
                source_id="pcr_2",
                payment_intent_id="pi_2",
                **{"payment_metadata[order_id]": "S-2"},
            ),
            stripe_row(
                "charge",
                "46.00",
                "0.94",
                customer_facing_amount="50.00",
                customer_facing_currency="usd",
                payment_intent_id="pi_3",
            ),
            stripe_row(
                "refund",
                "-49.90",
                "0.00",
                source_id="re_1",
                payment_intent_id="pi_1",
                **{"payment_metadata[order_id]": "S-1"},
            ),
            stripe_row("dispute", "-89.00", "20.00", source_id="du_1"),
        ]

    def test_signed_rows_and_an_undeclared_payout(self):
        batch = read(table(STRIPE_COLUMNS, self.rows()).encode()).batches[0]
        assert [(x.line_type, x.gross, x.fee, x.net) for x in batch.lines][:3] == [
            ("capture", 12980, -220, 12760),
            ("capture", 12000, -175, 11825),
            ("capture", -2010, 0, -2010),
        ]
        assert (batch.lines[3].gross, batch.lines[3].gross_currency) == (5000, "USD")
        assert batch.lines[5].line_type == "chargeback"
        assert proof(batch)["status"] == "undeclared"

    def test_the_payout_row_declares_it(self):
        rows = [
            *self.rows(),
            stripe_row("payout", "-111.91", "0.00", source_id="po_TEST1"),
        ]
        batch = read(table(STRIPE_COLUMNS, rows).encode()).batches[0]
        assert (batch.payout_amount, proof(batch)["status"]) == (11191, "balanced")

    def test_net_must_be_gross_less_fee(self):
        rows = self.rows()
        rows[1] = {**rows[1], "net": "118.00"}
        with pytest.raises(SettlementFileError, match="line 3, column 'net'"):
            read(table(STRIPE_COLUMNS, rows).encode())


RIVERTY_LINES = (
    ("R-1", "R-1-INV1", "", "SALE", "20260302", "EUR", 9980, -250, 9730),
    ("R-2", "R-2-INV1", "", "SALE", "20260302", "EUR", 5990, -150, 5840),
    ("R-1", "R-1-INV1", "R-1-CN1", "REFUND", "20260303", "EUR", -4990, 0, -4990),
    ("R-9", "R-9-INV1", "", "DISPUTE", "20260303", "EUR", -3500, -1500, -5000),
)


class TestRiverty:
    LINES = RIVERTY_LINES

    def test_the_header_declares_the_payout_and_the_lines_prove_it(self):
        batch = read(riverty_epa(5580, 1900, "PAYREF1", self.LINES).encode()).batches[0]
        assert (batch.batch_id, batch.payout_amount, str(batch.payout_date)) == (
            "PAYREF1",
            5580,
            "2026-03-04",
        )
        assert [x.line_type for x in batch.lines] == [
            "capture",
            "capture",
            "refund",
            "chargeback",
        ]
        assert batch.lines[2].operation_ref == "R-1-CN1"  # a refund by its credit note
        assert proof(batch)["status"] == "balanced"

    def test_a_truncated_file_is_refused(self):
        text = riverty_epa(5580, 1900, "PAYREF1", self.LINES)
        cut = "\n".join(text.splitlines()[:-1])
        with pytest.raises(SettlementFileError, match="Number of Transactions"):
            read(cut.encode())

    def test_a_partners_consolidated_header(self):
        header = (
            "H,EUR,15960,-400,0,0,0,0,0,0,15570,2,PAYREF2,20260304,NET,NL15ABNA01234567"
        )
        lines = "\n".join(",".join(map(str, ["T", *line])) for line in self.LINES[:2])
        batch = read(f"{header}\n{lines}\n".encode()).batches[0]
        assert (batch.batch_id, batch.payout_amount) == ("PAYREF2", 15570)
        assert proof(batch)["status"] == "balanced"

    def test_a_users_mapping_reads_another_layout(self):
        mapping = load(
            json.dumps(
                {
                    "columns": {
                        "type": 1,
                        "order_ref": 2,
                        "operation_ref": 3,
                        "net": 4,
                        "fee": 5,
                    },
                    "amounts": "major",
                    "record": {"column": 0, "value": "D"},
                    "types": {"INV": "capture"},
                }
            )
        )
        text = "H,EUR,9730,250,1,PAYREF3,20260304\nD,INV,R-1,R-1-INV1,97.30,-2.50\n"
        batch = read(text.encode(), "riverty", mapping).batches[0]
        assert [(x.line_type, x.gross, x.fee, x.net) for x in batch.lines] == [
            ("capture", 9980, -250, 9730)
        ]

    @pytest.mark.parametrize(
        "document",
        [
            "[]",
            '{"columns": {"type": 1}}',
            '{"columns": {"type": 1, "net": "x"}}',
            '{"columns": {"type": 1, "net": 2, "colour": 3}}',
            '{"columns": {"type": 1, "net": 2}, "types": {"X": "gift"}}',
        ],
    )
    def test_a_bad_mapping_says_what_is_wrong(self, document):
        with pytest.raises(MappingError):
            load(document)


class TestDintero:
    def test_settlements_declare_and_events_itemize(self):
        declared = read(
            dintero_settlements(
                [dintero_settlement("stl_1", 229700, 4990, 3215)]
            ).encode()
        )
        assert declared.batches[0].payout_amount == 221495
        events = dintero_events(
            {
                "T1": [
                    {
                        "settlement_id": "stl_1",
                        "amount": 127580,
                        "event_correlation_id": "op-1",
                        "capture": 129800,
                        "refund": 0,
                        "fee": 2220,
                    }
                ],
                "T2": [
                    {
                        "settlement_id": "stl_1",
                        "amount": 98905,
                        "event_correlation_id": "op-2",
                        "capture": 99900,
                        "refund": 0,
                        "fee": 995,
                    },
                    {
                        "settlement_id": "stl_1",
                        "amount": -4990,
                        "event_correlation_id": "op-3",
                        "capture": 0,
                        "refund": 4990,
                        "fee": 0,
                    },
                ],
            }
        )
        itemized = read(events.encode()).batches[0]
        assert itemized.currency == ""  # the settlement names it, on import
        assert [
            (x.line_type, x.gross, x.net, x.operation_ref) for x in itemized.lines
        ] == [
            ("capture", 129800, 127580, "op-1"),
            ("capture", 99900, 98905, "op-2"),
            ("refund", -4990, -4990, "op-3"),
        ]

    def test_amounts_that_do_not_add_up_are_refused(self):
        item = dintero_settlement("stl_1", 1000, 0, 10)
        item["amounts"][0]["amount"] = 999
        with pytest.raises(SettlementFileError, match="capture − refund − fee"):
            read(dintero_settlements([item]).encode())


class TestWholeFileRefusals:
    def test_not_utf8_names_the_line(self):
        text = table(ADYEN_COLUMNS, adyen_batch_rows()).encode()
        lines = text.split(b"\n")
        lines[3] = lines[3].replace(b"O-2", b"O-\xff")
        with pytest.raises(SettlementFileError, match="line 4"):
            read(b"\n".join(lines))

    @pytest.mark.parametrize(
        "content", [b"", b"a,b\n1,2\n", b"{}", b"[1]", b'{"items": 3']
    )
    def test_unrecognised_files_are_refused(self, content):
        with pytest.raises(SettlementFileError):
            read(content)

    def test_an_unknown_provider_is_refused(self):
        with pytest.raises(SettlementFileError, match="provider"):
            read(b"x", "paypal")


def _reordered(columns, rows):
    """The same report with its columns reversed and a column no parser knows."""
    moved = (*reversed(columns), "Some New Column")
    return table(moved, [{**row, "Some New Column": "x"} for row in rows])


@pytest.mark.parametrize(
    ("columns", "rows"),
    [
        (ADYEN_COLUMNS, adyen_batch_rows()),
        (KLARNA_COLUMNS, klarna_rows()),
        (STRIPE_COLUMNS, TestStripe().rows()),
    ],
    ids=["adyen", "klarna", "stripe"],
)
def test_every_csv_format_reads_by_header_name(columns, rows):
    def lines(text):
        return [
            (x.line_type, x.gross, x.fee, x.net, x.order_ref, x.operation_ref)
            for batch in read(text.encode()).batches
            for x in batch.lines
        ]

    assert lines(_reordered(columns, rows)) == lines(table(columns, rows))
