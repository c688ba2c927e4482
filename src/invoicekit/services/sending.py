"""Sending an issued invoice's documents: plan the messages, queue them, deliver at once."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable
from datetime import datetime

from invoicekit.domain import lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Customer
from invoicekit.domain.reminding import REMINDER_KINDS, below_minimum
from invoicekit.errors import (
    InvalidTransitionError,
    ValidationError,
    problem,
)
from invoicekit.ports import (
    DOCUMENT_KINDS,
    MessageRecord,
    Transaction,
)
from invoicekit.services import calls
from invoicekit.services.dispatch import Dispatcher, DispatchReport
from invoicekit.services.routing import FAILURE_STEP, plan
from invoicekit.services.unit import Runner

__all__ = ["Sending"]

log = logging.getLogger("invoicekit.sending")


def _default_step(kind: str, invoice: Invoice, today: str) -> str:
    """A reminder's step (today in the seller's books) or a failed-payment notice's (its failure)."""
    if kind != "payment_failed":
        return today
    if not invoice.failures:
        why = f"invoice {invoice.ref} has no failed payment to tell the customer about"
        raise ValidationError([problem("kind", why, kind)], subject="send")
    return f"{FAILURE_STEP}{len(invoice.failures)}"


class Sending:
    """The sending of ``Invoices`` (also used by issue, for ``send_on_issue``)."""

    _run: Runner
    _seller_id: str
    _dispatcher: Dispatcher | None
    _immediate: bool

    def send(
        self,
        invoice_id: str,
        *,
        kind: str = "invoice",
        step: str | None = None,
        about: str | None = None,
        channels: Iterable[str] | None = None,
    ) -> builtins.list[MessageRecord]:
        """Send a document of an issued invoice to its customer on their channels, once.

        ``kind`` is invoice (default), credit_note (``about`` = the credit note id),
        reminder, final_notice, receipt (``about`` = the payment id), refund (``about`` =
        the refund id) or payment_failed (about the invoice's latest failure). Receipts,
        refund confirmations and failed-payment notices also go out by themselves when the
        payment, refund or failure is recorded (see ``Seller.send_receipts``). The message key
        is (invoice, kind, step, channel): calling again with the same step sends
        nothing new, so pass another ``step`` (e.g. "2") to send an invoice again.
        A reminder's default step is today's date in the seller's time zone (as at
        issue): one a day of the seller's books, wherever the server or customer is.
        Delivery happens now, in this thread, unless Billing was built with
        ``dispatch="worker"``. Returns the messages, with their outcome; a customer
        nobody can reach gets one ``failed`` message saying why. A reminder or final
        notice for less than the seller's ``reminder_minimum`` in the invoice's
        currency, or while pending payments (``in_flight``) cover the balance, is not
        sent: the list is empty (and the reason logged).
        """
        if kind not in DOCUMENT_KINDS:
            raise ValidationError(
                [problem("kind", f"allowed: {', '.join(DOCUMENT_KINDS)}", kind)], subject="send"
            )
        if kind in {"receipt", "credit_note", "refund"} and about is None:
            what = {"receipt": "payment", "refund": "refund"}.get(kind, "credit note")
            raise ValidationError(
                [problem("about", f"the id of the {what} this {kind} is about is required")],
                subject="send",
            )
        chosen = None if channels is None else tuple(channels)
        fixed_step: str | None = (
            step or {"invoice": "1", "final_notice": "final"}.get(kind) or about or "1"
        )
        if kind in {"reminder", "payment_failed"} and step is None:
            fixed_step = (
                None  # the day of the seller's books, or the latest failure: read in the tx
            )
        outgoing: builtins.list[MessageRecord] = []

        def body(tx: Transaction, now: datetime) -> str:
            outgoing.clear()
            inv = tx.invoices.get(self._seller_id, invoice_id)
            if lifecycle.Action.SEND not in lifecycle.ALLOWED[inv.status]:
                allowed = [a.value for a in lifecycle.ALLOWED[inv.status]]
                raise InvalidTransitionError(inv.ref, inv.status.value, "send", allowed)
            seller = inv.seller or tx.sellers.get(self._seller_id)  # as at issue, like overdue
            used = fixed_step or _default_step(kind, inv, books_date(now, seller).isoformat())
            minimum = tx.sellers.get(self._seller_id).reminder_minimum  # today's setting
            if kind in REMINDER_KINDS and below_minimum(minimum, inv.amount_due, inv.currency):
                return used  # too little to remind of: no message
            if kind in REMINDER_KINDS and 0 < inv.amount_due <= inv.in_flight:
                log.info(
                    "no %s for invoice %s: %s %s is on its way (pending payments)",
                    kind,
                    inv.ref,
                    inv.in_flight,
                    inv.currency,
                )
                return used  # the money is in flight: no reminder while it covers the balance
            outgoing.extend(self._queue(tx, inv, kind, used, about, chosen, now))
            return used

        call = calls.Send(invoice_id=invoice_id, kind=kind, step=fixed_step)
        chosen_step = self._run.write(self._seller_id, call, body)
        self._deliver(outgoing)
        with self._run.read() as tx:
            stored = tx.messages.list(self._seller_id, invoice_id=invoice_id, limit=10_000)
        prefix = f"{invoice_id}:{kind}:{chosen_step}:"  # every channel, fallbacks included
        return [m for m in stored if m.key.startswith(prefix)]

    def _queue_in(
        self,
        tx: Transaction,
        invoice: Invoice,
        *,
        kind: str,
        step: str,
        channels: tuple[str, ...] | None,
        now: datetime,
    ) -> builtins.list[MessageRecord]:
        """Queue one document's messages in ``tx`` (``run_due``'s reminders); deliver with ``_deliver``."""
        return self._queue(tx, invoice, kind, step, None, channels, now)

    def _queue(  # noqa: PLR0917 - private, called from two places with all of them
        self,
        tx: Transaction,
        invoice: Invoice,
        kind: str,
        step: str,
        about: str | None,
        channels: tuple[str, ...] | None,
        now: datetime,
        customer: Customer | None = None,
    ) -> builtins.list[MessageRecord]:
        """Queue the messages of one document (leased to us when delivering at once).

        ``customer`` is the invoice's, when the caller has it loaded already.
        """
        if self._dispatcher is None:
            raise ValidationError(
                [problem("notifiers", "Billing has no notifiers to send with")], subject="send"
            )
        if customer is None:
            customer = tx.customers.get(self._seller_id, invoice.customer_id)
        records = plan(
            seller_id=self._seller_id,
            invoice_id=invoice.id,
            customer=customer,
            kind=kind,
            step=step,
            now=now,
            notifiers=self._dispatcher.notifiers,
            channels=channels,
            subject_id=about,
        )
        if self._immediate:
            records = self._dispatcher.leased(records, now)
        return tx.messages.enqueue(records)

    def _deliver(self, records: builtins.list[MessageRecord]) -> DispatchReport:
        """Deliver freshly queued messages now when Billing dispatches immediately."""
        report = DispatchReport()
        if self._dispatcher is not None and self._immediate and records:
            self._dispatcher.deliver_all(records, report)
        return report
