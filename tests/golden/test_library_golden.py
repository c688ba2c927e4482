"""T04 (golden part): invoicekit reproduces every hand-worked golden case, figure for figure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from golden import load_cases
from golden.library import expected_from, run_account, totals_for

CASES = load_cases()
IDS = [name for name, _ in CASES]
ACCOUNT_CASES = [(name, case) for name, case in CASES if case.get("account")]


def _rates_as_decimals(expected: dict[str, Any]) -> dict[str, Any]:
    """The expected mapping with breakdown rates as Decimals ("19" == "19.0"); amounts stay text."""
    rows = [{**row, "rate": Decimal(row["rate"])} for row in expected.get("breakdown", [])]
    return {**expected, "breakdown": rows}


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize(("name", "case"), CASES, ids=IDS)
def test_library_totals_match_the_hand_worked_figures(name: str, case: dict[str, Any]) -> None:
    got = expected_from(totals_for(case))

    assert _rates_as_decimals(got) == _rates_as_decimals(case["expected"]), name


@pytest.mark.parametrize(("name", "case"), CASES, ids=IDS)
def test_amounts_are_written_with_the_currency_digits(name: str, case: dict[str, Any]) -> None:
    # Byte for byte: "1000.00", never "1E+3" or "1000.0".
    got = expected_from(totals_for(case))
    scalars = {key: value for key, value in got.items() if isinstance(value, str)}

    assert scalars == {key: case["expected"][key] for key in scalars}, name


@pytest.mark.parametrize(("name", "case"), ACCOUNT_CASES, ids=[n for n, _ in ACCOUNT_CASES])
def test_library_account_matches_the_hand_worked_balances(name: str, case: dict[str, Any]) -> None:
    assert run_account(case) == [op["expect"] for op in case["account"]], name


def test_some_golden_cases_exercise_the_account() -> None:
    assert ACCOUNT_CASES, "no golden case has [[account]] operations"
