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

Usage::

    from invoicekit.testing.invariants import assert_all, check_all

    assert check_all(billing, "s1") == []
    assert_all(billing, "s1")  # raises InvariantViolationError on the first violation
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Final, NamedTuple

from invoicekit.domain.events import InvoiceIssued
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.numbering import Series
from invoicekit.domain.parties import Seller
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.errors import InvariantViolationError, InvoiceKitError
from invoicekit.services.billing import Billing, SellerBooks

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

#: Invoices read per page when listing a seller's invoices.
_PAGE: Final = 500
#: Outbox records read at once (the outbox port has no paging; this is "all of them").
_ALL_RECORDS: Final = 2**62
#: At most this many missing or repeated sequence numbers are named in one message.
_SHOWN: Final = 10
#: Two sequence numbers longer than any padding and different in every digit: rendering
#: both shows where the sequence sits in a formatted number.
_PROBES: Final = (111_111_111_111_111, 222_222_222_222_222)
_ISSUED_KIND: Final = InvoiceIssued.__name__
_ZERO: Final = Decimal(0)


class Violation(NamedTuple):
    """One broken invariant: its id (``"I3"``) and what is wrong, naming the objects."""

    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


class _Numbered(NamedTuple):
    """A numbered document (invoice or credit note) as the numbering check sees it."""

    what: str
    number: str
    issue_date: date
    series: Series


class _Store(NamedTuple):
    """What was read of one seller's books."""

    seller: Seller
    invoices: list[Invoice]
    notes: dict[str, list[CreditNote]]


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


# ------------------------------------------------------------------------------ I1


def _money(store: _Store) -> list[Violation]:
    found: list[Violation] = []
    for inv in _issued(store):
        found += _invoice_money(inv)
        found += _notes_match(inv, store.notes.get(inv.id, []))
    return found


def _credit(store: _Store) -> list[Violation]:
    """Customer credit is never negative, is held only by paid invoices, and spent once.

    Every ``credit`` payment is backed by exactly the credit its source invoices gave up.
    """
    found: list[Violation] = []
    given: dict[str, Decimal] = defaultdict(Decimal)
    for inv in _issued(store):
        given.update({t.payment_id: given[t.payment_id] + t.amount for t in inv.credit_transfers})
        if inv.customer_credit < 0 or (inv.customer_credit and inv.status is not Status.PAID):
            found.append(
                Violation("I1", f"invoice {inv.ref} holds {inv.customer_credit} of customer credit")
            )
    found += [
        Violation("I1", f"credit payment {p.id!r} on {inv.ref} is not backed once")
        for inv in _issued(store)
        for p in inv.payments
        if p.method == "credit" and given.pop(p.id, _ZERO) != p.amount
    ]
    found += [Violation("I1", f"credit given to a missing payment {pid!r}") for pid in given]
    return found


def _invoice_money(inv: Invoice) -> list[Violation]:
    found: list[Violation] = []
    t = inv.totals

    def bad(detail: str) -> None:
        found.append(Violation("I1", f"invoice {inv.ref}: {detail}"))

    if t.tax_exclusive != t.line_net_total - t.discount_total + t.charge_total:
        bad(
            f"tax-exclusive total {t.tax_exclusive} != line net {t.line_net_total} − discounts "
            f"{t.discount_total} + charges {t.charge_total} (BR-CO-13)"
        )
    if t.tax_inclusive != t.tax_exclusive + t.tax_total:
        bad(f"total with tax {t.tax_inclusive} != {t.tax_exclusive} + tax {t.tax_total} (BR-CO-15)")
    if t.payable != t.tax_inclusive + t.rounding:
        bad(f"payable {t.payable} != {t.tax_inclusive} + rounding {t.rounding} (BT-115)")
    paid = _ZERO
    for p in inv.payments:
        refunded = sum((r.amount for r in p.refunds), _ZERO)
        if p.status is not PaymentStatus.SUCCEEDED:
            continue
        if p.allocated + p.customer_credit != p.amount:
            bad(
                f"payment {p.id!r} of {p.amount}: allocated {p.allocated} + customer credit "
                f"{p.customer_credit} != the amount received"
            )
        if min(p.allocated, p.customer_credit, p.net_allocated) < 0 or refunded > p.amount:
            bad(
                f"payment {p.id!r}: allocated {p.allocated}, customer credit "
                f"{p.customer_credit}, refunded {refunded} (each ≥ 0, refunds ≤ received, "
                "refunds that re-opened the balance ≤ allocated)"
            )
        paid += p.net_allocated
    credited = _ZERO
    for c in inv.credits:
        if c.allocated + c.customer_credit != c.amount or min(c.allocated, c.customer_credit) < 0:
            bad(
                f"credit note {c.number}: allocated {c.allocated} + customer credit "
                f"{c.customer_credit} != its amount {c.amount}"
            )
        credited += c.allocated
    expected = t.tax_inclusive - paid - credited + t.rounding
    if inv.amount_due != expected:
        bad(
            f"amount due {inv.amount_due} != total {t.tax_inclusive} − paid {paid} − credited "
            f"{credited} + rounding {t.rounding} = {expected}"
        )
    if inv.amount_due < 0:
        bad(f"amount due {inv.amount_due} is negative")
    return found


