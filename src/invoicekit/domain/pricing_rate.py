"""Rating: a price and a period's usage (or seats) become amounts, with the arithmetic shown.

Every part is ``quantity × unit_price`` rounded half-up to the currency's minor unit, so
each part can become an invoice line whose amount the totals compute the same way; the
note of a part says how it was reached ("units 1,001–10,000: 9,000 × 0.0100 = 90.00").
Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Final

import attrs

from invoicekit.domain.pricing import Price, PriceKind, PricingModel, Tier
from invoicekit.domain.usage import Usage
from invoicekit.errors import ValidationError, problem
from invoicekit.money import minor_unit, parse_decimal

__all__ = ["Rated", "RatedPart", "rate"]

_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_HUNDRED: Final = Decimal(100)
#: ``money.quantize``'s rounding (half-up, 60 digits) as one context made once: that
#: function enters a local context per call, a third of rating a price (issue 16).
_HALF_UP: Final = Context(
    prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow]
)


def _quantize(value: Decimal, currency: str) -> Decimal:
    """``value`` rounded half-up to ``currency``'s minor unit, -0 as 0 (as ``money.quantize``)."""
    result = value.quantize(minor_unit(currency), context=_HALF_UP)
    return abs(result) if result == 0 else result


@attrs.frozen(kw_only=True)
class RatedPart:
    """One priced part of a rated price: an invoice line's quantity, unit price and amount."""

    #: The price's description, with the tier or fee it prices when there are several parts.
    description: str
    quantity: Decimal
    unit_price: Decimal
    #: ``quantity × unit_price`` rounded half-up to the currency's minor unit.
    amount: Decimal
    #: The arithmetic, e.g. "units 1,001–5,000: 4,000 × 0.01 = 40.00".
    note: str


@attrs.frozen(kw_only=True)
class Rated:
    """A price rated for one period: the quantity priced and its parts, which sum to ``amount``."""

    #: The quantity priced: the seats, the aggregated usage, or 1 for a fixed fee.
    quantity: Decimal
    #: The sum of the parts' amounts.
    amount: Decimal
    parts: tuple[RatedPart, ...]
    #: The whole arithmetic on one line.
    note: str


def show(value: Decimal) -> str:
    """A quantity as people write it: thousands grouped, no trailing zeros (12,345.5)."""
    normal = value.normalize()
    return format(normal if normal else _ZERO, ",f")


def _price_text(value: Decimal) -> str:
    """A unit price as the seller wrote it (0.0100 keeps its places), thousands grouped."""
    return format(value, ",f")


def rate(price: Price, usage: Usage, *, seats: Decimal | int | str | None = None) -> Rated:
    """Price one period: FIXED is one part; SEATS prices ``seats``; METERED ``usage.quantity``.

    The pricing model splits the quantity into parts, each rounded half-up to the currency's
    minor unit; a minimum or maximum per period adds one part that lifts or caps the sum.
    Raises ValidationError for seats missing on a seats price, or a negative quantity.
    """
    if price.kind is PriceKind.FIXED:
        quantity = _ONE
        parts = [_part(price, "fixed fee", _ONE, price.unit_amount, label=False)]
    else:
        quantity = _quantity(price, usage, seats)
        parts = _MODELS[price.model](price, quantity, usage)
    total = sum((p.amount for p in parts), _ZERO)
    bound = _bound(price, total)
    if bound is not None:
        parts.append(bound)
        total += bound.amount
    total = _quantize(total, price.currency)
    note = parts[0].note if len(parts) == 1 else "; ".join(p.note for p in parts)
    if len(parts) > 1:
        note = f"{note}; total {_price_text(total)}"
    return Rated(quantity=quantity, amount=total, parts=tuple(parts), note=note)


def _quantity(price: Price, usage: Usage, seats: object) -> Decimal:
    if price.kind is PriceKind.SEATS:
        if seats is None:
            raise ValidationError(
                [problem("seats", "a seats price is rated for a number of seats")], subject="rating"
            )
        value = parse_decimal(seats, path="seats", subject="rating")
        path = "seats"
    else:
        value = parse_decimal(usage.quantity, path="usage.quantity", subject="rating")
        path = "usage.quantity"
    if value < 0:
        raise ValidationError([problem(path, "must be >= 0", value)], subject="rating")
    return value


def _part(
    price: Price,
    what: str,
    quantity: Decimal,
    unit_price: Decimal,
    *,
    label: bool = True,
    arithmetic: str | None = None,
    note: str | None = None,
) -> RatedPart:
    """One part; its note is ``what: arithmetic = amount`` unless ``note`` is given."""
    amount = _quantize(quantity * unit_price, price.currency)
    if note is None:
        shown = arithmetic or f"{show(quantity)} × {_price_text(unit_price)}"
        note = f"{shown} = {_price_text(amount)}"
        note = f"{what}: {note}" if what else note
    description = f"{price.description} ({what})" if label and what else price.description
    return RatedPart(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        note=note,
    )


