"""T04 totals_differential_vs_model: invoicekit and the independent model agree byte for byte.

The model (tests/model/totals_model.py) re-implements docs/explanation/totals-rules.md
on exact fractions and shares no code with invoicekit. Both answer in the golden
``[expected]`` shape, amounts as strings with the currency's digits.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from golden import load_cases
from golden.library import expected_from, run_account, totals_for
from invoicekit.testing.strategies import cases
from model import totals_model
from sizes import examples

GOLDEN = load_cases()


def _first_difference(got: dict[str, Any], want: dict[str, Any]) -> str:
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            return f"{key}: library {got.get(key)!r} != model {want.get(key)!r}"
    return "no difference"


@settings(max_examples=examples(ci=5_000, dev=200))
@given(case=cases())
def test_library_equals_the_model_on_generated_invoices(case: dict[str, Any]) -> None:
    got = expected_from(totals_for(case))
    want = totals_model.compute(case)

    assert got == want, _first_difference(got, want)


@pytest.mark.parametrize(("name", "case"), GOLDEN, ids=[name for name, _ in GOLDEN])
def test_library_equals_the_model_on_golden_invoices(name: str, case: dict[str, Any]) -> None:
    got = expected_from(totals_for(case))
    want = totals_model.compute(case)

    assert got == want, f"{name}: {_first_difference(got, want)}"


@pytest.mark.parametrize(
    ("name", "case"),
    [(name, case) for name, case in GOLDEN if case.get("account")],
    ids=[name for name, case in GOLDEN if case.get("account")],
)
def test_library_account_equals_the_model_on_golden_invoices(
    name: str, case: dict[str, Any]
) -> None:
    assert run_account(case) == totals_model.run_account(case), name
