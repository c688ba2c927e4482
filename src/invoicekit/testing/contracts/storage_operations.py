"""The operations of the T33 differential run, each one transaction on a given storage.

Every operation picks its targets from what the storage itself returns (``pick``
is taken modulo the candidates), so two stores in the same state get the same
operation; it returns a comparable value ("skip" when there is nothing to act on)
or raises the error the storage or the lifecycle raises.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, Final

from invoicekit.domain import lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Seller
from invoicekit.domain.status import Status
from invoicekit.ports import InvoiceQuery, Storage, Transaction
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_builders import OPEN

__all__ = [
    "CENT",
    "CUSTOMERS",
    "INSTANTS",
    "SELLERS",
    "Rollback",
    "add_customer",
    "add_draft",
    "add_seller",
    "append",
    "credit",
    "delete",
    "invoices",
    "issue",
    "mark",
    "pay",
    "pick_one",
    "put_key",
    "roll_back",
    "stale_save",
    "toggle_archived",
    "void",
]

SELLERS: Final = ("s-a", "s-b")
CUSTOMERS: Final = ("c-1", "c-2", "c-3")
#: Instants around the year end: 31 Dec 23:30 UTC is already 2026 in Berlin (the counter's period).
INSTANTS: Final = (
    datetime(2025, 12, 30, 12, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2026, 1, 20, 9, tzinfo=UTC),
    datetime(2026, 3, 1, 9, tzinfo=UTC),
)
CENT: Final = Decimal("0.01")


class Rollback(Exception):  # noqa: N818 - a signal, not an error
    """Raised on purpose to roll a transaction back."""


def invoices(tx: Transaction) -> list[tuple[Seller, Invoice]]:
    """Every stored invoice with its seller, in find order."""
    return [
        (s, inv)
        for s in tx.sellers.list()
        for inv in tx.invoices.find(s.id, InvoiceQuery(limit=1000))
    ]


def pick_one(items: list[Any], n: int) -> Any:
    """Item ``n`` (modulo the length), or None when there is none."""
    return items[n % len(items)] if items else None


def add_seller(storage: Storage, seller_id: str) -> object:
    """Store seller ``seller_id``."""
    with storage.transaction() as tx:
        tx.sellers.add(b.seller(seller_id))
    return None


def add_customer(storage: Storage, pick: int, customer_id: str, archived: bool) -> object:
    """Store customer ``customer_id`` for a stored seller."""
    with storage.transaction() as tx:
        seller = pick_one(tx.sellers.list(), pick)
        if seller is None:
            return "skip"
        tx.customers.add(b.customer(seller.id, customer_id, archived=archived))
    return None


def toggle_archived(storage: Storage, pick: int) -> object:
    """Archive or unarchive a stored customer."""
    with storage.transaction() as tx:
        every = [
            c for s in tx.sellers.list() for c in tx.customers.list(s.id, include_archived=True)
        ]
        customer = pick_one(every, pick)
        if customer is None:
            return "skip"
        tx.customers.update(
            b.customer(customer.seller_id, customer.id, archived=not customer.archived)
        )
    return None


def add_draft(storage: Storage, pick: int, number: int, cents: int, terms: int) -> object:
    """Store draft ``i-<number>`` for a stored customer."""
    with storage.transaction() as tx:
        pairs = [
            (s, c)
            for s in tx.sellers.list()
            for c in tx.customers.list(s.id, include_archived=True)
        ]
        pair = pick_one(pairs, pick)
        if pair is None:
            return "skip"
        seller, customer = pair
        amount = Decimal(cents).scaleb(-2)
        tx.invoices.add(b.draft(seller, customer, f"i-{number}", amount=amount, terms_days=terms))
    return None


def issue(storage: Storage, pick: int, at: datetime) -> object:
    """Issue a stored draft with the next number, and append an outbox record; return the number."""
    with storage.transaction() as tx:
        found = pick_one([p for p in invoices(tx) if p[1].status is Status.DRAFT], pick)
        if found is None:
            return "skip"
        seller, draft = found
        customer = tx.customers.get(seller.id, draft.customer_id)
        issued = b.issue_in(tx, draft, seller, customer, at=at)
        record = b.outbox_record(
            seller.id, f"issued-{seller.id}-{issued.id}", invoice_id=issued.id, at=at
        )
        tx.outbox.append([record])
        return issued.number


def pay(storage: Storage, pick: int, percent: int, payment: int, at: datetime) -> object:
    """Record a payment of ``percent`` % of an open invoice's balance; return the new status."""
    with storage.transaction() as tx:
        found = pick_one([p for p in invoices(tx) if p[1].status in OPEN], pick)
        if found is None:
            return "skip"
        _, invoice = found
        share = (invoice.amount_due * percent / 100).quantize(CENT, rounding=ROUND_DOWN)
        paid = b.pay(invoice, max(share, CENT), f"p-{payment}", at=at)
        tx.invoices.save(paid, expected_version=invoice.version)
        return paid.status


