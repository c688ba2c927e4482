"""Reading one seller's books for the invariant checks, and the Violation they report.

Part of :mod:`invoicekit.testing.invariants` (which re-exports ``Violation``): the
checks of each invariant family take the ``_Store`` read here, so the books are
read once, through the public facade only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, NamedTuple

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Seller
from invoicekit.domain.status import Status
from invoicekit.errors import InvoiceKitError
from invoicekit.services.billing import Billing, SellerBooks

__all__ = ["Violation"]

#: Invoices read per page when listing a seller's invoices.
_PAGE: Final = 500


class Violation(NamedTuple):
    """One broken invariant: its id (``"I3"``) and what is wrong, naming the objects."""

    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


class _Store(NamedTuple):
    """What was read of one seller's books."""

    seller: Seller
    invoices: list[Invoice]
    notes: dict[str, list[CreditNote]]


# ------------------------------------------------------------------------------ reading


def _read(billing: Billing, seller_id: str, found: list[Violation]) -> _Store | None:
    """Read the seller, every invoice and every credit note; record what cannot be read."""
    try:
        seller = billing.sellers.get(seller_id)
    except InvoiceKitError as exc:
        found.append(Violation("I9", f"seller {seller_id!r} cannot be read: {exc}"))
        return None
    books = billing.seller(seller_id)
    invoices: list[Invoice] = []
    try:
        invoices.extend(_all_invoices(books))
    except InvoiceKitError as exc:
        found.append(Violation("I4", f"listing the invoices stopped after {len(invoices)}: {exc}"))
    notes: dict[str, list[CreditNote]] = {}
    for inv in invoices:
        if inv.status is Status.DRAFT or not inv.credits:
            continue
        try:
            notes[inv.id] = books.invoices.credit_notes(inv.id)
        except InvoiceKitError as exc:
            found.append(Violation("I4", f"issued invoice {inv.ref} cannot be read back: {exc}"))
    return _Store(seller, invoices, notes)


def _all_invoices(books: SellerBooks) -> Iterator[Invoice]:
    """Every invoice of the seller, page by page, each once."""
    after: str | None = None
    seen: set[str] = set()
    while True:
        page = books.invoices.list(limit=_PAGE, after=after)
        fresh = [inv for inv in page if inv.id not in seen]
        if not fresh:
            return
        seen.update(inv.id for inv in fresh)
        yield from fresh
        if len(page) < _PAGE:
            return
        after = page[-1].id


def _issued(store: _Store) -> Iterator[Invoice]:
    return (inv for inv in store.invoices if inv.status is not Status.DRAFT)
