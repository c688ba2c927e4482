"""Reading one seller's invoices: by id, by number, filtered lists, credit notes."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import date

from invoicekit.domain import checks
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import (
    Problem,
    ValidationError,
    problem,
)
from invoicekit.ports import InvoiceQuery
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.unit import Runner

__all__ = ["InvoiceQueries"]


class InvoiceQueries:
    """The reads of ``Invoices``."""

    _run: Runner
    _seller_id: str
    _changes: InvoiceChanges

    def get(self, invoice_id: str) -> Invoice:
        """The invoice. Raises NotFoundError (also for another seller's id)."""
        return self._changes.get(invoice_id)

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

    def credit_note(self, credit_note_id: str) -> CreditNote:
        """One credit note by id: one against an invoice, or a standalone one."""
        with self._run.read() as tx:
            return tx.credit_notes.get(self._seller_id, credit_note_id)


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
