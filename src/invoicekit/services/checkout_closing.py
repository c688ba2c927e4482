"""Closing the checkouts of an invoice that no longer needs them: paid, voided, credited, or a new amount.

The stored sessions are marked closed in the transaction of the change; the
provider is asked to cancel them after the commit, best effort (a failure is
logged: a session paid anyway becomes customer credit, money is never lost).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final, cast

from invoicekit.domain import events as ev
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.payment_records import CheckoutRecord, CheckoutSession
from invoicekit.ports import Checkout, PaymentProvider, Transaction
from invoicekit.services.unit import Runner

__all__ = ["CheckoutClosing"]

log = logging.getLogger("invoicekit.checkouts")

#: The events after which an open checkout may be for the wrong amount, or for nothing.
_SETTLING: Final = (
    ev.PaymentSucceeded,
    ev.PaymentRefunded,
    ev.InvoiceVoided,
    ev.CreditNoteIssued,
    ev.InvoiceMarkedUncollectible,
)


class CheckoutClosing:
    """A change hook: close the open checkouts whose amount is no longer what is due."""

    def __init__(
        self, runner: Runner, provider_named: Callable[[str], PaymentProvider | None]
    ) -> None:
        self._run = runner
        self._provider_named = provider_named

    def __call__(
        self,
        tx: Transaction,
        invoice: Invoice,
        events: Sequence[ev.Event],
        now: datetime,  # noqa: ARG002
    ) -> None:
        """Close ``invoice``'s sessions that ``events`` made stale; cancel them after the commit."""
        if not any(isinstance(e, _SETTLING) for e in events):
            return
        due = Decimal(0) if invoice.status is Status.VOID else invoice.amount_due
        stale = [
            r
            for r in tx.checkouts.open_for_invoice(invoice.seller_id, invoice.id)
            if due <= 0 or r.amount != due or r.currency != invoice.currency
        ]
        for record in stale:
            tx.checkouts.close(record.seller_id, record.provider, record.ref)
        if stale:
            self._run.after_commit(lambda: self._cancel(stale))

    def _cancel(self, records: list[CheckoutRecord]) -> None:
        for record in records:
            provider = self._provider_named(record.provider)
            cancel = getattr(provider, "cancel_checkout", None)
            if provider is None or not callable(cancel):
                log.warning(
                    "checkout %s of %s: no provider %r to cancel it",
                    record.ref,
                    record.invoice_id,
                    record.provider,
                )
                continue
            session = CheckoutSession(
                provider=record.provider,
                ref=record.ref,
                url=record.url,
                amount=record.amount,
                currency=record.currency,
                expires_at=record.expires_at,
            )
            try:
                cast("Checkout", provider).cancel_checkout(session)
            except Exception:  # best effort: the session is closed on our side already
                log.exception(
                    "could not cancel checkout %s of invoice %s", record.ref, record.invoice_id
                )
            else:
                log.info("cancelled checkout %s of invoice %s", record.ref, record.invoice_id)
