"""Invoices of one seller: draft, edit, issue (one transaction each), void, write off, credit, look up.

The operations live in small modules (``invoice_queries``, ``drafts``, ``issuing``,
``sending``); ``Invoices`` puts them together with the changes after issue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from invoicekit.domain import checks, lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.events import CreditNoteIssued
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.standalone_credit import standalone_credit_note
from invoicekit.domain.status import Status
from invoicekit.errors import InvalidTransitionError
from invoicekit.ports import Transaction
from invoicekit.services import calls
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.dispatch import Dispatcher
from invoicekit.services.draft_batches import DraftBatches
from invoicekit.services.drafts import Drafts, list_problems
from invoicekit.services.invoice_queries import InvoiceQueries
from invoicekit.services.issuing import Issuing
from invoicekit.services.links import PaymentLinks
from invoicekit.services.providers import Providers
from invoicekit.services.unit import Runner

__all__ = ["Invoices"]


class Invoices(InvoiceQueries, Drafts, DraftBatches, Issuing):
    """One seller's invoices, changed only through the lifecycle, each change one transaction."""

    def __init__(
        self,
        runner: Runner,
        seller_id: str,
        new_id: Callable[[str], str],
        payments: Providers,
        dispatcher: Dispatcher | None = None,
        *,
        immediate: bool = True,
    ) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._new_id = new_id
        self._links = PaymentLinks(runner, seller_id, payments)
        self._dispatcher = dispatcher
        self._immediate = immediate
        self._changes = InvoiceChanges(runner, seller_id)

    @property
    def seller_id(self) -> str:
        """The seller whose invoices these are."""
        return self._seller_id

    # -- after issue --------------------------------------------------------------------

    def void(
        self, invoice_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> Invoice:
        """Cancel an issued invoice without payments; its number stays used."""
        call = calls.Void(invoice_id=invoice_id, reason=reason)
        return self._changes.apply(call, lifecycle.Void(reason), key=idempotency_key)

    def write_off(
        self, invoice_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> Invoice:
        """Mark the balance uncollectible; a later payment is still accepted."""
        call = calls.WriteOff(invoice_id=invoice_id, reason=reason)
        return self._changes.apply(call, lifecycle.WriteOff(reason), key=idempotency_key)

    def mark_overdue(self, invoice_id: str, *, idempotency_key: str | None = None) -> Invoice:
        """Mark an invoice overdue (its due date passed with a balance).

        Marking it again raises InvalidTransitionError and changes nothing; with
        ``idempotency_key`` a retry returns the first result instead.
        """
        call = calls.MarkOverdue(invoice_id=invoice_id)
        return self._changes.apply(call, lifecycle.MarkOverdue(), key=idempotency_key)

    def credit(
        self,
        invoice_id: str,
        *,
        lines: Sequence[Line | Mapping[str, Any]],
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreditNote:
        """Issue a credit note against an invoice, numbered in the seller's credit-note series."""
        checks.refuse(list_problems(lines), "credit note")

        def body(tx: Transaction, now: datetime) -> CreditNote:
            inv = tx.invoices.get(self._seller_id, invoice_id, for_update=True)
            if inv.status is Status.DRAFT or inv.seller is None:
                raise InvalidTransitionError(
                    inv.ref,
                    inv.status.value,
                    "credit",
                    [],
                    reason="only issued invoices are credited",
                )
            seller = tx.sellers.get(self._seller_id)
            series = seller.series_named("credit_note")
            issue_date = books_date(now, seller)
            seq = tx.sequences.next_value(
                self._seller_id, series.name, series.format.period_key(issue_date)
            )
            command = lifecycle.Credit(
                credit_note_id=self._new_id("cn"),
                number=series.number(seq, issue_date),
                lines=tuple(lines),
                reason=reason,
                issue_date=issue_date,
            )
            new, events = lifecycle.apply(inv, command, at=now)
            tx.invoices.save(new, expected_version=inv.version)
            self._run.changed(tx, new, events, now)
            note = next(e.credit_note for e in events if isinstance(e, CreditNoteIssued))
            tx.credit_notes.add(note)
            return note

        call = calls.Credit(invoice_id=invoice_id, lines=list(lines), reason=reason)
        return self._run.write(self._seller_id, call, body, CreditNote, key=idempotency_key)

    def credit_standalone(
        self,
        customer_id: str,
        *,
        lines: Sequence[Line | Mapping[str, Any]],
        preceding: str | None = None,
        preceding_date: date | None = None,
        reason: str | None = None,
        buyer_reference: str | None = None,
        order_reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreditNote:
        """Issue a credit note that corrects no stored invoice, from the credit-note series.

        ``preceding`` names an invoice of another system (``preceding_date`` its date, if
        known); None names none (EN 16931 BT-25 is optional). It moves no balance.
        """
        checks.refuse(list_problems(lines), "credit note")

        def body(tx: Transaction, now: datetime) -> CreditNote:
            seller = tx.sellers.get(self._seller_id)
            customer = tx.customers.get(self._seller_id, customer_id)
            series = seller.series_named("credit_note")
            issue_date = books_date(now, seller)
            seq = tx.sequences.next_value(
                self._seller_id, series.name, series.format.period_key(issue_date)
            )
            note = standalone_credit_note(
                id=self._new_id("cn"),
                number=series.number(seq, issue_date),
                seller=seller,
                customer=customer,
                lines=lines,
                issue_date=issue_date,
                issued_at=now,
                reason=reason,
                preceding=preceding,
                preceding_date=preceding_date,
                buyer_reference=buyer_reference,
                order_reference=order_reference,
            )
            tx.credit_notes.add(note)
            return note

        call = calls.CreditStandalone(
            customer_id=customer_id,
            lines=list(lines),
            preceding=preceding,
            preceding_date=preceding_date,
            reason=reason,
            buyer_reference=buyer_reference,
            order_reference=order_reference,
        )
        return self._run.write(self._seller_id, call, body, CreditNote, key=idempotency_key)
