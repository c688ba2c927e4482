"""The dispatcher: delivers queued messages at least once, retrying temporary failures.

Each message is claimed under a lease in its own short transaction, rendered
and handed to its channel's notifier outside any transaction, then recorded as
sent (or failed) in another. A dispatcher that dies mid-send leaves the message
``sending``; once its lease expires another dispatcher claims it again, so
nothing is lost, and the repeat carries the same key (Message-ID, webhook id,
inbox key) for the recipient to drop. Several dispatchers may run at once: the
storage never gives one message to two of them while a lease holds. Its values
(``RetryPolicy``, ``DispatchReport``) are in dispatch_policy, re-exported here.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

import attrs

from invoicekit.domain import lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.events import ReceiptSent
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import (
    DeliveryError,
    InvalidTransitionError,
    InvoiceKitError,
    NotFoundError,
    ValidationError,
    problem,
)
from invoicekit.ports import (
    DocumentContext,
    MessageRecord,
    MessageStatus,
    Notifier,
    OutgoingMessage,
    RenderedDocument,
    Renderer,
    Transaction,
)
from invoicekit.services.dispatch_policy import DispatchReport, RetryPolicy
from invoicekit.services.due_snapshot import interest_of
from invoicekit.services.routing import failure_of, message_key, recipient
from invoicekit.services.unit import Runner

__all__ = ["DispatchReport", "Dispatcher", "RetryPolicy"]

log = logging.getLogger("invoicekit.dispatch")

_MAX_ERROR: Final = 500


def _default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _facts(invoice: Invoice) -> dict[str, str | None]:
    """The invoice's facts as strings: for machine channels (a webhook's JSON), the From name."""
    return {
        "number": invoice.number,
        "seller": invoice.seller.name if invoice.seller is not None else None,
        "status": invoice.status.value,
        "currency": invoice.currency,
        "total": str(invoice.totals.tax_inclusive),
        "amount_due": str(invoice.amount_due),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "payment_link": invoice.payment_link,
    }


class Dispatcher:
    """Delivers queued messages through the notifiers, one lease at a time."""

    def __init__(
        self,
        runner: Runner,
        notifiers: Mapping[str, Notifier],
        renderer: Callable[[], Renderer],
        *,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(minutes=5),
        attach_pdf: bool = False,
        owner: str | None = None,
    ) -> None:
        self._run = runner
        self.notifiers = dict(notifiers)
        self._renderer = renderer
        self.retry = retry or RetryPolicy()
        self.lease = lease
        self.attach_pdf = attach_pdf
        self.owner = owner or _default_owner()
        #: Mints the pay link of a message being composed (``Billing(pay_url=...)``), or None.
        self.pay_link: Callable[[MessageRecord, Invoice], str | None] | None = None

    # -- claiming -----------------------------------------------------------------------

    def claim(self, *, limit: int, seller_id: str | None = None) -> list[MessageRecord]:
        """Claim up to ``limit`` due messages for this dispatcher (one short transaction)."""
        with self._run.storage.transaction() as tx:
            now = self._run.clock.now()
            return tx.messages.claim(
                now=now,
                owner=self.owner,
                lease_until=now + self.lease,
                limit=limit,
                seller_id=seller_id,
            )

    def leased(self, records: Sequence[MessageRecord], now: datetime) -> list[MessageRecord]:
        """``records`` as already claimed by this dispatcher, for sending right after enqueueing."""
        return [
            attrs.evolve(
                r,
                status=MessageStatus.SENDING,
                lease_owner=self.owner,
                lease_expires_at=now + self.lease,
                attempts=1,
            )
            if r.status is MessageStatus.QUEUED
            else r
            for r in records
        ]

    def dispatch(self, *, limit: int = 100, seller_id: str | None = None) -> DispatchReport:
        """Deliver up to ``limit`` due messages now, in the calling thread."""
        report = DispatchReport()
        while report.count < limit:
            batch = self.claim(limit=min(20, limit - report.count), seller_id=seller_id)
            if not batch:
                break
            self._run.faults.hit("after_claim")
            self.deliver_all(batch, report)
        return report

    def run(
        self,
        stop: threading.Event,
        *,
        interval: float = 1.0,
        seller_id: str | None = None,
        also: Callable[[], int] | None = None,
    ) -> None:
        """Dispatch until ``stop`` is set, sleeping ``interval`` seconds whenever nothing is due.

        ``also`` is more work for each round (the event handlers); it returns how much it did.
        """
        while not stop.is_set():
            try:
                report = self.dispatch(seller_id=seller_id)
            except InvoiceKitError:
                log.exception("dispatch run failed; trying again in %.1f s", interval)
                report = DispatchReport()
            extra = also() if also is not None else 0
            if report.count == 0 and extra == 0:
                stop.wait(interval)

    # -- delivering ---------------------------------------------------------------------

    def deliver_all(self, records: Sequence[MessageRecord], report: DispatchReport) -> None:
        """Deliver claimed ``records``, recording each outcome in ``report``."""
        for record in records:
            if record.status is MessageStatus.SENDING:
                self.deliver(record, report)

    def deliver(self, record: MessageRecord, report: DispatchReport) -> None:
        """Render, send and record one claimed message."""
        faults = self._run.faults
        notifier = self.notifiers.get(record.channel)
        try:
            if notifier is None:
                raise DeliveryError(
                    f"no notifier for channel {record.channel!r} is configured on Billing",
                    channel=record.channel,
                )
            message = self.compose(record)
            faults.hit("before_send")
            delivery = notifier.send(message)
            faults.hit("after_send")
        except DeliveryError as exc:
            self._failed(record, str(exc), retryable=exc.retryable, report=report)
            return
        except (ValidationError, NotFoundError) as exc:
            self._failed(record, str(exc), retryable=False, report=report)
            return
        except Exception as exc:  # an adapter's bug must not stop the other messages
            log.exception("notifier for %s raised while sending %s", record.channel, record.key)
            self._failed(record, f"{type(exc).__name__}: {exc}", retryable=True, report=report)
            return
        self._sent(record, delivery.provider_id)
        report.sent.append(record.key)

    def compose(self, record: MessageRecord) -> OutgoingMessage:
        """The message for ``record``: the invoice rendered in the formats its channel needs."""
        if record.invoice_id is None:
            raise ValidationError(
                [problem("invoice_id", "this message is about no invoice", None)],
                subject=f"message {record.key!r}",
            )
        with self._run.read() as tx:
            invoice = tx.invoices.get(record.seller_id, record.invoice_id)
            context = self._context(tx, record, invoice)
        pay_url = self.pay_link(record, invoice) if self.pay_link is not None else None
        if pay_url is not None:
            context = attrs.evolve(context, pay_url=pay_url)
        renderer = self._renderer()

        def render(media_type: str) -> RenderedDocument:
            return renderer.render(record.kind, invoice, media_type=media_type, context=context)

        html: str | None = None
        attachments: tuple[RenderedDocument, ...] = ()
        if record.channel == "sms":
            doc = render("text/x-short")
            text = doc.content.decode()
        else:
            doc = render("text/plain")
            text = doc.content.decode()
            if record.channel in {"email", "in_app"}:
                html = render("text/html").content.decode()
            if record.channel == "email" and self.attach_pdf:
                attachments = (render("application/pdf"),)
        return OutgoingMessage(
            key=record.key,
            channel=record.channel,
            recipient=record.recipient,
            subject=doc.title,
            text=text,
            html=html,
            attachments=attachments,
            seller_id=record.seller_id,
            customer_id=record.customer_id,
            kind=record.kind,
            invoice_id=record.invoice_id,
            url=pay_url or invoice.payment_link,
            data=_facts(invoice) if pay_url is None else {**_facts(invoice), "pay_url": pay_url},
        )

    @staticmethod
    def _context(tx: Transaction, record: MessageRecord, invoice: Invoice) -> DocumentContext:
        seller = invoice.seller or tx.sellers.get(record.seller_id)
        as_of = books_date(record.created_at, seller)
        if record.kind == "receipt":
            return DocumentContext(as_of=as_of, payment_id=record.subject_id)
        if record.kind == "refund":
            return DocumentContext(as_of=as_of, refund_id=record.subject_id)
        if record.kind == "payment_failed":
            failure = failure_of(invoice, record.step)
            return DocumentContext(as_of=as_of, payment_id=record.subject_id, failure=failure)
        if record.kind == "credit_note" and record.subject_id is not None:
            note = tx.credit_notes.get(record.seller_id, record.subject_id)
            return DocumentContext(as_of=as_of, credit_note=note)
        if record.kind in {"reminder", "final_notice"}:
            interest = interest_of(tx, record.seller_id, invoice.id, record.step)
            return DocumentContext(as_of=as_of, interest=interest)
        return DocumentContext(as_of=as_of)

    # -- recording ----------------------------------------------------------------------

    def _sent(self, record: MessageRecord, provider_id: str | None) -> None:
        with self._run.storage.transaction() as tx:
            now = self._run.clock.now()
            tx.messages.complete(record.seller_id, record.key, at=now, provider_id=provider_id)
            if record.kind == "invoice" and record.invoice_id is not None:
                self._note_sent(tx, record, now)
            elif record.kind == "receipt" and record.invoice_id is not None:
                self._note_receipt(tx, record, now)

    def _note_receipt(self, tx: Transaction, record: MessageRecord, now: datetime) -> None:
        """Record that a receipt went out (ReceiptSent, ``payment.receipt_sent``)."""
        assert record.invoice_id is not None  # noqa: S101 - checked by the caller
        try:
            invoice = tx.invoices.get(record.seller_id, record.invoice_id)
        except NotFoundError:
            return  # the receipt went out; recording it as sent matters more than the event
        sent = ReceiptSent(
            invoice_id=invoice.id, at=now, payment_id=record.subject_id, channel=record.channel
        )
        tx.outbox.append(self._run.outbox_records(invoice, [sent]))

    def _note_sent(self, tx: Transaction, record: MessageRecord, now: datetime) -> None:
        """Record on the invoice that it went out on this channel (InvoiceSent)."""
        assert record.invoice_id is not None  # noqa: S101 - checked by the caller
        invoice = tx.invoices.get(record.seller_id, record.invoice_id, for_update=True)
        try:
            new, events = lifecycle.apply(invoice, lifecycle.Send(record.channel), at=now)
        except InvalidTransitionError:
            return  # voided since it was queued: the message went out, the invoice stays void
        if new is not invoice:
            tx.invoices.save(new, expected_version=invoice.version)
        tx.outbox.append(self._run.outbox_records(new, events, before=str(invoice.status)))

    def _failed(
        self, record: MessageRecord, error: str, *, retryable: bool, report: DispatchReport
    ) -> None:
        error = error[:_MAX_ERROR]
        with self._run.storage.transaction() as tx:
            now = self._run.clock.now()
            retry_at = (
                self.retry.next_attempt(record.key, record.attempts, now) if retryable else None
            )
            tx.messages.fail(record.seller_id, record.key, error=error, retry_at=retry_at)
            fallback = self._fallback(tx, record, now) if retry_at is None else None
        if retry_at is not None:
            log.warning("message %s failed (%s); retrying at %s", record.key, error, retry_at)
            report.retrying.append((record.key, error))
            return
        log.error("message %s failed for good: %s", record.key, error)
        report.failed.append((record.key, error))
        if fallback is not None:
            self.deliver(fallback, report)

    def _fallback(
        self, tx: Transaction, record: MessageRecord, now: datetime
    ) -> MessageRecord | None:
        """Queue the message on the customer's next usable fallback channel, already leased."""
        if record.invoice_id is None:
            return None
        try:
            customer = tx.customers.get(record.seller_id, record.customer_id)
        except NotFoundError:
            return None
        for channel in customer.fallback:
            route = recipient(customer, channel, self.notifiers)
            if not isinstance(route, str) and channel != record.channel:
                candidate = attrs.evolve(
                    record,
                    key=message_key(record.invoice_id, record.kind, record.step, channel),
                    channel=channel,
                    recipient=route.recipient,
                    status=MessageStatus.QUEUED,
                    attempts=0,
                    last_error=None,
                    lease_owner=None,
                    lease_expires_at=None,
                    created_at=now,
                    next_attempt_at=now,
                    position=None,
                )
                added = tx.messages.enqueue(self.leased([candidate], now))
                if added:
                    return added[0]
        return None
