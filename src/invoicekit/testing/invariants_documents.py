"""Invariants I4, I6, I7 and I9: issued documents intact, one outbox record each, statuses, tenancy.

Part of :mod:`invoicekit.testing.invariants`; see docs/explanation/reliability.md.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final

from invoicekit.domain.events import InvoiceIssued
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import InvoiceKitError
from invoicekit.services.billing import SellerBooks
from invoicekit.testing.invariants_read import Violation, _issued, _Store

__all__: list[str] = []

#: Outbox records read at once (the outbox port has no paging; this is "all of them").
_ALL_RECORDS: Final = 2**62
_ISSUED_KIND: Final = InvoiceIssued.__name__


# ------------------------------------------------------------------------------ I4


def _integrity(store: _Store) -> list[Violation]:
    return [found for inv in _issued(store) for found in _integrity_of(inv)]


def _integrity_of(inv: Invoice) -> list[Violation]:
    missing = [
        name
        for name, value in (
            ("seller snapshot", inv.seller),
            ("customer snapshot", inv.customer),
            ("issue date", inv.issue_date),
            ("due date", inv.due_date),
            ("issued_at", inv.issued_at),
        )
        if value is None
    ]
    if missing:
        return [Violation("I4", f"issued invoice {inv.ref} lacks its {', '.join(missing)}")]
    return []


# ------------------------------------------------------------------------------ I6


def _outbox(books: SellerBooks, store: _Store) -> list[Violation]:
    """Exactly one InvoiceIssued record per issued invoice, carrying its number."""
    try:
        records = books.events.records(limit=_ALL_RECORDS)
    except InvoiceKitError as exc:
        return [Violation("I6", f"the outbox cannot be read: {exc}")]
    issued: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record.kind == _ISSUED_KIND:
            issued[record.invoice_id or ""].append(str(record.payload.get("number")))
    found: list[Violation] = []
    known = {inv.id: inv for inv in store.invoices}
    for inv in store.invoices:
        numbers = issued.get(inv.id, [])
        if inv.status is Status.DRAFT:
            if numbers:
                found.append(Violation("I6", f"draft {inv.id} has InvoiceIssued records {numbers}"))
        elif numbers != [inv.number]:
            found.append(
                Violation(
                    "I6",
                    f"invoice {inv.ref}: expected one InvoiceIssued record with its number, "
                    f"found {len(numbers)} {numbers}",
                )
            )
    found += [
        Violation("I6", f"InvoiceIssued records {issued[stray]} for unknown {stray!r}")
        for stray in sorted(set(issued) - set(known))
    ]
    return found


# ------------------------------------------------------------------------------ I7


def _statuses(store: _Store) -> list[Violation]:
    return [found for inv in _issued(store) for found in _status_of(inv)]


def _status_of(inv: Invoice) -> list[Violation]:
    due = inv.amount_due
    if inv.status is Status.VOID:
        if inv.has_payments or inv.credits:
            return [Violation("I7", f"void invoice {inv.ref} has payments or credit notes")]
    elif (inv.status is Status.PAID) != (due == 0):
        return [
            Violation(
                "I7",
                f"invoice {inv.ref} is {inv.status.value} with {due} due "
                "(paid exactly when nothing is due)",
            )
        ]
    return []


# ------------------------------------------------------------------------------ I9


def _tenancy(store: _Store) -> list[Violation]:
    found: list[Violation] = []
    me = store.seller.id
    for inv in store.invoices:
        # (what, found, expected) for everything that must point back to this seller.
        pairs: list[tuple[str, str | None, str]] = [("seller", inv.seller_id, me)]
        if inv.seller is not None:
            pairs.append(("seller snapshot", inv.seller.id, me))
        if inv.customer is not None:
            pairs.append(("customer snapshot's seller", inv.customer.seller_id, me))
            pairs.append(("customer snapshot", inv.customer.id, inv.customer_id))
        for note in store.notes.get(inv.id, []):
            pairs.append((f"credit note {note.number}'s seller", note.seller_id, me))
            pairs.append((f"credit note {note.number}'s invoice", note.invoice_id, inv.id))
            pairs.append(
                (f"credit note {note.number}'s customer", note.customer_id, inv.customer_id)
            )
        wrong = [f"{what} is {got!r}, not {want!r}" for what, got, want in pairs if got != want]
        if wrong:
            found.append(Violation("I9", f"invoice {inv.ref} of seller {me!r}: {'; '.join(wrong)}"))
    return found


def _customers(books: SellerBooks, store: _Store) -> list[Violation]:
    """Every invoice's customer is one of this seller's customers."""
    found: list[Violation] = []
    for customer_id in sorted({inv.customer_id for inv in store.invoices}):
        try:
            customer = books.customers.get(customer_id)
        except InvoiceKitError as exc:
            found.append(
                Violation("I9", f"customer {customer_id!r} of invoices is not the seller's: {exc}")
            )
            continue
        if customer.seller_id != store.seller.id:
            found.append(
                Violation("I9", f"customer {customer_id!r} belongs to {customer.seller_id!r}")
            )
    return found
