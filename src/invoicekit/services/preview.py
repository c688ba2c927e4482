"""``subscriptions.preview``: the next invoice of a subscription, computed as ``run_due`` will, unsaved.

The same code as the real bill (``subscription_lines.compose``) in a read-only
transaction: the next bill after the last one invoiced, its usage so far, pending
proration lines, coupons and late usage. A proposed change (another plan, other
quantities) is the domain's change applied at ``at`` to a copy, prorated; nothing is
written, so the storage is unchanged (issue 16 item 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from invoicekit.domain import subscription_changes as subs
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.subscription import ProrationBehavior, Subscription
from invoicekit.domain.subscription_billing import due_bills
from invoicekit.errors import ValidationError, problem
from invoicekit.services.subscription_billing import end_trial_if_due
from invoicekit.services.subscription_invoices import SUBSCRIPTION, subscription_invoice_id
from invoicekit.services.subscription_lines import compose
from invoicekit.services.unit import Runner

__all__ = ["Preview"]

#: How far ahead the next bill is looked for (a yearly plan, or a long trial).
_HORIZON: Final = timedelta(days=800)


class Preview:
    """Previews of one seller's subscriptions."""

    def __init__(self, runner: Runner, seller_id: str) -> None:
        self._run = runner
        self._seller_id = seller_id

    def __call__(
        self,
        subscription_id: str,
        at: datetime | None,
        change_plan: str | None,
        quantities: Mapping[str, Any] | None,
    ) -> Invoice:
        """The next invoice of ``subscription_id`` at ``at``, with a proposed change; unsaved."""
        when = at or self._run.clock.now()
        with self._run.read() as tx:
            record = tx.subscriptions.get(self._seller_id, subscription_id)
            seller = tx.sellers.get(self._seller_id)
            customer = tx.customers.get(self._seller_id, record.subscription.customer_id)
            sub = record.subscription
            if change_plan is not None:
                plan = tx.catalog.get_plan(self._seller_id, change_plan)
                sub = subs.change_plan(
                    sub,
                    plan,
                    at=when,
                    proration=ProrationBehavior.PRORATE,
                    quantities=quantities,
                ).subscription
            elif quantities:
                sub = self._quantities(sub, quantities, when)
            # A trial ending before the next bill ends as run_due will end it.
            sub = end_trial_if_due(sub, seller, customer, when + _HORIZON)
            for bill in due_bills(sub, record.last_index, when + _HORIZON):
                if bill.skipped is not None:
                    continue
                composed = compose(tx, record, sub, bill, when, late=True)
                return Invoice.draft(
                    id=subscription_invoice_id(self._seller_id, sub.id, bill.index),
                    seller=seller,
                    customer=customer,
                    lines=composed.lines,
                    at=bill.bill_at,
                    currency=sub.currency,
                    terms=sub.terms,
                    metadata={SUBSCRIPTION: sub.id, "period": bill.index},
                )
        raise ValidationError(
            [problem("subscription_id", "has no further invoice to preview", subscription_id)],
            subject="preview",
        )

    @staticmethod
    def _quantities(
        sub: Subscription, quantities: Mapping[str, Any], when: datetime
    ) -> Subscription:
        for price_id, quantity in quantities.items():
            sub = subs.change_quantity(
                sub, price_id, Decimal(str(quantity)), at=when, proration=ProrationBehavior.PRORATE
            ).subscription
        return sub
