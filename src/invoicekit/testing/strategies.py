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

The building blocks (currencies, rates, amounts, taxes) are in strategy_values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import (
    Decimal,
)
from typing import Any, Final

from hypothesis import strategies as st

from invoicekit.testing.strategy_values import (
    _BASE_QUANTITIES,
    _DISCOUNT_KINDS,
    _DOCUMENT_ADJUSTMENTS,
    _HUNDRED,
    _LARGEST_PRICES,
    _LINE_CHARGES,
    _LINE_COUNTS,
    _LINE_DISCOUNTS,
    _LINE_SPEC,
    _ONE_IN_20,
    _PERCENTS,
    _SHAPES,
    _SINGLE_TAX_SETS,
    _TAX_SETS,
    CASH_INCREMENTS,
    CURRENCIES,
    MAX_FIXED,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    RATES,
    ROUNDING_MODES,
    TAX_ROUNDINGS,
    Case,
    TaxDict,
    _between,
    _draw_price,
    _draw_quantity,
    _q,
    _text,
    _unit,
    amounts,
    currencies,
    percents,
    quantities,
    tax_sets,
    taxes,
    unit_prices,
)

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
