"""Issuing drafts: take the number inside the transaction, freeze, open; in batches too."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

from invoicekit.domain import checks, lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import (
    InvalidTransitionError,
    ValidationError,
    problem,
)
from invoicekit.ports import MessageRecord, Transaction
from invoicekit.services import calls
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.credit import pay_with_credit
from invoicekit.services.links import PaymentLinks
from invoicekit.services.sending import Sending
from invoicekit.services.unit import Runner

__all__ = ["Issuing"]

_MAX_BATCH: Final = 1000


class Issuing(Sending):
    """The issuing of ``Invoices``: numbers, payment links, the invoice e-mail on issue."""

    _run: Runner
    _seller_id: str
    _new_id: Callable[[str], str]
    _links: PaymentLinks
    _changes: InvoiceChanges

    def issue(self, invoice_id: str, *, idempotency_key: str | None = None) -> Invoice:
        """Number, freeze and open a draft in one transaction; returns it with number, link and status.

        The number is taken from the seller's series counter inside the transaction, so a
        failure anywhere before commit consumes no number (I3). The payment link is asked of
        the provider after the commit; if the provider fails, the invoice is issued without a
        link (logged) and ``add_payment_link`` asks again.
        """
        checks.refuse(checks.lookup("invoice_id", invoice_id), "issue")
        outgoing: builtins.list[MessageRecord] = []

        def body(tx: Transaction, now: datetime) -> Invoice:
            outgoing.clear()  # a retried transaction starts again
            return self._issue_one(tx, invoice_id, now, outgoing)

        call = calls.Issue(invoice_id=invoice_id)
        issued = self._run.write(self._seller_id, call, body, Invoice, key=idempotency_key)
        [issued] = self._links.try_add([issued])
        self._deliver(outgoing)
        return issued

    def add_payment_link(self, invoice_id: str) -> Invoice:
        """Ask the provider again for the payment link of an issued invoice that has none.

        Does nothing when it has one (or there is no provider). Raises PaymentError when
        the provider refuses again.
        """
        return self._links.add(self._changes.get(invoice_id))

    def issue_many(
        self, invoice_ids: Sequence[str], *, batch_size: int = 500
    ) -> builtins.list[Invoice]:
        """Issue many drafts, ``batch_size`` per transaction, numbers in the order given.

        Already issued invoices are returned as they are, so a batch interrupted by a crash
        is completed by calling again with the same ids: no duplicate, no gap. Payment links
        are asked for after each batch commits; a repeat also adds those still missing.
        """
        checks.refuse(checks.items("invoice_ids", invoice_ids, str, "str (an invoice id)"), "issue")
        if not 1 <= batch_size <= _MAX_BATCH:
            raise ValidationError(
                [problem("batch_size", f"must be 1-{_MAX_BATCH}", batch_size)], subject="issue"
            )
        issued: builtins.list[Invoice] = []
        for start in range(0, len(invoice_ids), batch_size):
            chunk = builtins.list(invoice_ids[start : start + batch_size])

            outgoing: builtins.list[MessageRecord] = []

            def body(
                tx: Transaction,
                now: datetime,
                chunk: list[str] = chunk,
                outgoing: builtins.list[MessageRecord] = outgoing,
            ) -> builtins.list[Invoice]:
                outgoing.clear()
                done = []
                for invoice_id in chunk:
                    current = tx.invoices.get(self._seller_id, invoice_id, for_update=True)
                    done.append(
                        current
                        if current.status is not Status.DRAFT
                        else self._issue_one(tx, invoice_id, now, outgoing)
                    )
                return done

            call = calls.IssueMany(invoice_ids=tuple(chunk))
            done = self._run.write(self._seller_id, call, body)
            issued.extend(self._links.try_add(done))
            self._deliver(outgoing)
        return issued

    def _issue_one(
        self,
        tx: Transaction,
        invoice_id: str,
        now: datetime,
        outgoing: builtins.list[MessageRecord] | None = None,
    ) -> Invoice:
        faults = self._run.faults
        draft = tx.invoices.get(self._seller_id, invoice_id, for_update=True)
        if draft.status is not Status.DRAFT:
            allowed = [a.value for a in lifecycle.ALLOWED[draft.status]]
            raise InvalidTransitionError(draft.ref, draft.status.value, "issue", allowed)
        seller = tx.sellers.get(self._seller_id)
        customer = tx.customers.get(self._seller_id, draft.customer_id)
        series = seller.series_named(draft.series)
        issue_date = draft.issue_date or books_date(now, seller)
        faults.hit("before_number_alloc")
        seq = tx.sequences.next_value(
            self._seller_id, series.name, series.format.period_key(issue_date)
        )
        faults.hit("after_number_alloc")
        command = lifecycle.Issue(
            number=series.number(seq, issue_date),
            seller=seller,
            customer=customer,
            issue_date=issue_date,
        )
        issued, events = lifecycle.apply(draft, command, at=now)
        self._links.check(issued)
        tx.invoices.save(issued, expected_version=draft.version, freeze=True)
        tx.outbox.append(self._run.outbox_records(issued, events))
        if seller.apply_credit_at_issue:
            pid = self._new_id("pay")
            issued = pay_with_credit(tx, self._run, issued, None, pid, now=now, strict=False)
        if seller.send_on_issue and outgoing is not None:
            outgoing.extend(self._queue(tx, issued, "invoice", "1", None, None, now))
        return issued