def _notes_match(inv: Invoice, notes: list[CreditNote]) -> list[Violation]:
    """The credit applications on the invoice and the stored credit notes agree one to one."""
    found: list[Violation] = []
    stored = {n.id: n for n in notes}
    applied = {c.credit_note_id: c for c in inv.credits}
    found += [
        Violation("I1", f"invoice {inv.ref}: credit note {key!r} is applied but not stored")
        for key in sorted(set(applied) - set(stored))
    ]
    found += [
        Violation("I1", f"invoice {inv.ref}: credit note {key!r} is stored but not applied")
        for key in sorted(set(stored) - set(applied))
    ]
    for key in sorted(set(stored) & set(applied)):
        note, app = stored[key], applied[key]
        if (note.number, note.totals.payable) != (app.number, app.amount):
            found.append(
                Violation(
                    "I1",
                    f"invoice {inv.ref}: credit note {key!r} is {note.number} for "
                    f"{note.totals.payable} but applied as {app.number} for {app.amount}",
                )
            )
    total = sum((n.totals.payable for n in notes), _ZERO)
    if total > inv.totals.payable:
        found.append(
            Violation(
                "I1",
                f"invoice {inv.ref}: credit notes total {total}, more than its {inv.totals.payable}",
            )
        )
    return found


# ------------------------------------------------------------------------------ I3


def _numbered(store: _Store) -> tuple[list[_Numbered], list[Violation]]:
    """Every numbered document with the series that numbered it, and what cannot be placed."""
    docs: list[_Numbered] = []
    found: list[Violation] = []
    for inv in store.invoices:
        if inv.status is Status.DRAFT:
            if inv.number is not None:
                found.append(Violation("I3", f"draft {inv.id} has the number {inv.number}"))
            continue
        if inv.number is None or inv.issue_date is None:
            found.append(
                Violation("I3", f"{inv.status.value} invoice {inv.id} has no number or issue date")
            )
            continue
        # The series as it was at issue: the snapshot of the seller taken then.
        series = _series(inv.seller or store.seller, inv.series) or _series(
            store.seller, inv.series
        )
        if series is None:
            found.append(Violation("I3", f"invoice {inv.number}: unknown series {inv.series!r}"))
            continue
        docs.append(_Numbered(f"invoice {inv.id}", inv.number, inv.issue_date, series))
    for notes in store.notes.values():
        for note in notes:
            # Credit notes are numbered in the seller's series current at crediting time.
            series = _series(store.seller, "credit_note") or _series(note.seller, "credit_note")
            if series is None:
                found.append(Violation("I3", f"credit note {note.number}: no credit_note series"))
                continue
            docs.append(_Numbered(f"credit note {note.id}", note.number, note.issue_date, series))
    return docs, found


def _series(seller: Seller, name: str) -> Series | None:
    return next((s for s in seller.series if s.name == name), None)


def _common_prefix(a: str, b: str) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return a[:n]


def _sequence(series: Series, number: str, issue_date: date) -> int | None:
    """The sequence number ``number`` renders in ``series`` on ``issue_date``, or None."""
    low, high = (series.number(probe, issue_date) for probe in _PROBES)
    prefix = _common_prefix(low, high)
    suffix = _common_prefix(low[::-1], high[::-1])[::-1]
    end = len(number) - len(suffix)
    digits = number[len(prefix) : end]
    if not (number.startswith(prefix) and number.endswith(suffix) and end > len(prefix)):
        return None
    if not (digits.isascii() and digits.isdigit()):
        return None
    seq = int(digits)
    return seq if seq >= 1 and series.number(seq, issue_date) == number else None


def _groups(docs: Iterable[_Numbered], found: list[Violation]) -> dict[tuple[str, str], list[int]]:
    """Sequence numbers per (series, period); documents whose number does not parse are reported."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for doc in docs:
        seq = _sequence(doc.series, doc.number, doc.issue_date)
        if seq is None:
            found.append(
                Violation(
                    "I3",
                    f"{doc.what}: number {doc.number!r} is not in the format "
                    f"{doc.series.format.pattern!r} of series {doc.series.name!r} "
                    f"for {doc.issue_date}",
                )
            )
            continue
        period = doc.series.format.period_key(doc.issue_date)
        groups[doc.series.name, period].append(seq)
    return groups


def _numbers(store: _Store) -> list[Violation]:
    docs, found = _numbered(store)
    for number, uses in sorted(Counter(d.number for d in docs).items()):
        if uses > 1:
            owners = ", ".join(d.what for d in docs if d.number == number)
            found.append(Violation("I3", f"number {number} is used {uses} times: {owners}"))
    for (series, period), seqs in sorted(_groups(docs, found).items()):
        counts = Counter(seqs)
        repeated = sorted(k for k, n in counts.items() if n > 1)
        missing = sorted(set(range(1, len(seqs) + 1)) - set(seqs))
        extra = sorted(k for k in counts if k > len(seqs))
        if repeated or missing or extra:
            found.append(
                Violation(
                    "I3",
                    f"series {series!r} period {period}: {len(seqs)} documents should carry "
                    f"1..{len(seqs)}; repeated {_few(repeated)}, missing {_few(missing)}, "
                    f"beyond {len(seqs)}: {_few(extra)}",
                )
            )
    return found


def _few(values: list[int]) -> str:
    shown = ", ".join(map(str, values[:_SHOWN]))
    more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return f"[{shown}{more}]"


def _counters(billing: Billing, store: _Store) -> list[Violation]:
    """Each (series, period) counter stands right after the last number used: no hidden gap."""
    docs, _ = _numbered(store)
    used = _groups(docs, [])
    found: list[Violation] = []
    try:
        with billing.storage.transaction(write=False) as tx:
            for (series, period), seqs in sorted(used.items()):
                nxt = tx.sequences.peek(store.seller.id, series, period)
                if nxt != len(seqs) + 1:
                    found.append(
                        Violation(
                            "I3",
                            f"series {series!r} period {period}: the counter would hand out "
                            f"{nxt} next, but {len(seqs)} documents are numbered "
                            f"(expected {len(seqs) + 1}; a taken number was lost or reused)",
                        )
                    )
    except InvoiceKitError as exc:
        found.append(Violation("I3", f"the number counters cannot be read: {exc}"))
    return found


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
