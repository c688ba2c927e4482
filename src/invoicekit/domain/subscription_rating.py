"""The one place subscriptions ask pricing for amounts: a price's parts for seats or usage.

Subscription billing and proration rate through here, so both bill the same amounts. Pure.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from invoicekit.domain.pricing import Price, PriceKind
from invoicekit.domain.pricing_rate import Rated, rate
from invoicekit.domain.usage import Usage

__all__ = ["Rated", "item_rated", "period_amount"]

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
