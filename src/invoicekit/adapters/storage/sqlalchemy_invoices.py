"""The SQLAlchemy invoice repository: add, read (and lock, or claim), save, delete, find.

Split from sqlalchemy_repos.py (which wires it into ``SqlTransaction``) because
invoices are the biggest aggregate. A save is one UPDATE that checks the expected
version, the content hash frozen at issue (I4) and the number's owner at once. An
invoice read in a write transaction is remembered by the summaries
(``summaries.loaded``), so that its save needs no read of its summary share.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_reports import write_sql_entries
from invoicekit.adapters.storage.sqlalchemy_repository import _b, _Repository, _where
from invoicekit.adapters.storage.sqlalchemy_summaries import SqlSummaries
from invoicekit.adapters.storage.sqlalchemy_tables import (
    DECODE_ERRORS,
    FIND_ANCHOR,
    INVOICES,
    Context,
    find_statement,
)
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    IntegrityError,
    InvoiceKitError,
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

#: Shared with sqlalchemy_repos.py, which wires them into SqlTransaction (private to the adapter).
__all__ = ["_Invoices"]


# Reads are built once: SQLAlchemy then reuses their compiled form (hot paths: get, find).


_INVOICE = sa.select(INVOICES).where(*_where(INVOICES, "seller_id", "id"))
_INVOICE_LOCKED = _INVOICE.with_for_update()
#: ``run_due``'s claim: a row another transaction holds is passed over, not waited for.
_INVOICE_CLAIMED = _INVOICE.with_for_update(skip_locked=True)
_INVOICES_BY_ID = sa.select(INVOICES).where(
    INVOICES.c.seller_id == _b("seller_id"), INVOICES.c.id.in_(_b("ids", expanding=True))
)
#: Locked in id order, so two batches over the same invoices cannot deadlock.
_INVOICES_LOCKED = _INVOICES_BY_ID.order_by(INVOICES.c.id).with_for_update()
_BY_NUMBER = sa.select(INVOICES).where(*_where(INVOICES, "seller_id", "number"))
_NUMBER_OWNER = sa.select(INVOICES.c.id).where(
    *_where(INVOICES, "seller_id", "number"), INVOICES.c.id != _b("id")
)


#: Save an invoice: only from the expected version, only with its frozen content
#: unchanged once issued (the stored hash), only if no other invoice has its number.
_OTHER = INVOICES.alias("other")
_SAVE = (
    sa.update(INVOICES)
    .where(
        INVOICES.c.seller_id == _b("k_seller_id"),
        INVOICES.c.id == _b("k_id"),
        INVOICES.c.version == _b("k_expected"),
        sa.or_(INVOICES.c.content_hash.is_(None), INVOICES.c.content_hash == _b("k_frozen")),
        ~sa.exists().where(
            _OTHER.c.seller_id == _b("k_seller_id"),
            _OTHER.c.number == _b("number"),
            _OTHER.c.id != _b("k_id"),
        ),
    )
    .values(
        {name: _b(name) for name in ("customer_id", "status", "series", "number")}
        | {name: _b(name) for name in ("issue_date", "due_date", "version", "doc")}
        | {"content_hash": sa.func.coalesce(INVOICES.c.content_hash, _b("k_hash"))}
    )
)


class _Invoices(_Repository):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.summaries = SqlSummaries(ctx, self._issued)

    def _issued(self, seller_id: str | None) -> Iterator[Invoice]:
        """Every issued invoice (of one seller, or all), for rebuilding the summaries."""
        query = sa.select(INVOICES).where(INVOICES.c.status != "draft")
        if seller_id is not None:
            query = query.where(INVOICES.c.seller_id == seller_id)
        query = query.order_by(INVOICES.c.seller_id, INVOICES.c.id)
        for row in self._c.rows("rebuild the summaries", query):
            yield self._load(row)

    @staticmethod
    def _values(invoice: Invoice, text: str) -> dict[str, Any]:
        """The row of ``invoice`` with ``text`` as its document (one helper for every write)."""
        return {
            "customer_id": invoice.customer_id,
            "status": str(invoice.status),
            "series": invoice.series,
            "number": invoice.number,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "version": invoice.version,
            "doc": text,
        }

    def _row(self, seller_id: str, invoice_id: str, operation: str) -> sa.Row[Any] | None:
        return self._c.first(operation, _INVOICE, {"seller_id": seller_id, "id": invoice_id})

    def _number_taken(self, invoice: Invoice) -> bool:
        key = {"seller_id": invoice.seller_id, "number": invoice.number, "id": invoice.id}
        return self._c.first("check invoice number", _NUMBER_OWNER, key) is not None

    def _load(self, row: sa.Row[Any]) -> Invoice:
        what = f"invoice {row.id!r} of seller {row.seller_id!r}"
        try:
            invoice = read_invoice(row.doc, row.content_hash, self._c.converter)
        except ContentHashMismatch as exc:
            raise IntegrityError(
                f"stored {what} (number {row.number!r}) no longer matches the content hash "
                f"taken at issue (stored {row.content_hash}, computed {exc.computed}): it was "
                f"changed outside invoicekit; restore it from a backup ({self._c.url})"
            ) from exc
        except DECODE_ERRORS as exc:
            raise self._c.unreadable(what, exc) from exc
        if self._c.write:  # its save in this transaction needs no read of its summary share
            self.summaries.loaded(invoice)
        return invoice

    def _new_row(self, invoice: Invoice) -> dict[str, Any]:
        """The INSERT values of a new invoice (its one encoding)."""
        values = {"seller_id": invoice.seller_id, "id": invoice.id}
        values.update(self._values(invoice, encode_invoice(invoice).text))
        return values

    def _duplicate(self, invoice: Invoice) -> DuplicateError:
        """The reference's message: the id is checked before the number."""
        if self._row(invoice.seller_id, invoice.id, "add invoice") is not None:
            return DuplicateError(f"invoice {invoice.id!r} already exists")
        return DuplicateError(f"number {invoice.number!r} is already used by another invoice")

    def add(self, invoice: Invoice) -> None:
        if not self._c.insert_new("add invoice", INVOICES, self._new_row(invoice)):
            raise self._duplicate(invoice)
        self.summaries.changed([invoice], new=True)
        write_sql_entries(self._c, [invoice], replace=False)

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        if not invoices:
            return
        rows = [self._new_row(invoice) for invoice in invoices]
        # insertmanyvalues: a few multi-row INSERTs; RETURNING tells which rows went in.
        statement = self._c.insert_ignoring(INVOICES).returning(INVOICES.c.id)
        added = {row.id for row in self._c.rows("add invoices", statement, rows)}
        if len(added) == len(invoices):
            self.summaries.changed(invoices, new=True)
            write_sql_entries(self._c, invoices, replace=False)
            return
        given: set[str] = set()
        for invoice in invoices:
            if invoice.id in given:
                raise DuplicateError(f"invoice {invoice.id!r} is given twice")
            given.add(invoice.id)
            if invoice.id not in added:
                raise self._duplicate(invoice)

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:
        locked = for_update and self._c.postgres and self._c.write
        query = _INVOICE_LOCKED if locked else _INVOICE
        row = self._c.first("get invoice", query, {"seller_id": seller_id, "id": invoice_id})
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        return self._load(row)

    def claim(self, seller_id: str, invoice_id: str) -> Invoice | None:
        """The invoice locked for this transaction, or None while another one holds it.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so workers share ``run_due``'s steps
        instead of queueing on one row; other databases lock as ``get`` does.
        """
        if not (self._c.postgres and self._c.write):
            return self.get(seller_id, invoice_id, for_update=True)
        key = {"seller_id": seller_id, "id": invoice_id}
        row = self._c.first("claim invoice", _INVOICE_CLAIMED, key)
        if row is None:
            self.get(seller_id, invoice_id)  # NotFoundError when there is no such invoice
            return None
        return self._load(row)

    def get_many(
        self, seller_id: str, invoice_ids: Sequence[str], *, for_update: bool = False
    ) -> list[Invoice]:
        locked = for_update and self._c.postgres and self._c.write
        query = _INVOICES_LOCKED if locked else _INVOICES_BY_ID
        params = {"seller_id": seller_id, "ids": list(dict.fromkeys(invoice_ids))}
        found = {row.id: row for row in self._c.rows("get invoices", query, params)}
        loaded: dict[str, Invoice] = {}
        for invoice_id in invoice_ids:
            if invoice_id not in found:
                raise NotFoundError("invoice", invoice_id)
            if invoice_id not in loaded:
                loaded[invoice_id] = self._load(found[invoice_id])
        return [loaded[invoice_id] for invoice_id in invoice_ids]

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        key = {"seller_id": seller_id, "number": number}
        row = self._c.first("get invoice by number", _BY_NUMBER, key)
        if row is None:
            raise NotFoundError("invoice", number)
        return self._load(row)

    def save(self, invoice: Invoice, *, expected_version: int, freeze: bool = False) -> None:
        item = InvoiceSave(invoice, expected_version, freeze)
        params = self._saved_row(item)
        if self._c.count("save invoice", _SAVE, params) != 1:
            error = self._save_error(item, params)
            if error is not None:
                raise error
        self.summaries.changed([invoice], new=freeze, versions={invoice.id: expected_version})
        write_sql_entries(self._c, [invoice], replace=True)

    def save_many(self, items: Sequence[InvoiceSave]) -> None:
        if len(items) <= 1:
            for item in items:
                self.save(item.invoice, expected_version=item[1], freeze=item[2])
            return
        rows = [self._saved_row(item) for item in items]
        # executemany of the guarded UPDATE (psycopg pipelines it); both drivers count the
        # rows of every execution, so a refused row shows in the total.
        if self._c.count("save invoices", _SAVE, rows) == len(items):
            self._summarize(items)
            write_sql_entries(self._c, [item.invoice for item in items], replace=True)
            return
        refused = False
        for item, row in zip(items, rows, strict=True):
            stored = self._row(item.invoice.seller_id, item.invoice.id, "save invoices")
            if stored is None or stored.version != item.invoice.version:
                refused = True
                error = self._save_error(item, row)  # None: saved in format 1 just now
                if error is not None:
                    raise error
        if not refused:
            raise ConcurrencyError("an invoice was saved twice in one batch; reload it and retry")
        self._summarize(items)

    def _summarize(self, items: Sequence[InvoiceSave]) -> None:
        """The summaries of saved ``items``: those issued just now (frozen) had no share yet."""
        self.summaries.changed([item.invoice for item in items if item.freeze], new=True)
        versions = {item.invoice.id: item.expected_version for item in items}
        self.summaries.changed(
            [item.invoice for item in items if not item.freeze], versions=versions
        )
        write_sql_entries(self._c, [item.invoice for item in items], replace=True)

    def _saved_row(self, item: InvoiceSave) -> dict[str, Any]:
        """The UPDATE parameters of one save: encoded once, the content hash from those bytes."""
        invoice, expected_version, freeze = item
        encoded = encode_invoice(invoice)
        params = self._values(invoice, encoded.text)
        params.update(
            k_seller_id=invoice.seller_id,
            k_id=invoice.id,
            k_expected=expected_version,
            k_frozen=encoded.content_hash,
            k_hash=encoded.content_hash if freeze else None,
        )
        return params

    def _save_error(self, item: InvoiceSave, params: dict[str, Any]) -> InvoiceKitError | None:
        """Why the guarded UPDATE of ``item`` changed no row (None: saved in format 1 instead)."""
        invoice, expected_version, _ = item
        stored = self._row(invoice.seller_id, invoice.id, "save invoice")
        if stored is None:
            return NotFoundError("invoice", invoice.id)
        if stored.version != expected_version:
            return ConcurrencyError(
                f"invoice {invoice.ref} was changed by someone else (stored version "
                f"{stored.version}, expected {expected_version}); reload it and retry",
                retryable=False,
            )
        if stored.content_hash not in {None, params["k_frozen"]}:
            if self._save_legacy(invoice, params, stored.content_hash):
                return None
            return IntegrityError(
                f"invoice {invoice.ref} is issued: its number, dates, parties, lines and "
                "totals cannot change (issue a credit note instead)"
            )
        if invoice.number is not None and self._number_taken(invoice):
            return DuplicateError(f"number {invoice.number!r} is already used by another invoice")
        return ConcurrencyError(f"invoice {invoice.ref} changed while it was saved; retry")

    def _save_legacy(self, invoice: Invoice, params: dict[str, Any], stored_hash: str) -> bool:
        """Save an invoice issued in format 1 in format 1 (its hash holds); False if it changed.

        Returns True when saved; raises as ``save`` does for every other refusal.
        """
        text, legacy_hash = legacy_invoice(invoice, self._c.converter)
        if legacy_hash != stored_hash:
            return False
        params.update(doc=text, k_frozen=legacy_hash, k_hash=None)
        if self._c.count("save invoice", _SAVE, params) == 1:
            return True
        if invoice.number is not None and self._number_taken(invoice):
            raise DuplicateError(f"number {invoice.number!r} is already used by another invoice")
        raise ConcurrencyError(f"invoice {invoice.ref} changed while it was saved; retry")

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        t = INVOICES
        statement = sa.delete(t).where(
            t.c.seller_id == seller_id,
            t.c.id == invoice_id,
            t.c.version == expected_version,
            t.c.number.is_(None),
        )
        if self._c.count("delete invoice", statement) == 1:
            return
        stored = self._row(seller_id, invoice_id, "delete invoice")
        if stored is None:
            raise NotFoundError("invoice", invoice_id)
        if stored.version != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice_id!r} was changed by someone else; reload it", retryable=False
            )
        raise StorageError(
            f"invoice {stored.number} ({invoice_id!r}) is issued; issued invoices are never deleted"
        )

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        anchor = None
        if query.after is not None:
            # A position, not a row: paging goes on after an invoice that stopped matching.
            key = {"seller_id": seller_id, "after_id": query.after}
            anchor = self._c.first("find invoices", FIND_ANCHOR, key)
        statement, params = find_statement(seller_id, query, anchor)
        return [self._load(row) for row in self._c.rows("find invoices", statement, params)]

    def content_hash(self, seller_id: str, invoice_id: str) -> str | None:
        """The content hash stored at issue (for integrity checks)."""
        row = self._row(seller_id, invoice_id, "get invoice content hash")
        return None if row is None else row.content_hash
