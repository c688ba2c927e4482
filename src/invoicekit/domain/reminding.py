"""A seller's minimum amount per currency below which no reminder or final notice goes out.

A final notice for €0.01 costs more goodwill than it brings in. Pure: values and checks only.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from invoicekit.domain.frozen import FrozenMapping
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import check_currency, parse_amount

__all__ = ["REMINDER_KINDS", "below_minimum", "minimum_problems", "minimums"]

#: The document kinds the minimum holds back.
REMINDER_KINDS: Final = frozenset({"reminder", "final_notice"})

_PATH = "reminder_minimum"
_EXAMPLE = "a mapping of currency code to amount, e.g. {'EUR': Decimal('5.00')}"


def _parsed(value: object) -> tuple[dict[str, Decimal], list[Problem]]:
    if not isinstance(value, Mapping):
        return {}, [problem(_PATH, f"must be {_EXAMPLE}", value)]
    found: list[Problem] = []
    parsed: dict[str, Decimal] = {}
    for code, amount in value.items():
        path = f"{_PATH}[{code!r}]"
        if isinstance(amount, float):
            found.append(problem(path, "must be exact: a Decimal or a string like '5.00'", amount))
            continue
        try:
            currency = check_currency(code, path=path)
            parsed[currency] = parse_amount(amount, currency, path=path, subject="seller")
        except ValidationError as exc:
            found.extend(exc.problems)
            continue
        if parsed[currency] < 0:
            found.append(problem(path, "must be zero or more", amount))
    return parsed, found


def minimums(value: object) -> Mapping[str, Decimal]:
    """The converter of ``Seller.reminder_minimum``: frozen and exact, or as given to be refused."""
    if value is None:
        return FrozenMapping()
    parsed, found = _parsed(value)
    return value if found else FrozenMapping(parsed)  # type: ignore[return-value]  # reported by minimum_problems


def minimum_problems(value: object) -> list[Problem]:
    """What is wrong with a ``reminder_minimum`` setting (empty when it is right)."""
    return _parsed(value)[1]


def below_minimum(setting: Mapping[str, Decimal], amount_due: Decimal, currency: str) -> bool:
    """Whether ``amount_due`` is too small to remind of: below the seller's minimum for ``currency``."""
    least = setting.get(currency)
    return least is not None and amount_due < least
