"""The rounding a totals computation does: quantizing to the minor unit and recording each step.

The base of the totals computation (:mod:`invoicekit.domain.totals`): it holds
the currency unit, the rounding mode and the steps and problems recorded, which
the line rules and the tax rules (their own modules) share.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Final

from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.errors import Problem, problem
from invoicekit.money import Rounding, currency_digits, minor_unit

__all__ = ["Rounder"]

_MODE: Final = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.UP: ROUND_UP,
    Rounding.DOWN: ROUND_DOWN,
}
#: The rule each mode is recorded under in rounding steps (a plain str, like mode.value).
_RULE: Final = {mode: mode.value for mode in Rounding}


class Rounder:
    """The state of one run of the rules: the currency unit, the mode and the steps recorded."""

    def __init__(self, currency: str, prices: PriceMode, policy: RoundingPolicy) -> None:
        self.currency = currency
        self.unit = minor_unit(currency)
        self.prices = prices if type(prices) is PriceMode else PriceMode(prices)
        self.policy = policy
        self.received = False
        self.mode = _MODE[policy.mode]
        self.rule = _RULE[policy.mode]
        self.steps: list[tuple[tuple[object, ...], Decimal, Decimal, str]] = []
        self.problems: list[Problem] = []

    def q(self, exact: Decimal, *where: object) -> Decimal:
        """Quantize to the minor unit, recording the step when the value changed."""
        rounded = exact.quantize(self.unit, rounding=self.mode)
        if not rounded:
            rounded = abs(rounded)  # never -0.00 (the tax on a negative base at rate 0)
        if rounded != exact:
            self.steps.append((where, exact, rounded, self.rule))
        return rounded

    def fixed(self, amount: Decimal, where: str) -> Decimal:
        """A fixed amount given by the user: it must fit the minor unit exactly."""
        if amount != amount.quantize(self.unit):
            self.problems.append(
                problem(
                    where,
                    f"{self.currency} amounts have at most "
                    f"{currency_digits(self.currency)} decimal places",
                    amount,
                )
            )
        return amount.quantize(self.unit)
