"""Issuing drafts: take the number inside the transaction, freeze, open; in batches too."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, NamedTuple

from invoicekit.domain import checks, lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Customer
from invoicekit.domain.status import Status
from invoicekit.errors import (
    InvalidTransitionError,
    ValidationError,
    problem,
)
from invoicekit.ports import InvoiceSave, MessageRecord, OutboxRecord, Transaction
from invoicekit.services import calls
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.credit import pay_with_credit
from invoicekit.services.links import PaymentLinks
from invoicekit.services.sending import Sending
from invoicekit.services.unit import Runner

__all__ = ["Issued", "Issuing"]

_MAX_BATCH: Final = 1000


class Issued(NamedTuple):
    """One invoice of an ``issue_many`` call: its id and number (small, whatever the batch size).

    Load the whole invoice with ``invoices.get(id)`` when it is needed.
    """

    id: str
    number: str


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
        finished: builtins.list[Invoice] = []

        def body(tx: Transaction, now: datetime) -> Invoice:
            outgoing.clear()  # a retried transaction starts again
            draft = tx.invoices.get(self._seller_id, invoice_id, for_update=True)
            if draft.status is not Status.DRAFT:
                allowed = [a.value for a in lifecycle.ALLOWED[draft.status]]
                raise InvalidTransitionError(draft.ref, draft.status.value, "issue", allowed)
            [issued] = self._issue_drafts(tx, [draft], now, outgoing)
            self._finish_after_commit([issued], outgoing, finished)
            return issued

        call = calls.Issue(invoice_id=invoice_id)
        issued = self._run.write(self._seller_id, call, body, Invoice, key=idempotency_key)
        if finished:
            return finished[0]
        if self._links.enabled:  # a replayed key: the link may still be missing
            [issued] = self._links.try_add([issued])
        return issued

    def _finish_after_commit(
        self,
        issued: builtins.list[Invoice],
        outgoing: builtins.list[MessageRecord],
        finished: builtins.list[Invoice],
    ) -> None:
        """After the commit, first of all: the payment links, then the invoice messages.

        First, so the invoice goes out before the receipt of customer credit applied at issue.
        """

        def finish() -> None:
            finished[:] = self._links.try_add(issued)
            self._deliver(outgoing)

        self._run.after_commit(finish, first=True)

    def _issue_in(
        self,
        tx: Transaction,
        drafts: Sequence[Invoice],
        now: datetime,
        customers: dict[str, Customer],
    ) -> builtins.list[Invoice]:
        """Issue loaded ``drafts`` inside the caller's transaction (recurring generation's page).

        The fast path of ``issue_many`` without reading the drafts back; payment links and
        the invoice messages follow the commit, as ``issue_many``'s do.
        """
        outgoing: builtins.list[MessageRecord] = []
        issued = self._issue_drafts(tx, drafts, now, outgoing, customers)
        self._finish_after_commit(issued, outgoing, [])
        return issued

    def add_payment_link(self, invoice_id: str) -> Invoice:
        """Ask the provider again for the payment link of an issued invoice that has none.

        Does nothing when it has one (or there is no provider). Raises PaymentError when
        the provider refuses again.
        """
        return self._links.add(self._changes.get(invoice_id))

    def issue_many(
        self, invoice_ids: Sequence[str], *, batch_size: int = 500
    ) -> builtins.list[Issued]:
        """Issue many drafts, ``batch_size`` per transaction, numbers in the order given.

        Returns the id and number of each invoice, in the order given (not whole
        invoices: memory stays small over any number of drafts). Each batch is read,
        numbered and written with one statement per table where the store allows;
        a failure leaves its whole batch as drafts and uses no number. Already issued
        invoices are returned as they are, so a batch interrupted by a crash is completed
        by calling again with the same ids: no duplicate, no gap. Payment links are asked
        for after each batch commits; a repeat also adds those still missing.
        """
        checks.refuse(checks.items("invoice_ids", invoice_ids, str, "str (an invoice id)"), "issue")
        if not 1 <= batch_size <= _MAX_BATCH:
            raise ValidationError(
                [problem("batch_size", f"must be 1-{_MAX_BATCH}", batch_size)], subject="issue"
            )
        issued: builtins.list[Issued] = []
        for start in range(0, len(invoice_ids), batch_size):
            chunk = builtins.list(invoice_ids[start : start + batch_size])
            outgoing: builtins.list[MessageRecord] = []
            finished: builtins.list[Invoice] = []

            def body(
                tx: Transaction,
                now: datetime,
                chunk: list[str] = chunk,
                outgoing: builtins.list[MessageRecord] = outgoing,
                finished: builtins.list[Invoice] = finished,
            ) -> builtins.list[Invoice]:
                outgoing.clear()
                current = {
                    inv.id: inv
                    for inv in tx.invoices.get_many(self._seller_id, chunk, for_update=True)
                }
                drafts = [inv for inv in current.values() if inv.status is Status.DRAFT]
                current.update(
                    (inv.id, inv) for inv in self._issue_drafts(tx, drafts, now, outgoing)
                )
                done = [current[invoice_id] for invoice_id in dict.fromkeys(chunk)]
                self._finish_after_commit(done, outgoing, finished)
                return done

            call = calls.IssueMany(invoice_ids=tuple(chunk))
            done = self._run.write(self._seller_id, call, body)
            if not finished and self._links.enabled:  # a replayed key: links may be missing
                self._links.try_add(done)
            by_id = {inv.id: Issued(inv.id, inv.number or "") for inv in done}
            del done
            finished.clear()
            issued.extend(by_id[invoice_id] for invoice_id in chunk)
        return issued

    def _issue_drafts(
        self,
        tx: Transaction,
        drafts: Sequence[Invoice],
        now: datetime,
        outgoing: builtins.list[MessageRecord],
        customers: dict[str, Customer] | None = None,
    ) -> builtins.list[Invoice]:
        """Number, freeze and save ``drafts`` (loaded, distinct): one block of numbers per series.

        The seller and each customer are read once; numbers follow the order of ``drafts``
        in each series and period, as one ``next_value`` per draft would give them.
        """
        if not drafts:
            return []
        faults = self._run.faults
        seller = tx.sellers.get(self._seller_id)
        customers = dict(customers or {})
        planned = []
        wanted: dict[tuple[str, str], int] = {}
        for draft in drafts:
            if draft.customer_id not in customers:
                customers[draft.customer_id] = tx.customers.get(self._seller_id, draft.customer_id)
            series = seller.series_named(draft.series)
            issue_date = draft.issue_date or books_date(now, seller)
            counter = (series.name, series.format.period_key(issue_date))
            wanted[counter] = wanted.get(counter, 0) + 1
            planned.append((draft, series, issue_date, counter))
            faults.hit("before_number_alloc")
        # Counters in a fixed order: two batches never wait for each other's in reverse.
        taken = {
            counter: tx.sequences.next_values(self._seller_id, *counter, count)
            for counter, count in sorted(wanted.items())
        }
        issued: builtins.list[Invoice] = []
        saves: builtins.list[InvoiceSave] = []
        records: builtins.list[OutboxRecord] = []
        for draft, series, issue_date, counter in planned:
            faults.hit("after_number_alloc")
            seq = taken[counter]
            taken[counter] = seq + 1
            command = lifecycle.Issue(
                number=series.number(seq, issue_date),
                seller=seller,
                customer=customers[draft.customer_id],
                issue_date=issue_date,
            )
            invoice, events = lifecycle.apply(draft, command, at=now)
            self._links.check(invoice)
            saves.append(InvoiceSave(invoice, draft.version, freeze=True))
            records += self._run.outbox_records(invoice, events, before=str(draft.status))
            issued.append(invoice)
        tx.invoices.save_many(saves)
        tx.outbox.append(records)
        if seller.send_on_issue:  # queued before the credit's receipt
            for inv in issued:
                customer = customers[inv.customer_id]
                outgoing.extend(self._queue(tx, inv, "invoice", "1", None, None, now, customer))
        if seller.apply_credit_at_issue:
            issued = [
                pay_with_credit(
                    tx, self._run, inv, None, self._new_id("pay"), now=now, strict=False
                )
                for inv in issued
            ]
        return issued
