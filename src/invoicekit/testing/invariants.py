"""Whole-store invariant checks: what must hold for one seller after any sequence of operations.

Every stateful, concurrent and crash test calls :func:`check_all` at the end (and the
simulator after every step); an operator can run it against a production store too.
It reads only through the public facade (``billing.sellers``, ``billing.seller(id)``)
and the storage port's read-only transaction (for the number counters), never an
adapter's internals, so it works the same on every storage adapter.

The invariants checked (numbered as in docs/explanation/reliability.md):

* **I1** money is conserved: for every issued invoice
  ``tax_inclusive − paid − credited + rounding == amount_due`` with ``paid`` and
  ``credited`` summed here from the payments and credit applications, ``amount_due ≥ 0``;
  for every succeeded payment ``allocated + customer_credit == amount``; the same for
  every credit application; the document totals add up (BR-CO-13, BR-CO-15, BT-115).
* **I3** numbering: per (series, period) the issued numbers carry exactly the sequence
  numbers 1..N in the series format, the counter stands at N + 1 (a number taken by a
  rolled-back transaction would be a gap), no number is used twice, no draft has one,
  every issued (also void) invoice keeps one. Credit notes are checked in their series
  (read for the invoices that have credit applications; a stored note without one
  shows up as a counter ahead of the notes found).
* **I4** issued documents are intact: every invoice is read through the storage's
  invoice repository, which verifies an issued invoice's content hash on every read
  (a mismatch is reported, and ends the listing), and keeps its issue snapshot.
* **I6** the outbox holds exactly one ``InvoiceIssued`` record per issued invoice, with
  its number, and none for a draft.
* **I7** statuses agree with the balance: an issued, non-void invoice is ``paid`` exactly
  when nothing is due; a void invoice has no payments and no credit notes.
* **I9** tenancy: every invoice, its customer, its snapshots and its credit notes belong
  to the seller.

The checks of each family are in modules of their own: invariants_money (I1),
invariants_numbers (I3), invariants_documents (I4, I6, I7, I9), and the reading
of the books in invariants_read; this module runs them in order.

Usage::

    from invoicekit.testing.invariants import assert_all, check_all

    assert check_all(billing, "s1") == []
    assert_all(billing, "s1")  # raises InvariantViolationError on the first violation
"""

from __future__ import annotations

from typing import Final

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import InvariantViolationError
from invoicekit.services.billing import Billing
from invoicekit.testing.invariants_documents import (
    _customers,
    _integrity,
    _integrity_of,
    _outbox,
    _status_of,
    _statuses,
    _tenancy,
)
from invoicekit.testing.invariants_money import _credit, _invoice_money, _money
from invoicekit.testing.invariants_numbers import _counters, _numbers
from invoicekit.testing.invariants_read import Violation, _read

__all__ = [
    "INVARIANTS",
    "Violation",
    "assert_all",
    "check_all",
    "invoice_violations",
    "violations",
]

#: The invariants this module checks, in the order it checks them.
INVARIANTS: Final = ("I1", "I3", "I4", "I6", "I7", "I9")


def check_all(billing: Billing, seller_id: str) -> list[str]:
    """Every invariant violation in ``seller_id``'s books, as readable text; empty when sound.

    Each entry starts with the invariant's id (``"I3: ..."``) and names the invoice or
    number concerned. Reading failures (an unknown seller, a document whose content no
    longer matches its hash) are reported as violations, not raised.
    """
    return [str(v) for v in violations(billing, seller_id)]


def assert_all(billing: Billing, seller_id: str) -> None:
    """Raise ``InvariantViolationError`` for the first violation :func:`check_all` finds."""
    for found in violations(billing, seller_id):
        raise InvariantViolationError(found.invariant, found.detail)


def violations(billing: Billing, seller_id: str) -> list[Violation]:
    """Every invariant violation in ``seller_id``'s books, as ``Violation`` values."""
    found: list[Violation] = []
    store = _read(billing, seller_id, found)
    if store is None:
        return found
    books = billing.seller(seller_id)
    for check in (_money, _credit, _numbers, _integrity, _statuses, _tenancy):
        found += check(store)
    found += _counters(billing, store)
    found += _outbox(books, store)
    found += _customers(books, store)
    return found


def invoice_violations(invoice: Invoice, seller_id: str) -> list[Violation]:
    """What one invoice breaks on its own (I1 money, I4 issue fields, I7 status, I9 owner).

    For incremental checks after a step that touched ``invoice`` (the simulator's);
    what spans invoices (numbering, the outbox, credit notes) is left to ``violations``.
    """
    found: list[Violation] = []
    if invoice.seller_id != seller_id:
        found.append(Violation("I9", f"invoice {invoice.ref} belongs to {invoice.seller_id!r}"))
    if invoice.status is Status.DRAFT:
        if invoice.number is not None:
            found.append(Violation("I3", f"draft {invoice.id} has the number {invoice.number}"))
        return found
    return found + _invoice_money(invoice) + _integrity_of(invoice) + _status_of(invoice)