def credit(storage: Storage, pick: int, note: int, cents: int, at: datetime) -> object:
    """Issue a credit note (numbered from the credit-note counter) against an issued invoice."""
    with storage.transaction() as tx:
        creditable = [p for p in invoices(tx) if p[1].status not in {Status.DRAFT, Status.VOID}]
        found = pick_one(creditable, pick)
        if found is None:
            return "skip"
        seller, invoice = found
        series = seller.series_named("credit_note")
        day = books_date(at, seller)
        seq = tx.sequences.next_value(seller.id, series.name, series.format.period_key(day))
        amount = str(Decimal(cents).scaleb(-2))
        credited, credit_note = b.credit(
            invoice, f"cn-{note}", series.number(seq, day), amount, at=at
        )
        tx.credit_notes.add(credit_note)
        tx.invoices.save(credited, expected_version=invoice.version)
        return credit_note.number


def void(storage: Storage, pick: int) -> object:
    """Void an issued invoice (refused by the lifecycle once it has payments or credits)."""
    with storage.transaction() as tx:
        found = pick_one([p for p in invoices(tx) if p[1].status is not Status.DRAFT], pick)
        if found is None:
            return "skip"
        _, invoice = found
        void, _ = lifecycle.apply(invoice, lifecycle.Void("mistake"), at=b.AT)
        tx.invoices.save(void, expected_version=invoice.version)
    return None


def stale_save(storage: Storage, pick: int, delta: int) -> object:
    """Save an invoice with a stale expected version (always a ConcurrencyError)."""
    with storage.transaction() as tx:
        found = pick_one(invoices(tx), pick)
        if found is None:
            return "skip"
        _, invoice = found
        tx.invoices.save(invoice, expected_version=invoice.version + delta)
    return None


def delete(storage: Storage, pick: int) -> object:
    """Delete an invoice: a draft goes, an issued one is refused."""
    with storage.transaction() as tx:
        found = pick_one(invoices(tx), pick)
        if found is None:
            return "skip"
        seller, invoice = found
        tx.invoices.delete(seller.id, invoice.id, expected_version=invoice.version)
    return None


def append(storage: Storage, pick: int, key: int, with_invoice: bool) -> object:
    """Append outbox record ``k-<key>`` (deduplicated by key)."""
    with storage.transaction() as tx:
        found = pick_one(invoices(tx), pick) if with_invoice else None
        seller = found[0] if found else pick_one(tx.sellers.list(), pick)
        if seller is None:
            return "skip"
        invoice_id = found[1].id if found else None
        record = b.outbox_record(seller.id, f"k-{key}", invoice_id=invoice_id, payload={"n": key})
        tx.outbox.append([record])
    return None


def mark(storage: Storage, pick: int, delivered: bool, at: datetime) -> object:
    """Mark a stored outbox record delivered (with an unknown key beside it) or failed."""
    with storage.transaction() as tx:
        records = [r for s in tx.sellers.list() for r in tx.outbox.list(seller_id=s.id)]
        record = pick_one(records, pick)
        if record is None:
            return "skip"
        if delivered:
            tx.outbox.mark_delivered([record.key, "k-never-stored"], at=at)
        else:
            tx.outbox.mark_failed(record.key, error=f"451 at {at.isoformat()}")
    return None


def put_key(storage: Storage, pick: int, key: int, fingerprint: int) -> object:
    """Store idempotency key ``key-<key>`` for a stored seller."""
    with storage.transaction() as tx:
        seller = pick_one(tx.sellers.list(), pick)
        if seller is None:
            return "skip"
        record = b.idempotency_record(seller.id, f"key-{key}", fingerprint=f"fp-{fingerprint}")
        tx.idempotency.put(record)
    return None


def roll_back(storage: Storage, pick: int) -> object:
    """Write to every repository, then raise: nothing may remain."""
    try:
        with storage.transaction() as tx:
            seller = pick_one(tx.sellers.list(), pick)
            if seller is None:
                return "skip"
            tx.sequences.next_value(seller.id, "invoice", "2026")
            tx.customers.add(b.customer(seller.id, "c-rolled-back"))
            tx.outbox.append([b.outbox_record(seller.id, "k-rolled-back")])
            tx.idempotency.put(b.idempotency_record(seller.id, "key-rolled-back"))
            for _, invoice in invoices(tx):
                if invoice.status in OPEN:
                    paid = b.pay(invoice, CENT, "p-rolled-back")
                    tx.invoices.save(paid, expected_version=invoice.version)
            raise Rollback
    except Rollback:
        return "rolled back"
