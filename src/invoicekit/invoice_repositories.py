"""The storage ports of documents: invoices, credit notes, number counters, recurring templates.

Part of the storage port (:mod:`invoicekit.repositories` re-exports these names);
every adapter implements them and the storage contract suite says how they behave.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.records import (
    InvoiceQuery,
    InvoiceSave,
    TemplateRecord,
)

__all__ = [
    "CreditNoteRepository",
    "InvoiceClaims",
    "InvoiceRepository",
    "RecurringRepository",
    "SequenceRepository",
]


class InvoiceRepository(Protocol):
    """One seller's invoices, with optimistic concurrency on ``version``."""

    def add(self, invoice: Invoice) -> None:
        """Store a new draft. Raises DuplicateError if (seller, id) exists."""

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:
        """The invoice; ``for_update`` locks it until the transaction ends where the store can.

        Raises NotFoundError (also for another seller's id) and StorageError
        (IntegrityError-like) when an issued invoice's stored content no longer
        matches its content hash.
        """

    def get_many(
        self, seller_id: str, invoice_ids: Sequence[str], *, for_update: bool = False
    ) -> list[Invoice]:
        """The invoices of ``invoice_ids``, in that order (one read for a batch).

        An id given twice is returned twice. Raises NotFoundError for the first id not
        stored (also another seller's) and StorageError as ``get`` does.
        """

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        """The issued invoice with ``number``. Raises NotFoundError."""

    def save(self, invoice: Invoice, *, expected_version: int, freeze: bool = False) -> None:
        """Replace the stored invoice if its stored version is ``expected_version``.

        ``freeze=True`` (at issue) records the content hash of what the invoice froze,
        computed by the store from the bytes it writes (``invoicekit.serialization``:
        ``encode_invoice(invoice).content_hash``); from then on every save must leave that
        part unchanged and every read checks it. Raises ConcurrencyError when someone else
        saved it first, NotFoundError when it is not stored, DuplicateError when its number
        is taken in its series, and IntegrityError when a save would change what was frozen.
        """

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        """Store new drafts as ``add`` does, one statement for all where the store allows.

        Raises DuplicateError naming the first id (or number) already stored or given
        twice; the caller's transaction then rolls back, so none is stored.
        """

    def save_many(self, items: Sequence[InvoiceSave]) -> None:
        """``save`` for each item, in order, one statement for all where the store allows.

        Raises what ``save`` raises, for the first item that fails; the caller's
        transaction then rolls back, so none is saved.
        """

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        """Delete a draft. Raises ConcurrencyError, NotFoundError."""

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        """The seller's invoices matching ``query`` (see InvoiceQuery for order and paging)."""


@runtime_checkable
class InvoiceClaims(Protocol):
    """Optional for an invoice repository: lock an invoice unless another transaction holds it.

    ``run_due`` uses it where present (the SQLAlchemy adapter on PostgreSQL: ``FOR UPDATE
    SKIP LOCKED``), so many workers share the work; without it, ``get(for_update=True)``.
    """

    def claim(self, seller_id: str, invoice_id: str) -> Invoice | None:
        """The invoice locked for this transaction, or None while another transaction holds it."""


class CreditNoteRepository(Protocol):
    """Issued credit notes."""

    def add(self, note: CreditNote) -> None:
        """Store an issued credit note. Raises DuplicateError on its id or number."""

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        """The credit note. Raises NotFoundError."""

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        """The credit notes of one invoice, in issue order."""


class SequenceRepository(Protocol):
    """Gapless number counters per (seller, series, period)."""

    def next_value(self, seller_id: str, series: str, period: str) -> int:
        """Take the next number (1 for a new counter) inside the current transaction.

        Numbers taken in a transaction that rolls back are not consumed. Concurrent
        transactions never get the same value (the row is locked until commit).
        """

    def next_values(self, seller_id: str, series: str, period: str, count: int) -> int:
        """Take ``count`` consecutive numbers in one statement; returns the first of them.

        As ``next_value`` (gapless, rolled back with the transaction) for a whole
        batch: the numbers are ``first .. first + count - 1``. ``count`` is at least 1.
        """

    def peek(self, seller_id: str, series: str, period: str) -> int:
        """The value the next call to ``next_value`` would return."""

    def started(self, seller_id: str, series: str) -> bool:
        """True once ``series`` has taken a number in any period (its format is then frozen)."""


class RecurringRepository(Protocol):
    """One seller's recurring templates, with optimistic concurrency on ``version``."""

    def add(self, record: TemplateRecord) -> None:
        """Store a new template. Raises DuplicateError if (seller, id) exists."""

    def get(self, seller_id: str, template_id: str, *, for_update: bool = False) -> TemplateRecord:
        """The template; ``for_update`` locks its row until the transaction ends where the store can.

        Raises NotFoundError, also for another seller's id.
        """

    def claim(self, seller_id: str, template_id: str) -> TemplateRecord | None:
        """The template, locked until the transaction ends; None when gone or held by another.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent workers take different
        templates; SQLite and memory: the write lock is held already.
        """

    def claim_many(
        self, seller_id: str, template_ids: Sequence[str]
    ) -> builtins.list[TemplateRecord]:
        """``claim`` for many at once, ordered by id: those not stored or held are left out."""

    def save(self, record: TemplateRecord, *, expected_version: int) -> TemplateRecord:
        """Replace the stored template if its version is ``expected_version``; returns it at +1.

        Raises ConcurrencyError (retryable) when someone saved it first, NotFoundError.
        """

    def save_many(self, records: Sequence[TemplateRecord]) -> None:
        """``save`` each at its own ``version`` (read in this transaction), in one statement where possible.

        Raises as ``save`` does when any of them was saved by someone first.
        """

    def list(
        self,
        seller_id: str,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> builtins.list[TemplateRecord]:
        """The seller's templates ordered by id, filtered, ``limit`` at a time after id ``after``."""

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, template id) of every template that may still bill, ordered."""
