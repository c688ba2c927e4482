"""Invoices of one seller: draft, edit, issue (one transaction each), void, write off, credit, look up."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

from invoicekit.domain import checks, lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.events import CreditNoteIssued
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.reminding import REMINDER_KINDS, below_minimum
from invoicekit.domain.status import Status
from invoicekit.domain.terms import PaymentTerms
from invoicekit.errors import (
    ConcurrencyError,
    InvalidTransitionError,
    Problem,
    ValidationError,
    problem,
)
from invoicekit.ports import (
    DOCUMENT_KINDS,
    InvoiceQuery,
    MessageRecord,
    PaymentProvider,
    Transaction,
)
from invoicekit.serialization import content_hash, to_document
from invoicekit.services import calls
from invoicekit.services.credit import pay_with_credit
from invoicekit.services.dispatch import Dispatcher, DispatchReport
from invoicekit.services.links import PaymentLinks
from invoicekit.services.routing import plan
from invoicekit.services.unit import Runner

__all__ = ["Invoices"]

_MAX_BATCH: Final = 1000


class Invoices:
    """One seller's invoices, changed only through the lifecycle, each change one transaction."""

    def __init__(
        self,
        runner: Runner,
        seller_id: str,
        new_id: Callable[[str], str],
        payments: PaymentProvider | None,
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

    @property
    def seller_id(self) -> str:
        """The seller whose invoices these are."""
        return self._seller_id

    # -- reading ------------------------------------------------------------------------

    def get(self, invoice_id: str) -> Invoice:
        """The invoice. Raises NotFoundError (also for another seller's id)."""
        checks.refuse(checks.lookup("invoice_id", invoice_id), "query")
        with self._run.read() as tx:
            return tx.invoices.get(self._seller_id, invoice_id)

    def get_by_number(self, number: str) -> Invoice:
        """The issued invoice with ``number``. Raises NotFoundError."""
        checks.refuse(checks.lookup("number", number), "query")
        with self._run.read() as tx:
            return tx.invoices.get_by_number(self._seller_id, number)

    def list(
        self,
        *,
        status: Status | str | Iterable[Status | str] | None = None,
        customer_id: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        overdue_on: date | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> builtins.list[Invoice]:
        """Invoices by issue date then id (drafts last), filtered; page with ``after``."""
        checks.refuse(
            _query_problems(customer_id, due_from, due_to, overdue_on, limit, after), "query"
        )
        statuses: frozenset[Status] | None = None
        if status is not None:
            items = [status] if isinstance(status, str) else list(status)
            try:
                statuses = frozenset(Status(s) for s in items)
            except ValueError as exc:
                allowed = ", ".join(s.value for s in Status)
                raise ValidationError(
                    [problem("status", f"allowed: {allowed}", status)], subject="query"
                ) from exc
        query = InvoiceQuery(statuses, customer_id, due_from, due_to, overdue_on, limit, after)
        with self._run.read() as tx:
            return tx.invoices.find(self._seller_id, query)

    def credit_notes(self, invoice_id: str) -> builtins.list[CreditNote]:
        """The credit notes issued against one invoice."""
        with self._run.read() as tx:
            tx.invoices.get(self._seller_id, invoice_id)
            return tx.credit_notes.for_invoice(self._seller_id, invoice_id)

    # -- drafts -------------------------------------------------------------------------

    def draft(
        self,
        customer_id: str,
        *,
        lines: Sequence[Line | Mapping[str, Any]],
        terms: PaymentTerms | None = None,
        discounts: Sequence[Discount] = (),
        charges: Sequence[Charge] = (),
        prices: str | None = None,
        memo: str | None = None,
        footer: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        series: str = "invoice",
        currency: str | None = None,
        id: str | None = None,
        idempotency_key: str | None = None,
        buyer_reference: str | None = None,
        order_reference: str | None = None,
        contract_reference: str | None = None,
        project_reference: str | None = None,
    ) -> Invoice:
        """A new draft for one of this seller's customers. Drafts never consume a number."""
        found = checks.lookup("customer_id", customer_id) + checks.metadata("metadata", metadata)
        found += checks.stored_terms("terms", terms)
        found += checks.identifier("id", id, required=False) + _lists(lines, discounts, charges)
        checks.refuse(found, "invoice")
        invoice_id = id or self._new_id("inv")

        def body(tx: Transaction, now: datetime) -> Invoice:
            seller = tx.sellers.get(self._seller_id)
            customer = tx.customers.get(self._seller_id, customer_id)
            invoice = Invoice.draft(
                id=invoice_id,
                seller=seller,
                customer=customer,
                lines=lines,
                at=now,
                currency=currency,
                terms=terms,
                discounts=discounts,
                charges=charges,
                prices=prices,
                memo=memo,
                footer=footer,
                metadata=metadata,
                series=series,
                buyer_reference=buyer_reference,
                order_reference=order_reference,
                contract_reference=contract_reference,
                project_reference=project_reference,
            )
            tx.invoices.add(invoice)
            return invoice

        call = calls.Draft(
            id=id,
            customer_id=customer_id,
            lines=list(lines),
            terms=terms,
            discounts=list(discounts),
            charges=list(charges),
            prices=prices,
            memo=memo,
            footer=footer,
            metadata=metadata,
            series=series,
            currency=currency,
            buyer_reference=buyer_reference,
            order_reference=order_reference,
            contract_reference=contract_reference,
            project_reference=project_reference,
        )
        return self._run.write(self._seller_id, call, body, Invoice, key=idempotency_key)

    def edit(
        self,
        invoice_id: str,
        *,
        customer_id: str | None = None,
        lines: Sequence[Line | Mapping[str, Any]] | None = None,
        terms: PaymentTerms | None = None,
        discounts: Sequence[Discount] | None = None,
        charges: Sequence[Charge] | None = None,
        memo: str | None = None,
        footer: str | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Invoice:
        """Change a draft; ``expected_version`` refuses the edit if someone changed it since."""
        found = checks.lookup("customer_id", customer_id, required=False)
        found += checks.stored_terms("terms", terms)
        checks.refuse(found + _lists(lines, discounts, charges, optional=True), "invoice")

        def command(tx: Transaction, _: Invoice) -> lifecycle.Command:
            customer = tx.customers.get(self._seller_id, customer_id) if customer_id else None
            return lifecycle.Edit(
                seller=tx.sellers.get(self._seller_id),
                customer=customer,
                lines=tuple(lines) if lines is not None else None,
                discounts=tuple(discounts) if discounts is not None else None,
                charges=tuple(charges) if charges is not None else None,
                terms=terms,
                memo=memo,
                footer=footer,
            )

        call = calls.Edit(
            invoice_id=invoice_id,
            customer_id=customer_id,
            lines=lines,
            terms=terms,
            discounts=discounts,
            charges=charges,
            memo=memo,
            footer=footer,
            expected_version=expected_version,
        )
        return self.change(call, command, expected_version=expected_version, key=idempotency_key)

    def delete(self, invoice_id: str, *, idempotency_key: str | None = None) -> None:
        """Delete a draft (issued invoices are never deleted: void or credit them).

        Deleting again raises NotFoundError; with ``idempotency_key`` a retry returns quietly
        instead, and never deletes a new draft that reused the id meanwhile.
        """

        def body(tx: Transaction, now: datetime) -> Invoice:
            inv = tx.invoices.get(self._seller_id, invoice_id, for_update=True)
            _, events = lifecycle.apply(inv, lifecycle.Delete(), at=now)
            tx.invoices.delete(self._seller_id, invoice_id, expected_version=inv.version)
            tx.outbox.append(self._run.outbox_records(inv, events))
            return inv

        call = calls.Delete(invoice_id=invoice_id)
        self._run.write(self._seller_id, call, body, Invoice, key=idempotency_key)

    # -- issuing ------------------------------------------------------------------------

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
        return self._links.add(self.get(invoice_id))

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
        digest = content_hash(to_document(self._run.converter, issued))
        tx.invoices.save(issued, expected_version=draft.version, content_hash=digest)
        tx.outbox.append(self._run.outbox_records(issued, events))
        if seller.apply_credit_at_issue:
            pid = self._new_id("pay")
            issued = pay_with_credit(tx, self._run, issued, None, pid, now=now, strict=False)
        if seller.send_on_issue and outgoing is not None:
            outgoing.extend(self._queue(tx, issued, "invoice", "1", None, None, now))
        return issued

    # -- sending ------------------------------------------------------------------------

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
        reminder, final_notice or receipt (``about`` = the payment id). The message key
        is (invoice, kind, step, channel): calling again with the same step sends
        nothing new, so pass another ``step`` (e.g. "2") to send an invoice again.
        A reminder's default step is today's date in the seller's time zone (as at
        issue): one a day of the seller's books, wherever the server or customer is.
        Delivery happens now, in this thread, unless Billing was built with
        ``dispatch="worker"``. Returns the messages, with their outcome; a customer
        nobody can reach gets one ``failed`` message saying why. A reminder or final
        notice for less than the seller's ``reminder_minimum`` in the invoice's
        currency is not sent: the list is empty.
        """
        if kind not in DOCUMENT_KINDS:
            raise ValidationError(
                [problem("kind", f"allowed: {', '.join(DOCUMENT_KINDS)}", kind)], subject="send"
            )
        if kind in {"receipt", "credit_note"} and about is None:
            what = "payment" if kind == "receipt" else "credit note"
            raise ValidationError(
                [problem("about", f"the id of the {what} this {kind} is about is required")],
                subject="send",
            )
        chosen = None if channels is None else tuple(channels)
        fixed_step: str | None = (
            step or {"invoice": "1", "final_notice": "final"}.get(kind) or about or "1"
        )
        if kind == "reminder" and step is None:
            fixed_step = None  # the day of the seller's books, read in the transaction
        outgoing: builtins.list[MessageRecord] = []

        def body(tx: Transaction, now: datetime) -> str:
            outgoing.clear()
            inv = tx.invoices.get(self._seller_id, invoice_id)
            if lifecycle.Action.SEND not in lifecycle.ALLOWED[inv.status]:
                allowed = [a.value for a in lifecycle.ALLOWED[inv.status]]
                raise InvalidTransitionError(inv.ref, inv.status.value, "send", allowed)
            seller = inv.seller or tx.sellers.get(self._seller_id)  # as at issue, like overdue
            used = fixed_step or books_date(now, seller).isoformat()
            minimum = tx.sellers.get(self._seller_id).reminder_minimum  # today's setting
            if kind in REMINDER_KINDS and below_minimum(minimum, inv.amount_due, inv.currency):
                return used  # too little to remind of: no message
            outgoing.extend(self._queue(tx, inv, kind, used, about, chosen, now))
            return used

        call = calls.Send(invoice_id=invoice_id, kind=kind, step=fixed_step)
        chosen_step = self._run.write(self._seller_id, call, body)
        self._deliver(outgoing)
        with self._run.read() as tx:
            stored = tx.messages.list(self._seller_id, invoice_id=invoice_id, limit=10_000)
        prefix = f"{invoice_id}:{kind}:{chosen_step}:"  # every channel, fallbacks included
        return [m for m in stored if m.key.startswith(prefix)]

    def _queue(  # noqa: PLR0917 - private, called from two places with all of them
        self,
        tx: Transaction,
        invoice: Invoice,
        kind: str,
        step: str,
        about: str | None,
        channels: tuple[str, ...] | None,
        now: datetime,
    ) -> builtins.list[MessageRecord]:
        """Queue the messages of one document (leased to us when delivering at once)."""
        if self._dispatcher is None:
            raise ValidationError(
                [problem("notifiers", "Billing has no notifiers to send with")], subject="send"
            )
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

    # -- after issue --------------------------------------------------------------------

    def void(
        self, invoice_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> Invoice:
        """Cancel an issued invoice without payments; its number stays used."""
        call = calls.Void(invoice_id=invoice_id, reason=reason)
        return self.change(call, lifecycle.Void(reason), key=idempotency_key)

    def write_off(
        self, invoice_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> Invoice:
        """Mark the balance uncollectible; a later payment is still accepted."""
        call = calls.WriteOff(invoice_id=invoice_id, reason=reason)
        return self.change(call, lifecycle.WriteOff(reason), key=idempotency_key)

    def mark_overdue(self, invoice_id: str, *, idempotency_key: str | None = None) -> Invoice:
        """Mark an invoice overdue (its due date passed with a balance).

        Marking it again raises InvalidTransitionError and changes nothing; with
        ``idempotency_key`` a retry returns the first result instead.
        """
        call = calls.MarkOverdue(invoice_id=invoice_id)
        return self.change(call, lifecycle.MarkOverdue(), key=idempotency_key)

    def credit(
        self,
        invoice_id: str,
        *,
        lines: Sequence[Line | Mapping[str, Any]],
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreditNote:
        """Issue a credit note against an invoice, numbered in the seller's credit-note series."""
        checks.refuse(_lists(lines), "credit note")

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
            tx.outbox.append(self._run.outbox_records(new, events))
            note = next(e.credit_note for e in events if isinstance(e, CreditNoteIssued))
            tx.credit_notes.add(note)
            return note

        call = calls.Credit(invoice_id=invoice_id, lines=list(lines), reason=reason)
        return self._run.write(self._seller_id, call, body, CreditNote, key=idempotency_key)

    def change(
        self,
        call: calls.InvoiceCall,
        make: lifecycle.Command | Callable[[Transaction, Invoice], lifecycle.Command],
        *,
        expected_version: int | None = None,
        key: str | None = None,
    ) -> Invoice:
        """Apply one lifecycle command to ``call.invoice_id`` in one transaction (shared by payments)."""
        checks.refuse(checks.lookup("invoice_id", call.invoice_id), call.operation)

        def body(tx: Transaction, now: datetime) -> Invoice:
            inv = tx.invoices.get(self._seller_id, call.invoice_id, for_update=True)
            if expected_version is not None and inv.version != expected_version:
                raise ConcurrencyError(
                    f"invoice {inv.ref} is at version {inv.version}, not {expected_version}; reload it",
                    retryable=False,
                )
            command = make if isinstance(make, lifecycle.Command) else make(tx, inv)
            new, events = lifecycle.apply(inv, command, at=now)
            if new is not inv:
                tx.invoices.save(new, expected_version=inv.version)
            tx.outbox.append(self._run.outbox_records(new, events))
            return new

        return self._run.write(self._seller_id, call, body, Invoice, key=key)


def _lists(*values: object, optional: bool = False) -> builtins.list[Problem]:
    """``lines``, ``discounts``, ``charges`` are lists or tuples (None too when ``optional``)."""
    return [
        problem(name, "must be a list", value)
        for name, value in zip(("lines", "discounts", "charges"), values, strict=False)
        if not isinstance(value, builtins.list | tuple) and not (optional and value is None)
    ]


def _query_problems(  # noqa: PLR0917 - the filters of Invoices.list, checked together
    customer_id: object,
    due_from: object,
    due_to: object,
    overdue_on: object,
    limit: object,
    after: object,
) -> builtins.list[Problem]:
    """The filters of ``Invoices.list``: ids, dates and a page size of at least 1."""
    found = checks.lookup("customer_id", customer_id, required=False)
    found += checks.lookup("after", after, required=False)
    found += checks.day("due_from", due_from) + checks.day("due_to", due_to)
    found += checks.day("overdue_on", overdue_on) + checks.at_least("limit", limit)
    return found
