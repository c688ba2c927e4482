"""What a change tells the customer: a receipt when money arrives, a notice when a payment fails or is refunded.

The messages are queued in the transaction that records the change, from whatever
records it (a manual payment, a provider's webhook, customer credit). Their keys
name the payment, the failure or the refund, so each is queued once, also under
replays and concurrent workers; with ``dispatch="now"`` they go out right after the
commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from invoicekit.domain import events as ev
from invoicekit.domain.invoice import Invoice
from invoicekit.ports import MessageRecord, Transaction
from invoicekit.services.dispatch import Dispatcher, DispatchReport
from invoicekit.services.routing import FAILURE_STEP, plan
from invoicekit.services.unit import Runner

__all__ = ["CustomerNotices"]


def _documents(
    invoice: Invoice, events: Sequence[ev.Event], receipts: bool
) -> Iterator[tuple[str, str, str | None]]:
    """(kind, step, what it is about) of each document ``events`` call for."""
    failures = [e for e in events if isinstance(e, ev.PaymentFailed | ev.CollectionFailed)]
    first_failure = len(invoice.failures) - len(failures) + 1
    for event in events:
        if isinstance(event, ev.PaymentSucceeded) and receipts:
            yield "receipt", event.payment_id, event.payment_id
        elif isinstance(event, ev.PaymentFailed | ev.CollectionFailed):
            step = f"{FAILURE_STEP}{first_failure + failures.index(event)}"
            yield "payment_failed", step, getattr(event, "payment_id", None)
        elif isinstance(event, ev.PaymentRefunded):
            yield "refund", event.refund_id, event.refund_id


class CustomerNotices:
    """Queues the customer's receipt, failed-payment and refund documents for each change."""

    def __init__(self, runner: Runner, dispatcher: Dispatcher, *, immediate: bool) -> None:
        self._run = runner
        self._dispatcher = dispatcher
        self._immediate = immediate

    def __call__(
        self, tx: Transaction, invoice: Invoice, events: Sequence[ev.Event], now: datetime
    ) -> None:
        """Queue what ``events`` of ``invoice`` tell its customer; deliver them after the commit."""
        relevant = (ev.PaymentSucceeded, ev.PaymentFailed, ev.CollectionFailed, ev.PaymentRefunded)
        if not any(isinstance(e, relevant) for e in events):
            return
        receipts = tx.sellers.get(invoice.seller_id).send_receipts  # today's setting
        wanted = list(_documents(invoice, events, receipts))
        if not wanted:
            return
        customer = tx.customers.get(invoice.seller_id, invoice.customer_id)
        queued: list[MessageRecord] = []
        for kind, step, about in wanted:
            records = plan(
                seller_id=invoice.seller_id,
                invoice_id=invoice.id,
                customer=customer,
                kind=kind,
                step=step,
                now=now,
                notifiers=self._dispatcher.notifiers,
                subject_id=about,
            )
            if self._immediate:
                records = self._dispatcher.leased(records, now)
            queued += tx.messages.enqueue(records)  # an existing key adds nothing: once only
        if self._immediate and queued:
            self._run.after_commit(lambda: self._deliver(queued))

    def _deliver(self, records: list[MessageRecord]) -> None:
        self._dispatcher.deliver_all(records, DispatchReport())
