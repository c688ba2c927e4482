"""The one place subscriptions ask pricing for amounts: a price's parts for seats or usage.

Subscription billing and proration rate through here, so both bill the same amounts. Pure.

Ratings are remembered, as a ``Rated`` is frozen and ``rate`` is pure: a FIXED or SEATS
price's by the price object (and the seats), since every subscription of a plan shares
them once read from the store; a METERED price's last rating by the price and usage
objects, since a bill rates each window twice (its lines, then what it billed). A
``run_due`` over 10,000 subscriptions rated each fixed fee 10,000 times (issue 16).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import attrs

from invoicekit.domain.pricing import Price, PriceKind
from invoicekit.domain.pricing_rate import Rated, rate
from invoicekit.domain.usage import Usage

__all__ = ["Rated", "item_rated", "period_amount"]

_NO_USAGE: Final = Usage()
#: Fee ratings kept before the memo starts afresh (bounds memory, not speed).
_KEPT: Final = 1024


@attrs.frozen
class _Memo:
    """One remembered rating, with the objects it is for (compared by identity)."""

    price: Price
    seats: str | None
    usage: Usage | None
    rated: Rated


#: FIXED and SEATS ratings by (id of the price, the Decimal seats as written).
_fees: dict[tuple[int, str | None], _Memo] = {}
#: The last METERED rating (one tuple, replaced whole: safe across threads).
_last: list[_Memo | None] = [None]


def item_rated(price: Price, quantity: Decimal, usage: Usage | None = None) -> Rated:
    """``price`` rated for one period: FIXED once, SEATS for ``quantity``, METERED from ``usage``."""
    if price.kind is PriceKind.METERED:
        used = usage or _NO_USAGE
        last = _last[0]
        if last is not None and last.price is price and last.usage is used:
            return last.rated
        rated = rate(price, used)
        _last[0] = _Memo(price, None, used, rated)
        return rated
    seats = None
    if price.kind is PriceKind.SEATS:
        if type(quantity) is not Decimal:  # as given: rate checks it (and refuses a float)
            return rate(price, _NO_USAGE, seats=quantity)
        seats = str(quantity)
    memo = _fees.get((id(price), seats))
    if memo is not None and memo.price is price:
        return memo.rated
    rated = rate(price, _NO_USAGE, seats=None if seats is None else quantity)
    if len(_fees) >= _KEPT:
        _fees.clear()
    _fees[id(price), seats] = _Memo(price, seats, None, rated)
    return rated


def period_amount(price: Price, quantity: Decimal) -> tuple[Decimal, str]:
    """A FIXED or SEATS item's amount for a whole period, and the arithmetic behind it."""
    rated = item_rated(price, quantity)
    return rated.amount, rated.note
