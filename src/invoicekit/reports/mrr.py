"""Monthly recurring revenue: a list of sources, each adding its MRR per currency.

``RecurringTemplates`` is the source built in: active recurring templates, each
template's amount without VAT normalised to a month (weekly × 52 ÷ 12, monthly ÷ n,
quarterly ÷ 3n, yearly ÷ 12n for "every n"). Subscriptions are the second
(``reports.mrr_subscriptions``); any object with ``mrr(tx, seller_id, today)`` appended
to ``Billing.mrr_sources`` adds another (see docs/explanation/report-definitions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final, Protocol

from invoicekit.domain.recurring import RecurringTemplate, TemplateStatus
from invoicekit.domain.schedule import Frequency
from invoicekit.domain.totals import compute_totals
from invoicekit.money import minor_unit
from invoicekit.repositories import Transaction

__all__ = ["MrrSource", "RecurringTemplates", "monthly_amount", "total_mrr"]

_PAGE: Final = 500


class MrrSource(Protocol):
    """Something that bills again and again: its monthly recurring revenue per currency."""

    def mrr(self, tx: Transaction, seller_id: str, today: date) -> dict[str, Decimal]:
        """MRR per currency on ``today``, exact (rounded once, by ``total_mrr``)."""


def monthly_amount(amount: Decimal, frequency: Frequency, interval: int) -> Decimal | None:
    """``amount`` billed every ``interval`` periods of ``frequency``, per month; None for custom rules."""
    if frequency is Frequency.MONTHLY:
        return amount / interval
    if frequency is Frequency.QUARTERLY:
        return amount / (3 * interval)
    if frequency is Frequency.YEARLY:
        return amount / (12 * interval)
    if frequency is Frequency.WEEKLY:
        return amount * 52 / (12 * interval)
    return None


def _bills_on(template: RecurringTemplate, today: date) -> bool:
    schedule = template.schedule
    return (
        template.status is TemplateStatus.ACTIVE
        and schedule.start <= today
        and (schedule.end is None or today < schedule.end)
    )


class RecurringTemplates:
    """MRR of the seller's active recurring templates (amounts without VAT)."""

    def mrr(self, tx: Transaction, seller_id: str, today: date) -> dict[str, Decimal]:
        """Each active template's net amount per month, added up per currency."""
        found: dict[str, Decimal] = {}
        after: str | None = None
        while True:
            page = tx.recurring.list(seller_id, status="active", limit=_PAGE, after=after)
            for record in page:
                template = record.template
                if not _bills_on(template, today):
                    continue
                net = compute_totals(template.currency, template.lines).tax_exclusive
                schedule = template.schedule
                monthly = monthly_amount(net, schedule.frequency, schedule.interval)
                if monthly is not None:
                    found[template.currency] = found.get(template.currency, Decimal(0)) + monthly
            if len(page) < _PAGE:
                return found
            after = page[-1].template.id


def total_mrr(
    sources: Sequence[MrrSource], tx: Transaction, seller_id: str, today: date
) -> dict[str, Decimal]:
    """Every source's MRR added per currency, rounded half-even to the currency's minor unit."""
    found: dict[str, Decimal] = {}
    for source in sources:
        for currency, amount in source.mrr(tx, seller_id, today).items():
            found[currency] = found.get(currency, Decimal(0)) + amount
    return {
        cur: amount.quantize(minor_unit(cur), rounding=ROUND_HALF_EVEN)
        for cur, amount in sorted(found.items())
    }
