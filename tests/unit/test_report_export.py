"""The reports' CSV and JSON export: plain decimals, stable columns, no formula injection (T38)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicekit.reports.export import COLUMNS, cell_text, rows_of, to_csv, to_json
from invoicekit.reports.values import AgingBuckets, ClientBalance

D = Decimal
FORMULA_STARTS = "=+-@\t\r\0\uff1d\uff0b\uff0d\uff20"


def test_columns_are_the_documented_ones() -> None:
    assert COLUMNS["clients"] == (
        "customer_id",
        "name",
        "currency",
        "open",
        "overdue",
        "credit",
        "net",
        "invoices",
    )
    assert COLUMNS["aging"][0] == "currency"
    assert set(COLUMNS) == {
        "receivables",
        "clients",
        "aging",
        "monthly",
        "dso",
        "collection_rate",
        "cash_in",
        "mrr",
        "attention",
    }


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\uff1d1+1",
        " =1+1",
        "\u3000@SUM(A1)",
        "\x00=1",
    ],
)
def test_a_text_cell_that_starts_a_formula_stays_text(name: str) -> None:
    row = {"customer_id": "c1", "name": name, "currency": "EUR", "open": D("-12.50")}
    text = to_csv([row], COLUMNS["clients"])
    [parsed] = list(csv.DictReader(io.StringIO(text)))
    assert parsed["name"] == "'" + name
    assert parsed["open"] == "-12.50"  # a number is never prefixed


def test_amounts_are_plain_decimals_with_the_currency_beside_them() -> None:
    balance = ClientBalance("c1", "Acme", "EUR", D("1234567.50"), D("0.00"), D("10.00"), 2)
    text = to_csv(rows_of("clients", [balance]), COLUMNS["clients"])
    assert text.splitlines()[1] == "c1,Acme,EUR,1234567.50,0.00,10.00,1234557.50,2"
    [item] = json.loads(to_json(rows_of("clients", [balance]), COLUMNS["clients"]))
    assert item["open"] == "1234567.50"
    assert item["net"] == "1234557.50"
    assert item["currency"] == "EUR"
    big = AgingBuckets("JPY", D(1), D("1E+3"), D(0), D(0), D(0))
    [aging] = json.loads(to_json(rows_of("aging", {"JPY": big}), COLUMNS["aging"]))
    assert aging["days_1_30"] == "1000"  # never exponent notation
    assert aging["total"] == "1001"


@given(st.text(max_size=30))
def test_no_csv_cell_starts_a_formula(name: str) -> None:
    row = {"customer_id": "c", "name": name, "currency": "EUR", "open": D("1.00")}
    [parsed] = list(csv.DictReader(io.StringIO(to_csv([row], COLUMNS["clients"]), newline="")))
    cell = parsed["name"]
    start = cell.lstrip(" \u00a0\u3000")
    assert not start or start[0] not in FORMULA_STARTS
    assert cell.removeprefix("'") == name or cell == name


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2))
def test_numbers_round_trip_exactly_and_are_never_prefixed(amount: Decimal) -> None:
    text = cell_text(amount)
    assert D(text) == amount
    assert "E" not in text.upper()
    assert "," not in text
    assert not text.startswith("'")


def test_dates_are_iso() -> None:
    assert cell_text(date(2026, 3, 1)) == "2026-03-01"
    assert cell_text(None) == ""
