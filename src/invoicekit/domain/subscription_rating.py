"""The one place subscriptions ask pricing for amounts: a price's parts for seats or usage.

Subscription billing and proration rate through here, so both bill the same amounts. Pure.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import attrs

from invoicekit.domain.pricing import Price, PriceKind, PricingModel
from invoicekit.domain.usage import Usage
from invoicekit.money import quantize

__all__ = ["item_rated", "period_amount"]

_NO_USAGE: Final = Usage()


def item_rated(price: Price, quantity: Decimal, usage: Usage | None = None) -> Rated:
    """``price`` rated for one period: FIXED once, SEATS for ``quantity``, METERED from ``usage``."""
    if price.kind is PriceKind.METERED:
        return rate(price, usage or _NO_USAGE)
    if price.kind is PriceKind.SEATS:
        return rate(price, _NO_USAGE, seats=quantity)
    return rate(price, _NO_USAGE)


def period_amount(price: Price, quantity: Decimal) -> tuple[Decimal, str]:
    """A FIXED or SEATS item's amount for a whole period, and the arithmetic behind it."""
    rated = item_rated(price, quantity)
    return rated.amount, rated.note


# -- stand-in for pricing.rate until the pricing branch is merged (per unit only) ----------


@attrs.frozen
class RatedPart:
    """One part of a rated amount (stand-in for pricing.RatedPart)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    note: str


@attrs.frozen
class Rated:
    """A rated amount (stand-in for pricing.Rated)."""

    quantity: Decimal
    amount: Decimal
    parts: tuple[RatedPart, ...]
    note: str


def rate(price: Price, usage: Usage, *, seats: Decimal | None = None) -> Rated:
    """Per-unit rating only (stand-in for pricing.rate)."""
    if price.model is not PricingModel.PER_UNIT:
        raise NotImplementedError(price.model)
    if price.kind is PriceKind.FIXED:
        quantity = Decimal(1)
    elif price.kind is PriceKind.SEATS:
        quantity = Decimal(0) if seats is None else seats
    else:
        quantity = usage.quantity
    amount = quantize(quantity * price.unit_amount, price.currency)
    note = f"{quantity} × {price.unit_amount} = {amount}"
    part = RatedPart(price.description, quantity, price.unit_amount, amount, note)
    return Rated(quantity, amount, (part,), note)
