"""Hypothesis strategies that generate valid invoices for property tests.

Import this module from tests only: it imports hypothesis (the ``testing``
extra) at the top.

The invoice strategies produce plain dictionaries in the golden-case schema of
invoicekit's own test suite, every number a decimal string, so one generated
case can be fed both to invoicekit and to an independent model: ``currency``,
``prices``, ``tax_rounding``, ``rounding_mode``, ``lines`` (each with ``quantity``,
``unit_price`` and ``taxes`` such as ``[{"category": "S", "rate": "19"}]``), and
document ``allowances`` and ``charges`` (``{"percent": "10", "taxes": [...]}`` or
``{"amount": "1.00", "taxes": [...]}``).

Optional keys (``base_quantity``, line ``allowances`` and ``charges``,
document ``allowances`` and ``charges``, ``cash_increment``) are left out when
unused. Every generated case is valid input: discounts never exceed what they
apply to, fixed amounts fit the currency's minor unit, and with tax-inclusive
prices every line and document adjustment carries exactly one tax.
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
    "CURRENCIES",
    "RATES",
    "amounts",
    "cases",
    "currencies",
    "line",
    "lines",
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


def _set_key(
    tax_set: Sequence[Mapping[str, str]],
) -> tuple[tuple[str, str, Decimal, str | None], ...]:
    """What makes two tax sets the same set (the library compares taxes by value)."""
    return tuple(
        (t.get("name", "VAT"), t["category"], Decimal(t["rate"]), t.get("exemption_reason"))
        for t in tax_set
    )


def _copy_taxes(tax_set: Sequence[Mapping[str, str]]) -> list[TaxDict]:
    return [dict(t) for t in tax_set]


def _amount(draw: st.DrawFn, unit: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """An amount from ``low`` to ``high`` (both multiples of ``unit``)."""
    steps = _between(draw, int(low / unit), int(high / unit))
    return steps * unit


def _draw_line(
    draw: st.DrawFn,
    currency: str,
    mode: str,
    palette: st.SearchStrategy[list[TaxDict]],
    *,
    zero: bool,
) -> tuple[Case, Decimal]:
    """One line in the golden schema and its amount (base − discounts + charges)."""
    unit = _unit(currency)
    spec, shape_index = divmod(draw(_LINE_SPEC), len(_SHAPES))
    spec, base_quantity_index = divmod(spec, len(_BASE_QUANTITIES))
    discount_index, charge_index = divmod(spec, len(_LINE_CHARGES))
    shape = "zero" if zero else _SHAPES[shape_index]
    quantity = Decimal(0) if shape == "zero" else _draw_quantity(draw)
    price = Decimal(0) if shape == "free" else _draw_price(draw)
    if shape == "largest":
        quantity, price = MAX_QUANTITY, draw(_LARGEST_PRICES)
    base_quantity = _BASE_QUANTITIES[base_quantity_index]
    tax_set = draw(palette)
    base = _q(quantity * price / Decimal(base_quantity or 1), unit, mode)
    result: Case = {"quantity": _text(quantity), "unit_price": _text(price)}
    if base_quantity is not None:
        result["base_quantity"] = base_quantity
    charges: list[dict[str, str]] = []
    budget = base
    for _ in range(_LINE_CHARGES[charge_index]):
        if draw(st.booleans()):
            percent = draw(_PERCENTS)
            budget += _q(base * percent / _HUNDRED, unit, mode)
            charges.append({"percent": _text(percent)})
        else:
            amount = _amount(draw, unit, unit, Decimal(10) ** 5)
            budget += amount
            charges.append({"amount": _text(amount)})
    discounts: list[dict[str, str]] = []
    for _ in range(_LINE_DISCOUNTS[discount_index]):
        entry, amount = _draw_discount(draw, unit, base, budget, mode)
        if entry is not None:
            discounts.append(entry)
            budget -= amount
    if discounts:
        result["allowances"] = discounts
    if charges:
        result["charges"] = charges
    result["taxes"] = _copy_taxes(tax_set)
    return result, budget


def _draw_discount(
    draw: st.DrawFn, unit: Decimal, base: Decimal, room: Decimal, mode: str
) -> tuple[dict[str, str] | None, Decimal]:
    """A discount on ``base`` that fits in ``room``: a percentage, an amount, all of it, or 100 %."""
    kind = draw(_DISCOUNT_KINDS)
    if kind in ("percent", "hundred"):
        percent = _HUNDRED if kind == "hundred" else draw(_PERCENTS)
        amount = _q(base * percent / _HUNDRED, unit, mode)
        if amount > room:
            return None, Decimal(0)
        return {"percent": _text(percent)}, amount
    if room < unit or (kind == "all" and room > MAX_FIXED):
        return None, Decimal(0)
    amount = room if kind == "all" else _amount(draw, unit, unit, min(room, MAX_FIXED))
    return {"amount": _text(amount)}, amount


def _draw_lines(
    draw: st.DrawFn,
    currency: str,
    mode: str,
    palette: st.SearchStrategy[list[TaxDict]],
    max_size: int,
) -> list[tuple[Case, Decimal]]:
    count = 1 + (draw(_LINE_COUNTS) - 1) % max_size
    zero = draw(_ONE_IN_20) == 0  # now and then a document of all-zero lines
    return [_draw_line(draw, currency, mode, palette, zero=zero) for _ in range(count)]


def _palette(
    inclusive: bool, tax_sets: Sequence[Sequence[Mapping[str, str]]] | None
) -> st.SearchStrategy[list[TaxDict]]:
    if not tax_sets:
        return _SINGLE_TAX_SETS if inclusive else _TAX_SETS
    return st.sampled_from([_copy_taxes(s) for s in tax_sets])


def line(
    currency: str,
    *,
    inclusive: bool,
    mode: str = "half_up",
    tax_sets: Sequence[Sequence[Mapping[str, str]]] | None = None,
) -> st.SearchStrategy[Case]:
    """One valid line: its discounts never exceed its base plus its charges under ``mode``.

    ``tax_sets`` is a palette to draw the line's taxes from (so several lines share a
    group); by default each line draws its own (one tax when ``inclusive``).
    """
    palette = _palette(inclusive, tax_sets)

    @st.composite
    def one_line(draw: st.DrawFn) -> Case:
        return _draw_line(draw, currency, mode, palette, zero=False)[0]

    return one_line()


def lines(
    currency: str,
    *,
    inclusive: bool,
    mode: str = "half_up",
    tax_sets: Sequence[Sequence[Mapping[str, str]]] | None = None,
    max_size: int = MAX_LINES,
) -> st.SearchStrategy[list[Case]]:
    """1 to ``max_size`` valid lines (see :func:`line`), sometimes all of them zero."""
    palette = _palette(inclusive, tax_sets)

    @st.composite
    def some_lines(draw: st.DrawFn) -> list[Case]:
        return [pair[0] for pair in _draw_lines(draw, currency, mode, palette, max_size)]

    return some_lines()


@st.composite
def cases(draw: st.DrawFn, *, max_lines: int = MAX_LINES) -> Case:
    """A whole valid invoice in the golden-case schema.

    Currency from :data:`CURRENCIES` (CHF sometimes with 0.05 cash rounding), prices
    exclusive or inclusive, every tax rounding and rounding mode, 1 to ``max_lines``
    lines drawing their taxes from a palette of 1-4 tax sets (mixed categories),
    and up to three document discounts and charges, each carrying the tax set of
    some line. Document discounts of one tax set never exceed that set's lines.
    """
    currency = draw(_CURRENCIES)
    unit = _unit(currency)
    inclusive = draw(st.booleans())
    tax_rounding = draw(_TAX_ROUNDINGS)
    mode = draw(_ROUNDING_MODES)
    palette = draw(
        st.lists(tax_sets(inclusive=inclusive), min_size=1, max_size=4, unique_by=_set_key)
    )
    pairs = _draw_lines(draw, currency, mode, st.sampled_from(palette), max_lines)
    sets: dict[tuple[Any, ...], list[TaxDict]] = {}
    budget: dict[tuple[Any, ...], Decimal] = {}
    for line_case, amount in pairs:
        key = _set_key(line_case["taxes"])
        sets.setdefault(key, line_case["taxes"])
        budget[key] = budget.get(key, Decimal(0)) + amount
    used = st.sampled_from(list(sets))
    room = dict(budget)
    discounts: list[Case] = []
    for _ in range(draw(_DOCUMENT_ADJUSTMENTS)):
        key = draw(used)
        entry, amount = _draw_discount(draw, unit, budget[key], room[key], mode)
        if entry is not None:
            discounts.append({**entry, "taxes": _copy_taxes(sets[key])})
            room[key] -= amount
    charges: list[Case] = []
    for _ in range(draw(_DOCUMENT_ADJUSTMENTS)):
        key = draw(used)
        if draw(st.booleans()):
            entry = {"percent": _text(draw(_PERCENTS))}
        else:
            entry = {"amount": _text(_amount(draw, unit, unit, MAX_UNIT_PRICE))}
        charges.append({**entry, "taxes": _copy_taxes(sets[key])})
    case: Case = {
        "currency": currency,
        "prices": "inclusive" if inclusive else "exclusive",
        "tax_rounding": tax_rounding,
        "rounding_mode": mode,
        "lines": [pair[0] for pair in pairs],
    }
    if discounts:
        case["allowances"] = discounts
    if charges:
        case["charges"] = charges
    if currency in CASH_INCREMENTS and draw(st.booleans()):
        case["cash_increment"] = CASH_INCREMENTS[currency]
    return case


_CURRENCIES: Final = st.sampled_from(CURRENCIES)
_TAX_ROUNDINGS: Final = st.sampled_from(TAX_ROUNDINGS)
_ROUNDING_MODES: Final = st.sampled_from(ROUNDING_MODES)
