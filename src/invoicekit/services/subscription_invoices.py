"""What subscription invoices share: their ids, changes billed at once, and status from collection.

* ``subscription_invoice_id``: the invoice of period ``n`` of a subscription has an id
  derived from (seller, subscription, ``n``), so any number of runs and workers add it
  once (I2), as ``records.occurrence_invoice_id`` does for recurring templates.
* ``bill_now``: a change with ``invoice_now`` bills its proration lines on an invoice issued
  in the change's transaction; when they net below zero there is nothing to charge, and
  a standalone credit note (the credit-note series) states what the customer is owed.
* ``SubscriptionStatusHook``: a failed collection of a subscription's invoice makes it
  ``past_due``; the last failure the dunning policy retries ends dunning, and the
  subscription becomes ``canceled`` or ``unpaid`` (the seller's ``subscription_on_dunning_end``);
  paid, it is ``active`` again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from invoicekit.domain import subscription_changes as subs
from invoicekit.domain.calendar import books_date
from invoicekit.domain.events import CollectionFailed, Event, InvoicePaid, PaymentFailed
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.parties import Customer
from invoicekit.domain.standalone_credit import standalone_credit_note
from invoicekit.domain.subscription import Change, SubscriptionStatus
from invoicekit.errors import NotFoundError, ValidationError
from invoicekit.ports import Transaction
from invoicekit.services.unit import Runner

__all__ = [
    "SUBSCRIPTION",
    "IssueIn",
    "SubscriptionStatusHook",
    "bill_now",
    "subscription_invoice_id",
]

#: Issues loaded drafts inside the caller's transaction (``Invoices._issue_in``).
IssueIn = Callable[
    [Transaction, Sequence[Invoice], datetime, dict[str, Customer]], Sequence[Invoice]
]
#: The metadata key naming the subscription an invoice bills.
SUBSCRIPTION: Final = "subscription"


def subscription_invoice_id(seller_id: str, subscription_id: str, index: int) -> str:
    """The invoice id of bill ``index`` of a subscription: the same on every run and worker (I2)."""
    digest = hashlib.sha256(f"{seller_id}\x00{subscription_id}\x00{index}".encode()).hexdigest()
    return f"inv_s{digest[:32]}"


def _negated(line: Line) -> Line:
    return attrs.evolve(line, quantity=-line.quantity)


def bill_now(
    tx: Transaction,
    run: Runner,
    seller_id: str,
    *,
    change: Change,
    now: datetime,
    issue_in: IssueIn,
) -> tuple[str | None, str | None]:
    """Bill ``change.lines`` at once: an issued invoice, or a credit note when they net below 0.

    Returns (invoice id, credit note id), one of them None. Runs in the change's transaction.
    """
    sub = change.subscription
    seller = tx.sellers.get(seller_id)
    customer = tx.customers.get(seller_id, sub.customer_id)
    net = sum((line.quantity * line.unit_price for line in change.lines), Decimal(0))
    if net >= 0:
        draft = Invoice.draft(
            id=run.new_id("inv"),
            seller=seller,
            customer=customer,
            lines=change.lines,
            at=now,
            currency=sub.currency,
            terms=sub.terms,
            metadata={SUBSCRIPTION: sub.id, "change": "invoice_now"},
        )
        tx.invoices.add(draft)
        issued = issue_in(tx, [draft], now, {customer.id: customer})
        return issued[0].id, None
    series = seller.series_named("credit_note")
    issue_date = books_date(now, seller)
    seq = tx.sequences.next_value(seller_id, series.name, series.format.period_key(issue_date))
    note = standalone_credit_note(
        id=run.new_id("cn"),
        number=series.number(seq, issue_date),
        seller=seller,
        customer=customer,
        lines=[_negated(line) for line in change.lines],
        issue_date=issue_date,
        issued_at=now,
        reason=f"Subscription {sub.id}: change billed at once",
    )
    tx.credit_notes.add(note)
    return None, note.id


class SubscriptionStatusHook:
    """A ``Runner.on_change`` hook: collection outcomes of subscription invoices set its status."""

    def __call__(
        self, tx: Transaction, invoice: Invoice, events: Sequence[Event], now: datetime
    ) -> None:
        """Set the status of the subscription ``invoice`` bills, if the events call for it."""
        subscription_id = invoice.metadata.get(SUBSCRIPTION)
        if not isinstance(subscription_id, str):
            return
        failed = any(isinstance(e, CollectionFailed | PaymentFailed) for e in events)
        paid = any(isinstance(e, InvoicePaid) for e in events)
        if not failed and not paid:
            return
        try:
            record = tx.subscriptions.get(invoice.seller_id, subscription_id, for_update=True)
        except NotFoundError:
            return
        sub = record.subscription
        if sub.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.PAUSED):
            return
        if paid:
            status = SubscriptionStatus.ACTIVE
        elif self._dunning_ended(tx, invoice):
            status = SubscriptionStatus(
                tx.sellers.get(invoice.seller_id).subscription_on_dunning_end
            )
        else:
            status = SubscriptionStatus.PAST_DUE
        if status is sub.status:
            return
        steps = [status]
        if status is not SubscriptionStatus.PAST_DUE and sub.status is SubscriptionStatus.ACTIVE:
            steps.insert(0, SubscriptionStatus.PAST_DUE)  # dunning ended at the first failure
        changed = sub
        try:
            for step in steps:
                changed = subs.set_status(changed, step, at=now)
        except ValidationError:
            return  # not a move its status allows (a trial, say): leave it
        tx.subscriptions.save(
            attrs.evolve(record, subscription=changed), expected_version=record.version
        )

    @staticmethod
    def _dunning_ended(tx: Transaction, invoice: Invoice) -> bool:
        """Every retry of the dunning policy has failed (the first charge and each retry)."""
        policy = tx.sellers.get(invoice.seller_id).dunning
        if policy is None:  # no dunning: it never ends by itself
            return False
        return len(invoice.failures) > len(policy.retry_days)
