"""Late fees: a fixed amount per currency or simple interest, with their tax category and rounding.

A late fee reaches the customer as a line on a new invoice or as interest stated on
the next reminder (``LateFeeMode``). Its tax defaults to category O, outside the scope
of VAT, as late-payment interest usually is. Pure: values, checks and arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

import attrs

from invoicekit.domain.frozen import FrozenMapping
from invoicekit.domain.tax import Tax
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import Rounding, check_currency, parse_amount, parse_decimal, quantize

__all__ = [
    "LATE_FEE_FOR",
    "Interest",
    "LateFee",
    "LateFeeMode",
    "fee_problems",
    "interest_on",
    "late_fee_tax",
]

#: The highest annual interest rate accepted, in percent.
#: The metadata key naming the invoice a late-fee invoice was added for.
LATE_FEE_FOR: Final = "late_fee_for"
_MAX_RATE: Final = Decimal(100)
_DAYS_IN_YEAR: Final = Decimal(365)


def late_fee_tax() -> Tax:
    """The default tax of a late fee: outside the scope of VAT (category O), as interest usually is."""
    return Tax.outside_scope("Late payment interest and fees are outside the scope of VAT")


class LateFeeMode(StrEnum):
    """How a late fee reaches the customer."""

    #: A line on a new invoice of its own (numbered, payable, remindable like any other).
    NEW_INVOICE = "new_invoice"
    #: Interest stated on the next reminder, added to what it asks for.
    INTEREST = "interest"


def _fixed(value: Mapping[str, object] | None) -> Mapping[str, object]:
    return FrozenMapping(value or {})


def _opt_decimal(value: object) -> object:
    return Decimal(value) if isinstance(value, str | int) and not isinstance(value, bool) else value


@attrs.frozen
class LateFee:
    """A fixed amount per currency (``fixed={"EUR": "40.00"}``) or simple interest (``annual_rate``).

    Interest is ``amount due x annual_rate % x days overdue / 365``, rounded once with
    ``rounding`` to the currency's minor unit. ``tax`` defaults to category O.
    """

    fixed: Mapping[str, object] = attrs.field(factory=dict, converter=_fixed)
    annual_rate: object = attrs.field(default=None, converter=_opt_decimal)
    mode: LateFeeMode = LateFeeMode.NEW_INVOICE
    tax: Tax = attrs.field(factory=late_fee_tax)
    rounding: Rounding = Rounding.HALF_UP
    description: str = "Late payment fee"

    def __attrs_post_init__(self) -> None:
        found = fee_problems(self, "")
        if found:
            raise ValidationError(found, subject="late fee")

    def amount(self, amount_due: Decimal, currency: str, days_overdue: int) -> Decimal | None:
        """The fee on ``amount_due`` after ``days_overdue`` days; None when it has no ``currency`` amount."""
        if self.annual_rate is None:
            fixed = self.fixed.get(currency)
            return None if fixed is None else parse_amount(fixed, currency, path="fixed")
        rate = parse_decimal(self.annual_rate, path="annual_rate")
        exact = amount_due * rate / Decimal(100) * Decimal(max(days_overdue, 0)) / _DAYS_IN_YEAR
        return quantize(exact, currency, self.rounding)


def fee_problems(fee: object, where: str) -> list[Problem]:
    """What is wrong with ``fee`` as a late fee at ``where`` (a path prefix such as 'steps[3].')."""
    if not isinstance(fee, LateFee):
        return [problem(where.rstrip("."), "must be a LateFee", fee)]
    found: list[Problem] = []
    has_rate = fee.annual_rate is not None
    if has_rate == bool(fee.fixed):
        found.append(
            problem(
                f"{where}fixed",
                "give either fixed amounts per currency or annual_rate, exactly one of them",
            )
        )
    for code, amount in fee.fixed.items():
        path = f"{where}fixed[{code!r}]"
        try:
            currency = check_currency(code, path=path)
            if parse_amount(amount, currency, path=path, subject="late fee") <= 0:
                found.append(problem(path, "must be greater than 0", amount))
        except (ValidationError, TypeError) as exc:
            found += getattr(exc, "problems", [problem(path, "must be exact: a Decimal or str")])
    if has_rate:
        path = f"{where}annual_rate"
        try:
            rate = parse_decimal(fee.annual_rate, path=path, subject="late fee")
            if not 0 < rate <= _MAX_RATE:
                found.append(problem(path, f"a percentage above 0 and at most {_MAX_RATE}", rate))
        except (ValidationError, TypeError):
            found.append(problem(path, "must be a percentage as a Decimal or str, e.g. '8'", None))
    if not isinstance(fee.mode, LateFeeMode):
        found.append(problem(f"{where}mode", "allowed: new_invoice, interest", fee.mode))
    if not isinstance(fee.tax, Tax):
        found.append(problem(f"{where}tax", "must be a Tax, e.g. Tax.outside_scope()", fee.tax))
    if not isinstance(fee.rounding, Rounding):
        found.append(problem(f"{where}rounding", "must be a Rounding", fee.rounding))
    if not isinstance(fee.description, str) or not fee.description.strip():
        found.append(problem(f"{where}description", "must be a non-empty string"))
    return found


@attrs.frozen
class Interest:
    """Late-payment interest as stated on a reminder: ``balance x rate % x days / 365 = amount``."""

    balance: Decimal
    currency: str
    #: The annual rate in percent.
    annual_rate: Decimal
    #: Whole days from the due date to the day the interest is computed for.
    days: int
    #: Rounded once, to the currency's minor unit, with the fee's rounding.
    amount: Decimal

    def arithmetic(self) -> str:
        """The computation in one line, e.g. ``1190.00 EUR x 8 % x 22 days / 365 = 5.74 EUR``."""
        return (
            f"{self.balance} {self.currency} x {self.annual_rate} % x {self.days} days / 365"
            f" = {self.amount} {self.currency}"
        )


def interest_on(fee: LateFee, balance: Decimal, currency: str, due: date, on: date) -> Interest:
    """Simple interest on ``balance`` from the day after ``due`` to ``on``, day-exact (actual/365)."""
    days = max((on - due).days, 0)
    rate = parse_decimal(fee.annual_rate, path="annual_rate")
    exact = balance * rate / Decimal(100) * Decimal(days) / _DAYS_IN_YEAR
    return Interest(balance, currency, rate, days, quantize(exact, currency, fee.rounding))
