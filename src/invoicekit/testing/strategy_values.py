"""The building blocks of the invoice strategies: currencies, rates, amounts, taxes.

Import from tests only (it imports hypothesis). Split from
:mod:`invoicekit.testing.strategies`, which builds lines and whole cases from these
and re-exports the public ones; every number is drawn as a decimal string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    localcontext,
)
from typing import Any, Final

from hypothesis import strategies as st

from invoicekit.money import CURRENCY_DIGITS

__all__ = [
    "CASH_INCREMENTS",
    "CURRENCIES",
    "MAX_FIXED",
    "MAX_LINES",
    "MAX_QUANTITY",
    "MAX_UNIT_PRICE",
    "PRICE_MODES",
    "RATES",
    "ROUNDING_MODES",
    "STACK_NAMES",
    "TAX_ROUNDINGS",
    "ZERO_RATE_REASONS",
    "Case",
    "TaxDict",
    "amounts",
    "currencies",
    "percents",
    "quantities",
    "tax_sets",
    "taxes",
    "unit_prices",
]

#: A case, a line or an adjustment in the golden schema (numbers as strings).
Case = dict[str, Any]
TaxDict = dict[str, str]

#: The currencies generated: two decimals, none (JPY), three (BHD, KWD), CHF with cash rounding.
CURRENCIES: Final = ("EUR", "USD", "JPY", "BHD", "KWD", "CHF")
#: Tax rates generated, in percent.
RATES: Final = ("0", "2.1", "5", "5.5", "7", "7.7", "10", "19", "20", "21", "25", "27")
#: Zero-rate categories and the exemption reason each one states (Z needs none).
ZERO_RATE_REASONS: Final[Mapping[str, str | None]] = {
    "Z": None,
    "E": "Exempt",
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}
#: Names of stacked (US-style) sales taxes, in stacking order.
STACK_NAMES: Final = ("state", "county", "city")
PRICE_MODES: Final = ("exclusive", "inclusive")
TAX_ROUNDINGS: Final = ("per_category", "per_line", "per_document")
ROUNDING_MODES: Final = ("half_up", "half_even", "up", "down")
#: Cash-rounding increments used by some generated cases.
CASH_INCREMENTS: Final[Mapping[str, str]] = {"CHF": "0.05"}
MAX_QUANTITY: Final = Decimal(10) ** 6
MAX_UNIT_PRICE: Final = Decimal(10) ** 7
#: The largest fixed discount or charge invoicekit accepts.
MAX_FIXED: Final = Decimal(10) ** 12
MAX_LINES: Final = 60

_MODES: Final = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "up": ROUND_UP,
    "down": ROUND_DOWN,
}
_HUNDRED: Final = Decimal(100)


def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCY_DIGITS[currency])


def _q(value: Decimal, unit: Decimal, mode: str) -> Decimal:
    """Quantize as the totals rules do (used only to keep generated discounts in range)."""
    with localcontext() as ctx:
        ctx.prec = 60
        result = value.quantize(unit, rounding=_MODES[mode])
    return abs(result) if result == 0 else result


def _text(value: Decimal) -> str:
    return f"{value:f}"


#: Any non-negative integer: drawn once and folded into the range wanted.
_ANY_INT: Final = st.integers(0, 10**16)


def _between(draw: st.DrawFn, low: int, high: int) -> int:
    """An integer from ``low`` to ``high`` (``low`` when shrunk), without building a strategy."""
    return low + draw(_ANY_INT) % (high - low + 1)


#: How _draw_scaled picks a value: a small one, any one, or an extreme.
_SMALL, _ANY, _EXTREME = range(3)
_KINDS: Final = 3


def _draw_scaled(
    draw: st.DrawFn, selector: st.SearchStrategy[int], max_value: Decimal, specials: Sequence[str]
) -> Decimal:
    """A Decimal from 0 to ``max_value``: an extreme, a small one or any, with 0-N places.

    Two choices per value (a selector and a number) keep big invoices quick to generate.
    """
    places, kind = divmod(draw(selector), _KINDS)
    if kind == _EXTREME:
        return Decimal(specials[places % len(specials)])
    top = int(max_value.scaleb(places))
    high = min(top, 10 ** (places + 3)) if kind == _SMALL else top
    return Decimal(_between(draw, 0, high)).scaleb(-places)


def currencies() -> st.SearchStrategy[str]:
    """One of :data:`CURRENCIES`."""
    return st.sampled_from(CURRENCIES)


def amounts(
    currency: str, *, min_value: Decimal = Decimal(0), max_value: Decimal = MAX_UNIT_PRICE
) -> st.SearchStrategy[Decimal]:
    """Amounts in ``currency`` from ``min_value`` to ``max_value``, with exactly its minor digits."""
    digits = CURRENCY_DIGITS[currency]
    low = int(min_value.scaleb(digits).to_integral_value(rounding=ROUND_CEILING))
    high = int(max_value.scaleb(digits).to_integral_value(rounding=ROUND_FLOOR))
    if low > high:
        raise ValueError(f"no {currency} amount between {min_value} and {max_value}")
    units = st.one_of(
        st.integers(low, min(high, low + 1000)), st.integers(low, high), st.just(high)
    )
    return units.map(lambda n: Decimal(n).scaleb(-digits))


def quantities() -> st.SearchStrategy[Decimal]:
    """Line quantities: up to 10^6 with up to 6 decimal places, extremes included."""
    return _QUANTITIES


def unit_prices() -> st.SearchStrategy[Decimal]:
    """Unit prices: up to 10^7 with 0 to 4 decimal places, extremes included."""
    return _UNIT_PRICES


def percents() -> st.SearchStrategy[Decimal]:
    """Percentages above 0 and at most 100, with up to 2 decimal places (100 % included)."""
    return _PERCENTS


def _tax(rate: str, category: str, name: str | None = None) -> TaxDict:
    tax = {"category": category, "rate": rate}
    if name is not None:
        tax["name"] = name
    reason = ZERO_RATE_REASONS.get(category)
    if reason is not None:
        tax["exemption_reason"] = reason
    return tax


def taxes() -> st.SearchStrategy[TaxDict]:
    """One VAT: category S with a positive rate, or a zero-rate category (with its reason)."""
    return _TAXES


def tax_sets(*, inclusive: bool) -> st.SearchStrategy[list[TaxDict]]:
    """The taxes of one item: one tax, or (exclusive prices only) 2-3 stacked sales taxes."""
    return _SINGLE_TAX_SETS if inclusive else _TAX_SETS


_QUANTITY_SELECTOR: Final = st.integers(0, 7 * _KINDS - 1)
_QUANTITY_EXTREMES: Final = ("0", "1", "0.000001", "1000000", "999999.999999", "0.5", "2")
_PRICE_SELECTOR: Final = st.integers(0, 5 * _KINDS - 1)
_PRICE_EXTREMES: Final = ("0.01", "19.99", "0.0001", "10000000", "9999999.9999")


def _draw_quantity(draw: st.DrawFn) -> Decimal:
    return _draw_scaled(draw, _QUANTITY_SELECTOR, MAX_QUANTITY, _QUANTITY_EXTREMES)


def _draw_price(draw: st.DrawFn) -> Decimal:
    return _draw_scaled(draw, _PRICE_SELECTOR, MAX_UNIT_PRICE, _PRICE_EXTREMES)


_QUANTITIES: Final = st.composite(_draw_quantity)()
_UNIT_PRICES: Final = st.composite(_draw_price)()
_PERCENTS: Final = st.one_of(
    st.sampled_from(["100", "50", "10", "2.5", "33.33", "0.01", "99.99", "12.5"]).map(Decimal),
    st.integers(1, 10_000).map(lambda n: Decimal(n).scaleb(-2)),
)
_TAXES: Final = st.one_of(
    st.sampled_from(RATES[1:]).map(lambda rate: _tax(rate, "S")),
    st.sampled_from(tuple(ZERO_RATE_REASONS)).map(lambda category: _tax("0", category)),
)
_SINGLE_TAX_SETS: Final = _TAXES.map(lambda tax: [tax])
_TAX_SETS: Final = st.one_of(
    _SINGLE_TAX_SETS,
    st.lists(st.sampled_from(RATES[1:]), min_size=2, max_size=3).map(
        lambda rates: [_tax(rate, "S", STACK_NAMES[i]) for i, rate in enumerate(rates)]
    ),
)
_SHAPES: Final = ("usual",) * 6 + ("zero", "free", "largest")
_LARGEST_PRICES: Final = st.sampled_from([MAX_UNIT_PRICE, Decimal("9999999.9999")])
_BASE_QUANTITIES: Final = (None,) * 5 + ("10", "100", "12", "3")
_LINE_CHARGES: Final = (0, 0, 0, 1, 2)
_LINE_DISCOUNTS: Final = (0, 0, 0, 1, 1, 2)
#: One choice picks a line's shape, base quantity and number of charges and discounts.
_LINE_SPEC: Final = st.integers(
    0, len(_SHAPES) * len(_BASE_QUANTITIES) * len(_LINE_CHARGES) * len(_LINE_DISCOUNTS) - 1
)
_DOCUMENT_ADJUSTMENTS: Final = st.sampled_from((0, 0, 1, 1, 2, 3))
_DISCOUNT_KINDS: Final = st.sampled_from(("percent", "amount", "all", "hundred"))
_LINE_COUNTS: Final = st.one_of(st.integers(1, 3), st.integers(1, 10), st.integers(1, MAX_LINES))
_ONE_IN_20: Final = st.integers(0, 19)
