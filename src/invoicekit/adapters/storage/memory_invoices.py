"""The reference invoice repository: add, read, save (version check, I4 frozen content), find.

Split from memory.py (which wires it into its transaction) because invoices are
the biggest aggregate. ``matches()`` and ``_invoice_order`` are the reference
semantics of ``find`` that the SQL stores reproduce (sqlite_invoices'
``_where``, sqlalchemy_tables' ``find_statement``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Final

import attrs

from invoicekit.adapters.storage.memory_summaries import MemorySummaries
from invoicekit.adapters.storage.memory_table import _Table
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.domain.summary import parts as summary_parts
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    IntegrityError,
    NotFoundError,
    StorageError,
)
from invoicekit.ports import InvoiceQuery, InvoiceSave
from invoicekit.serialization import FROZEN_FIELDS, frozen_hash

#: Shared with memory.py, which wires them into its transaction (private to the adapter).
__all__ = ["_Invoices", "matches"]


_OPEN: Final = frozenset({Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED})


@attrs.define
class _StoredInvoice:
    invoice: Invoice
    content_hash: str | None


def _invoice_order(inv: Invoice) -> tuple[int, str, str]:
    """Issued invoices by (issue date, id), then drafts by id (even with a preset issue date)."""
    if inv.status is Status.DRAFT or inv.issue_date is None:
        return (1, "", inv.id)
    return (0, inv.issue_date.isoformat(), inv.id)


def matches(inv: Invoice, query: InvoiceQuery) -> bool:
    """Whether ``inv`` satisfies every filter of ``query`` (the reference semantics)."""
    if query.statuses is not None and inv.status not in query.statuses:
        return False
    if query.customer_id is not None and inv.customer_id != query.customer_id:
        return False
    if query.due_from is not None and (inv.due_date is None or inv.due_date < query.due_from):
        return False
    if query.due_to is not None and (inv.due_date is None or inv.due_date > query.due_to):
        return False
    if query.overdue_on is not None:
        return inv.status in _OPEN and inv.due_date is not None and inv.due_date < query.overdue_on
    return True


def _frozen(invoice: Invoice) -> tuple[object, ...]:
    """The fields an issued invoice froze (those its content hash covers)."""
    return tuple(getattr(invoice, name) for name in FROZEN_FIELDS)


class _Invoices:
    def __init__(
        self,
        table: _Table[tuple[str, str], _StoredInvoice],
        numbers: _Table[tuple[str, str], str],
        summaries: MemorySummaries,
    ) -> None:
        self._t = table
        self._numbers = numbers
        self._summaries = summaries
        #: (seller, status) -> keys of invoices saved with that status: a superset (a key
        #: stays until its committed row has moved on), so a status query reads a few rows
        #: instead of the whole table (run_due asks for the open ones every day).
        self._by_status: dict[tuple[str, Status], set[tuple[str, str]]] = {}

    def _put(self, key: tuple[str, str], stored: _StoredInvoice) -> None:
        before = self._t.get(key)
        if before is not None or stored.invoice.status is not Status.DRAFT:
            old = None if before is None else summary_parts(before.invoice)
            self._summaries.changed(key[0], [(old, summary_parts(stored.invoice))])
        self._t.put(key, stored)
        self._by_status.setdefault((key[0], stored.invoice.status), set()).add(key)

    def _with_status(self, seller_id: str, statuses: frozenset[Status]) -> Iterator[Invoice]:
        """The seller's invoices in ``statuses`` now; drops keys whose committed row moved on."""
        for status in statuses:
            keys = self._by_status.get((seller_id, status))
            if not keys:
                continue
            stale = []
            for key in keys:
                stored = self._t.get(key)
                if stored is not None and stored.invoice.status is status:
                    yield stored.invoice
                elif key not in self._t.changes:  # a pending change may still roll back
                    stale.append(key)
            keys.difference_update(stale)

    def add(self, invoice: Invoice) -> None:
        key = (invoice.seller_id, invoice.id)
        if self._t.get(key) is not None:
            raise DuplicateError(f"invoice {invoice.id!r} already exists")
        if invoice.number is not None:
            self._claim_number(invoice)
        self._put(key, _StoredInvoice(invoice, None))

    def _claim_number(self, invoice: Invoice) -> None:
        assert invoice.number is not None  # noqa: S101 - callers check
        key = (invoice.seller_id, invoice.number)
        owner = self._numbers.get(key)
        if owner is not None and owner != invoice.id:
            raise DuplicateError(f"number {invoice.number!r} is already used by another invoice")
        self._numbers.put(key, invoice.id)

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:  # noqa: ARG002 - one writer at a time: every read is locked already
        found = self._t.get((seller_id, invoice_id))
        if found is None:
            raise NotFoundError("invoice", invoice_id)
        return found.invoice

    def get_many(
        self,
        seller_id: str,
        invoice_ids: Sequence[str],
        *,
        for_update: bool = False,  # noqa: ARG002 - one writer at a time
    ) -> list[Invoice]:
        return [self.get(seller_id, invoice_id) for invoice_id in invoice_ids]

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        for invoice in invoices:
            self.add(invoice)

    def save_many(self, items: Sequence[InvoiceSave]) -> None:
        for invoice, expected_version, freeze in items:
            self.save(invoice, expected_version=expected_version, freeze=freeze)

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        owner = self._numbers.get((seller_id, number))
        if owner is None:
            raise NotFoundError("invoice", number)
        return self.get(seller_id, owner)

    def save(self, invoice: Invoice, *, expected_version: int, freeze: bool = False) -> None:
        key = (invoice.seller_id, invoice.id)
        stored = self._t.get(key)
        if stored is None:
            raise NotFoundError("invoice", invoice.id)
        if stored.invoice.version != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice.ref} was changed by someone else (stored version "
                f"{stored.invoice.version}, expected {expected_version}); reload it and retry",
                retryable=False,
            )
        if stored.content_hash is not None and _frozen(stored.invoice) != _frozen(invoice):
            raise IntegrityError(
                f"invoice {stored.invoice.ref} is issued: its number, dates, parties, lines and "
                "totals cannot change (issue a credit note instead)"
            )
        if invoice.number is not None:
            self._claim_number(invoice)
        digest = stored.content_hash
        if digest is None and freeze:
            digest = frozen_hash(invoice)  # what SQLite and SQLAlchemy record, for comparison
        self._put(key, _StoredInvoice(invoice, digest))

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        stored = self._t.get((seller_id, invoice_id))
        if stored is None:
            raise NotFoundError("invoice", invoice_id)
        if stored.invoice.version != expected_version:
            raise ConcurrencyError(f"invoice {invoice_id!r} was changed by someone else; reload it")
        if stored.invoice.number is not None:
            raise StorageError(
                f"invoice {stored.invoice.ref} is issued; issued invoices are never deleted"
            )
        self._t.delete((seller_id, invoice_id))

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        rows: Iterable[Invoice]
        if query.statuses is not None:
            rows = list(self._with_status(seller_id, query.statuses))
        else:
            rows = (s.invoice for s in self._t.values())
        found = sorted(
            (inv for inv in rows if inv.seller_id == seller_id and matches(inv, query)),
            key=_invoice_order,
        )
        if query.after is not None:
            # A position, not a row: paging goes on after an invoice that stopped matching.
            anchor = self._t.get((seller_id, query.after))
            if anchor is not None and anchor.invoice.seller_id == seller_id:
                mark = _invoice_order(anchor.invoice)
                found = [inv for inv in found if _invoice_order(inv) > mark]
        return found[: query.limit]

    def content_hash(self, seller_id: str, invoice_id: str) -> str | None:
        """The content hash stored at issue (for integrity checks)."""
        found = self._t.get((seller_id, invoice_id))
        return None if found is None else found.content_hash
