"""The MRR of subscriptions: what each billing subscription's fixed and seat prices bring a month.

Counted: subscriptions that are active, past due or unpaid (they still bill), not in a
trial, not paused and not cancelled on ``today``. Per item, the price rated for the
item's seats (``rate``) without VAT, normalised to a month as templates are. Metered
prices are left out (usage is not recurring revenue until billed), and so are coupons
and pending proration lines: MRR is the run rate of the price list.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from invoicekit.domain.pricing import PriceKind
from invoicekit.domain.pricing_rate import rate
from invoicekit.domain.subscription import Subscription, SubscriptionStatus
from invoicekit.domain.usage import Usage
from invoicekit.reports.mrr import monthly_amount
from invoicekit.repositories import Transaction

__all__ = ["Subscriptions"]

_PAGE: Final = 500
#: The statuses of subscriptions that still bill their prices.
_BILLING: Final = frozenset(
    {SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID}
)


def _counts(sub: Subscription, today: date) -> bool:
    """Whether ``sub`` bills its prices on ``today`` (its schedule has started, nothing stops it)."""
    if sub.status not in _BILLING or sub.schedule.start > today:
        return False
    if sub.cancel_at is not None and sub.cancel_at.date() <= today:
        return False
    return not any(
        p.start.date() <= today and (p.end is None or today < p.end.date()) for p in sub.pauses
    )


def subscription_mrr(sub: Subscription) -> Decimal | None:
    """The monthly amount of ``sub``'s fixed and seat prices; None for a custom schedule."""
    total = Decimal(0)
    for item in sub.items:
        if item.price.kind is PriceKind.METERED:
            continue
        seats = item.quantity if item.price.kind is PriceKind.SEATS else None
        total += rate(item.price, Usage(), seats=seats).amount
    return monthly_amount(total, sub.schedule.frequency, sub.schedule.interval)


class Subscriptions:
    """MRR of the seller's billing subscriptions (amounts without VAT)."""

    def mrr(self, tx: Transaction, seller_id: str, today: date) -> dict[str, Decimal]:
        """Each counted subscription's fixed and seat prices per month, added up per currency."""
        found: dict[str, Decimal] = {}
        after: str | None = None
        while True:
            page = tx.subscriptions.list(seller_id, limit=_PAGE, after=after)
            for record in page:
                sub = record.subscription
                if not _counts(sub, today):
                    continue
                monthly = subscription_mrr(sub)
                if monthly is not None:
                    found[sub.currency] = found.get(sub.currency, Decimal(0)) + monthly
            if len(page) < _PAGE:
                return found
            after = page[-1].subscription.id