def _flat(price: Price, what: str, flat: Decimal) -> RatedPart:
    text = f"{what}: flat fee {_price_text(flat)}"
    return _part(price, f"{what}, flat fee", _ONE, flat, note=text)


def _per_unit(price: Price, quantity: Decimal, _: Usage) -> list[RatedPart]:
    return [_part(price, "", quantity, price.unit_amount)]


def _package(price: Price, quantity: Decimal, _: Usage) -> list[RatedPart]:
    size = price.package_size or _ONE  # Price.create requires it for PACKAGE
    packages = Decimal(math.ceil(quantity / size))
    arithmetic = (
        f"ceil({show(quantity)} / {show(size)}) = {show(packages)} × "
        f"{_price_text(price.unit_amount)}"
    )
    part = _part(price, "package", packages, price.unit_amount, label=False, arithmetic=arithmetic)
    return [part]


def _bounds(tiers: tuple[Tier, ...]) -> list[tuple[Decimal, Decimal | None, Tier]]:
    """(lower bound exclusive, upper bound inclusive, tier) of each tier."""
    out: list[tuple[Decimal, Decimal | None, Tier]] = []
    lower = _ZERO
    for tier in tiers:
        out.append((lower, tier.up_to, tier))
        lower = tier.up_to if tier.up_to is not None else lower
    return out


def _span(lower: Decimal, upper: Decimal | None) -> str:
    """Units above ``lower`` up to and including ``upper``: '1,001–10,000', '10,001 and up'."""
    whole = lower == lower.to_integral_value()
    start = show(lower + 1) if whole else f"over {show(lower)}"
    if upper is None:
        return f"{start} and up" if whole else start
    return f"{start}–{show(upper)}" if whole else f"{start} to {show(upper)}"


def _range(lower: Decimal, upper: Decimal | None) -> str:
    """A graduated tier: 'first 1,000', 'units 1,001–10,000', 'units 10,001 and up'."""
    if lower == 0:
        return "all units" if upper is None else f"first {show(upper)}"
    return f"units {_span(lower, upper)}"


def _graduated(price: Price, quantity: Decimal, _: Usage) -> list[RatedPart]:
    parts: list[RatedPart] = []
    for lower, upper, tier in _bounds(price.tiers):
        if quantity <= lower and parts:
            break
        units = max(_ZERO, (quantity if upper is None else min(quantity, upper)) - lower)
        what = _range(lower, upper)
        parts.append(_part(price, what, units, tier.unit_amount))
        if tier.flat_amount and quantity > lower:
            parts.append(_flat(price, what, tier.flat_amount))
    return parts


def _volume(price: Price, quantity: Decimal, _: Usage) -> list[RatedPart]:
    for lower, upper, tier in _bounds(price.tiers):
        if upper is None or quantity <= upper:
            what = f"volume tier {_span(lower, upper)}"
            parts = [_part(price, what, quantity, tier.unit_amount)]
            if tier.flat_amount and quantity > 0:
                parts.append(_flat(price, what, tier.flat_amount))
            return parts
    raise AssertionError("Price.create makes the last tier open-ended")  # pragma: no cover


def _percentage(price: Price, quantity: Decimal, usage: Usage) -> list[RatedPart]:
    percent = price.percent or _ZERO  # Price.create requires it for PERCENTAGE
    share = percent / _HUNDRED
    arithmetic = f"{show(percent)}% of {_price_text(quantity)}"
    parts = [_part(price, "", quantity, share, arithmetic=arithmetic)]
    if price.fixed_fee:
        events = Decimal(usage.events)
        parts.append(_part(price, "fee per event", events, price.fixed_fee))
    return parts


_MODELS: Final[dict[PricingModel, Callable[[Price, Decimal, Usage], list[RatedPart]]]] = {
    PricingModel.PER_UNIT: _per_unit,
    PricingModel.PACKAGE: _package,
    PricingModel.GRADUATED: _graduated,
    PricingModel.VOLUME: _volume,
    PricingModel.PERCENTAGE: _percentage,
}


def _bound(price: Price, total: Decimal) -> RatedPart | None:
    """The part that lifts ``total`` to the minimum or caps it at the maximum, if one is needed."""
    if price.minimum is not None and total < price.minimum:
        lift = price.minimum - total
        what = f"minimum {_price_text(price.minimum)} per period"
        return _part(price, what, _ONE, lift, note=f"{what}: +{_price_text(lift)}")
    if price.maximum is not None and total > price.maximum:
        cap = total - price.maximum
        what = f"maximum {_price_text(price.maximum)} per period"
        return _part(price, what, -_ONE, cap, note=f"{what}: -{_price_text(cap)}")
    return None
