"""The independent model (tests/model) must reproduce every hand-worked golden case."""

from __future__ import annotations

from typing import Any

import pytest

from golden import load_cases
from model.totals_model import compute, run_account

CASES = load_cases()
REQUIRED_CURRENCIES = {"EUR", "USD", "GBP", "CHF", "JPY", "BHD"}


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_totals_match(name: str, case: dict[str, Any]) -> None:
    assert case["name"] == name
    assert compute(case) == case["expected"]


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_account_matches(name: str, case: dict[str, Any]) -> None:
    assert run_account(case) == [op["expect"] for op in case.get("account", [])]


def test_golden_set_is_large_and_covers_currencies() -> None:
    assert len(CASES) >= 32
    currencies = {case["currency"] for _, case in CASES}
    assert currencies >= REQUIRED_CURRENCIES, REQUIRED_CURRENCIES - currencies


def test_amounts_are_strings_not_floats() -> None:
    def walk(value: Any, where: str) -> None:
        assert not isinstance(value, float), f"TOML float at {where}"
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")

    for name, case in CASES:
        walk(case, name)
