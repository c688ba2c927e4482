"""The SQLite invoice repository: add, read, save (version check, frozen content hash), find.

Split from sqlite.py (which wires it into its transaction) because invoices are
the biggest aggregate: the SQL of ``find`` (``_where``, memory.py's ``matches()``
as SQL, and its page order), the batch writes and the I4 hash check on save live
here. An invoice read in a write transaction is remembered in the session
(``invoice_rows``), so a save that follows needs no second read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, Final

from invoicekit.adapters.storage.sqlite_reports import write_entries
from invoicekit.adapters.storage.sqlite_schema import DECODE_ERRORS, Row, Session
from invoicekit.adapters.storage.sqlite_summaries import SqliteSummaries
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    IntegrityError,
    NotFoundError,
    StorageError,
)
from invoicekit.ports import InvoiceQuery, InvoiceSave
from invoicekit.serialization import (
    ContentHashMismatch,
    encode_invoice,
    legacy_invoice,
    read_invoice,
)

#: Shared with sqlite.py, which wires them into a transaction (private to the adapter).
__all__ = ["_Invoices", "_iso"]


_OPEN: Final = tuple(
    s.value for s in (Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED)
)
_INVOICE: Final = "SELECT seller_id, id, number, content_hash, doc FROM invoices"
_ADD: Final = (
    "INSERT INTO invoices (customer_id, status, series, number, issue_date, due_date, "
    "version, content_hash, doc, seller_id, id) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)"
)
_SAVE: Final = (
    "UPDATE invoices SET customer_id = ?, status = ?, series = ?, number = ?, "
    "issue_date = ?, due_date = ?, version = ?, content_hash = ?, doc = ? "
    "WHERE seller_id = ? AND id = ? AND version = ?"
)
#: Where the content hash is among the parameters of ``_SAVE``.
_SAVED_HASH: Final = 7
#: The order of ``find``: (issue date, id) with drafts last (also a draft with a preset date).
_KEY: Final = "(status = 'draft', COALESCE(issue_date, ''), id)"
#: The same order among invoices that are not drafts (NULL sorts first as '' does), by the
#: columns themselves: sorting the overdue page's keys costs a third of sorting _KEY's.
_ISSUED_ORDER: Final = "issue_date, id"


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _where(seller_id: str, query: InvoiceQuery) -> tuple[str, list[Any]] | None:
    """The WHERE clause of ``matches()`` (memory.py) in SQL; None when nothing can match."""
    clauses, params = ["seller_id = ?"], [seller_id]
    if query.statuses is not None:
        if not query.statuses:
            return None
        clauses.append(f"status IN ({', '.join('?' * len(query.statuses))})")
        params += sorted(str(s) for s in query.statuses)
    if query.customer_id is not None:
        clauses.append("customer_id = ?")
        params.append(query.customer_id)
    if query.due_from is not None:
        clauses.append("due_date >= ?")  # NULL due dates never match, as in matches()
        params.append(query.due_from.isoformat())
    if query.due_to is not None:
        clauses.append("due_date <= ?")
        params.append(query.due_to.isoformat())
    if query.overdue_on is not None:
        clauses.append(f"status IN ({', '.join('?' * len(_OPEN))}) AND due_date < ?")
        params += [*_OPEN, query.overdue_on.isoformat()]
    return " AND ".join(clauses), params


def _drafts_may_match(query: InvoiceQuery) -> bool:
    """Whether a draft can pass the filters (an overdue or a status filter may exclude them)."""
    if query.overdue_on is not None:
        return False
    return query.statuses is None or Status.DRAFT in query.statuses


class _Invoices:
    def __init__(self, session: Session) -> None:
        self._s = session
        self.summaries = SqliteSummaries(session, self._issued)

    def _issued(self, seller_id: str | None) -> Iterator[Invoice]:
        """Every issued invoice (of one seller, or all), for rebuilding the summaries."""
        where, params = ("AND seller_id = ?", (seller_id,)) if seller_id else ("", ())
        sql = f"{_INVOICE} WHERE status != 'draft' {where} ORDER BY seller_id, id"
        for row in self._s.rows("rebuild the summaries", sql, params):
            yield self._load(row)

    def _duplicate(self, invoice: Invoice) -> DuplicateError:
        """The reference's message: the id is checked before the number."""
        sql = "SELECT 1 FROM invoices WHERE seller_id = ? AND id = ?"
        if self._s.one("add an invoice", sql, self._key(invoice)) is not None:
            return DuplicateError(f"invoice {invoice.id!r} already exists")
        return DuplicateError(f"number {invoice.number!r} is already used by another invoice")

    def add(self, invoice: Invoice) -> None:
        try:
            self._s.run("add an invoice", _ADD, self._new_row(invoice))
        except DuplicateError as exc:
            raise self._duplicate(invoice) from exc
        self.summaries.changed([invoice], new=True)
        write_entries(self._s, [invoice], replace=False)

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        rows = [self._new_row(invoice) for invoice in invoices]
        # A savepoint, so that on a duplicate the rows before it are gone when we look.
        self._s.run("add invoices", "SAVEPOINT add_many")
        try:
            self._s.run_many("add invoices", _ADD, rows)
        except DuplicateError as exc:
            self._s.run("add invoices", "ROLLBACK TO add_many")
            self._s.run("add invoices", "RELEASE add_many")
            raise self._first_duplicate(invoices) from exc
        self._s.run("add invoices", "RELEASE add_many")
        self.summaries.changed(invoices, new=True)
        write_entries(self._s, invoices, replace=False)

    def _new_row(self, invoice: Invoice) -> tuple[Any, ...]:
        """The INSERT parameters of a new invoice (its one encoding)."""
        return (*self._columns(invoice), self._s.dump(invoice), *self._key(invoice))

    def _first_duplicate(self, invoices: Sequence[Invoice]) -> DuplicateError:
        """The error of the first invoice of a batch whose id or number is taken or repeated."""
        ids: set[str] = set()
        numbers: set[str | None] = set()
        for invoice in invoices:
            if invoice.id in ids:
                return DuplicateError(f"invoice {invoice.id!r} is given twice")
            if invoice.number is not None and invoice.number in numbers:
                return DuplicateError(f"number {invoice.number!r} is given twice")
            ids.add(invoice.id)
            numbers.add(invoice.number)
            sql = "SELECT 1 FROM invoices WHERE seller_id = ? AND (id = ? OR number = ?)"
            params = (*self._key(invoice), invoice.number)
            if self._s.one("add invoices", sql, params) is not None:
                return self._duplicate(invoice)
        return DuplicateError("an invoice of the batch is already stored")  # pragma: no cover

    @staticmethod
    def _key(invoice: Invoice) -> tuple[str, str]:
        return invoice.seller_id, invoice.id

    @staticmethod
    def _columns(invoice: Invoice) -> tuple[Any, ...]:
        return (
            invoice.customer_id,
            invoice.status.value,
            invoice.series,
            invoice.number,
            _iso(invoice.issue_date),
            _iso(invoice.due_date),
            invoice.version,
        )

    def _load(self, row: Row) -> Invoice:
        seller_id, invoice_id, number, stored_hash, doc = row
        what = f"invoice {number or invoice_id} of seller {seller_id!r}"
        try:
            invoice = read_invoice(doc, stored_hash, self._s.converter)
        except ContentHashMismatch as exc:
            raise IntegrityError(
                f"{what}: its stored content no longer matches the hash recorded at issue; "
                f"it was changed outside invoicekit ({self._s.path}): restore it from a backup"
            ) from exc
        except DECODE_ERRORS as exc:
            raise self._s.unreadable(what, exc) from exc
        if self._s.write:
            self._s.invoice_rows[seller_id, invoice_id] = (invoice.version, stored_hash)
        return invoice

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:  # noqa: ARG002 - a write transaction holds SQLite's write lock already
        sql = f"{_INVOICE} WHERE seller_id = ? AND id = ?"
        row = self._s.one("read an invoice", sql, (seller_id, invoice_id))
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        return self._load(row)

    def get_many(
        self,
        seller_id: str,
        invoice_ids: Sequence[str],
        *,
        for_update: bool = False,  # noqa: ARG002 - a write transaction holds the write lock
    ) -> list[Invoice]:
        sql = f"{_INVOICE} WHERE seller_id = ? AND id IN (SELECT value FROM json_each(?))"  # noqa: S608 - constants only
        rows = self._s.rows("read invoices", sql, (seller_id, json.dumps(list(invoice_ids))))
        found = {row[1]: row for row in rows}
        loaded: dict[str, Invoice] = {}
        for invoice_id in invoice_ids:
            if invoice_id not in found:
                raise NotFoundError("invoice", invoice_id)
            if invoice_id not in loaded:
                loaded[invoice_id] = self._load(found[invoice_id])
        return [loaded[invoice_id] for invoice_id in invoice_ids]

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        sql = f"{_INVOICE} WHERE seller_id = ? AND number = ?"
        row = self._s.one("read an invoice by number", sql, (seller_id, number))
        if row is None:
            raise NotFoundError("invoice", number)
        return self._load(row)

    def save(self, invoice: Invoice, *, expected_version: int, freeze: bool = False) -> None:
        self.save_many([InvoiceSave(invoice, expected_version, freeze)])

    def save_many(self, items: Sequence[InvoiceSave]) -> None:
        if not items:
            return
        known = self._s.invoice_rows
        stored: dict[tuple[str, str], Row] = {}
        for item in items:  # read in this transaction: no second read (the write lock is held)
            key = self._key(item.invoice)
            seen = known.get(key)
            if seen is not None and seen[0] == item.expected_version:
                stored[key] = (key[1], *seen)
        unread = [item.invoice for item in items if self._key(item.invoice) not in stored]
        for seller_id in {invoice.seller_id for invoice in unread}:
            ids = [invoice.id for invoice in unread if invoice.seller_id == seller_id]
            sql = (
                "SELECT id, version, content_hash FROM invoices "
                "WHERE seller_id = ? AND id IN (SELECT value FROM json_each(?))"
            )
            for row in self._s.rows("save invoices", sql, (seller_id, json.dumps(ids))):
                stored[seller_id, row[0]] = row
        params = [self._saved_row(item, stored.get(self._key(item.invoice))) for item in items]
        try:
            updated = self._s.run_many("save invoices", _SAVE, params)
        except DuplicateError as exc:
            known.clear()  # some rows of the batch may be written: read them again
            raise self._first_duplicate_number(items) from exc
        if updated != len(items):  # an id given twice; else impossible under BEGIN IMMEDIATE
            known.clear()
            raise ConcurrencyError("an invoice was saved twice in one batch; reload it and retry")
        # Issued just now (frozen): no share of theirs was kept before.
        fresh = [item.invoice for item in items if item.freeze]
        self.summaries.changed(fresh, new=True)
        self.summaries.changed([item.invoice for item in items if not item.freeze])
        for item, saved in zip(items, params, strict=True):
            known[self._key(item.invoice)] = (item.invoice.version, saved[_SAVED_HASH])
        write_entries(self._s, [item.invoice for item in items], replace=True)

    def _saved_row(self, item: InvoiceSave, stored: Row | None) -> tuple[Any, ...]:
        """The UPDATE parameters of one save (its one encoding), checked against the stored row."""
        invoice, expected_version, freeze = item
        if stored is None:
            raise NotFoundError("invoice", invoice.id)
        _, version, stored_hash = stored
        if version != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice.ref} was changed by someone else (stored version "
                f"{version}, expected {expected_version}); reload it and retry",
                retryable=False,
            )
        text, digest = self._encoded(invoice, stored_hash, freeze=freeze)
        return (*self._columns(invoice), digest, text, *self._key(invoice), expected_version)

    def _first_duplicate_number(self, items: Sequence[InvoiceSave]) -> DuplicateError:
        """The error of the first saved invoice whose number another invoice holds."""
        sql = "SELECT 1 FROM invoices WHERE seller_id = ? AND number = ? AND id != ?"
        seen: set[tuple[str, str | None]] = set()
        for item in items:
            invoice = item.invoice
            key = (invoice.seller_id, invoice.number)
            params = (invoice.seller_id, invoice.number, invoice.id)
            if key in seen or self._s.one("save invoices", sql, params) is not None:
                break
            seen.add(key)
        else:  # pragma: no cover - the unique index names a number that some item holds
            invoice = items[0].invoice
        return DuplicateError(f"number {invoice.number!r} is already used by another invoice")

    def _encoded(
        self, invoice: Invoice, stored_hash: str | None, *, freeze: bool
    ) -> tuple[str, str | None]:
        """The row's document and content hash: encoded once, the hash from those bytes.

        Refuses a save that would change what was frozen at issue (I4). An invoice issued
        in format 1 is written in format 1 again, so the hash recorded at issue holds.
        """
        encoded = encode_invoice(invoice)
        if stored_hash is None:
            return encoded.text, encoded.content_hash if freeze else None
        if encoded.content_hash == stored_hash:
            return encoded.text, stored_hash
        text, legacy_hash = legacy_invoice(invoice, self._s.converter)
        if legacy_hash == stored_hash:
            return text, stored_hash
        raise IntegrityError(
            f"invoice {invoice.ref}: refusing to save content that does not match the hash "
            "recorded at issue (lines, parties, totals, number and dates are frozen); "
            "correct an issued invoice with a credit note"
        )

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        sql = "SELECT version, number FROM invoices WHERE seller_id = ? AND id = ?"
        row = self._s.one("delete an invoice", sql, (seller_id, invoice_id))
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        if row[0] != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice_id!r} was changed by someone else; reload it", retryable=False
            )
        if row[1] is not None:
            raise StorageError(f"invoice {row[1]} is issued; issued invoices are never deleted")
        sql = "DELETE FROM invoices WHERE seller_id = ? AND id = ? AND version = ?"
        self._s.run("delete an invoice", sql, (seller_id, invoice_id, expected_version))
        self._s.invoice_rows.pop((seller_id, invoice_id), None)

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        where = _where(seller_id, query)
        if where is None:
            return []
        clause, params = where
        if query.after is not None:  # a position, not a match: it may no longer pass the filters
            sql = f"SELECT {_KEY[1:-1]} FROM invoices WHERE seller_id = ? AND id = ?"  # noqa: S608 - constants only
            last = self._s.one("find invoices", sql, (seller_id, query.after))
            if last is not None:  # as in MemoryStorage, an unknown `after` starts from the top
                clause += f" AND {_KEY} > (?, ?, ?)"
                params += list(last)
        # Sort and cut the page on index columns first, then read only that page's documents.
        order = _KEY[1:-1] if _drafts_may_match(query) else _ISSUED_ORDER
        page = f"SELECT rowid FROM invoices WHERE {clause} ORDER BY {order}"  # noqa: S608 - constants only
        if query.limit >= 0:
            page, params = f"{page} LIMIT ?", [*params, query.limit]
        sql = f"{_INVOICE} WHERE rowid IN ({page}) ORDER BY {order}"
        rows = self._s.rows("find invoices", sql, params)
        return [self._load(row) for row in (rows if query.limit >= 0 else rows[: query.limit])]
