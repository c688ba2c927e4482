"""The values the storage contract stores, built the way invoicekit builds them.

Sellers, customers and invoices come from the domain's named constructors and
the lifecycle (``Invoice.draft``, ``lifecycle.apply``), never from raw field
dicts, so an adapter is checked on real values: issued snapshots, payments,
credits and all. ``observe`` reads everything a seller can see through a
transaction as one comparable value; the contract compares those snapshots.
"""

# ruff: noqa: S101
# (a contract suite checks with assert, as tests do; pytest rewrites these modules)

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeAlias

import attrs

from invoicekit.domain import lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.events import CreditNoteIssued
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.domain.tax import Vat
from invoicekit.domain.terms import NetDays
from invoicekit.ports import (
    IdempotencyRecord,
    InvoiceQuery,
    OutboxRecord,
    Storage,
    Transaction,
)
from invoicekit.serialization import frozen_hash

__all__ = [
    "AT",
    "OPEN",
    "Reopen",
    "StorageFactory",
    "credit",
    "customer",
    "draft",
    "fresh",
    "hash_of",
    "idempotency_record",
    "issue_in",
    "move_to",
    "observe",
    "outbox_record",
    "pay",
    "seller",
]

#: The default action time: 2026-03-01 09:00 UTC (10:00 in Berlin, the sellers' zone).
AT: Final = datetime(2026, 3, 1, 9, tzinfo=UTC)
#: The statuses ``InvoiceQuery.overdue_on`` counts as open.
OPEN: Final = frozenset({Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED})
#: What the ``reopen`` fixture returns: storage -> a fresh instance on the same data.
Reopen: TypeAlias = Callable[[Storage], Storage]
#: What the ``make_storage`` fixture returns: () -> a new, empty storage.
StorageFactory: TypeAlias = Callable[[], Storage]


@contextmanager
def fresh(reopen: Reopen, storage: Storage, *, write: bool = False) -> Iterator[Transaction]:
    """A transaction on ``reopen(storage)``: a new instance unless the adapter keeps data in memory.

    The reopened instance is closed afterwards unless it is ``storage`` itself.
    """
    other: Storage = reopen(storage)
    try:
        with other.transaction(write=write) as tx:
            yield tx
    finally:
        if other is not storage:
            other.close()


def seller(seller_id: str, *, name: str = "Northwind Studio") -> Seller:
    """A German EUR seller (Europe/Berlin, net 30, the default invoice and credit-note series)."""
    return Seller(
        id=seller_id,
        name=name,
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        tax_id="DE811234567",
        metadata={"plan": "pro"},
    )


def customer(
    seller_id: str, customer_id: str, *, archived: bool = False, name: str = "Globex GmbH"
) -> Customer:
    """A customer of ``seller_id`` reachable by e-mail."""
    return Customer(
        id=customer_id,
        seller_id=seller_id,
        name=name,
        email="ap@globex.example",
        archived=archived,
        metadata={"crm": customer_id},
    )


def draft(
    of: Seller,
    to: Customer,
    invoice_id: str,
    *,
    amount: str | Decimal = "100.00",
    terms_days: int = 30,
    at: datetime = AT,
    memo: str | None = None,
    issue_date: date | None = None,
) -> Invoice:
    """A draft of one line of ``amount`` at 19 % VAT (119.00 EUR for the default)."""
    return Invoice.draft(
        id=invoice_id,
        seller=of,
        customer=to,
        lines=[Line("Consulting", quantity="1", unit_price=amount, tax=Vat("19"))],
        at=at,
        terms=NetDays(terms_days),
        memo=memo,
        metadata={"po": f"PO-{invoice_id}"},
        issue_date=issue_date,
    )


def hash_of(invoice: Invoice) -> str:
    """The content hash a store records when ``invoice`` is saved with ``freeze=True``."""
    return frozen_hash(invoice)


def issue_in(
    tx: Transaction, invoice: Invoice, of: Seller, to: Customer, *, at: datetime = AT
) -> Invoice:
    """Issue a stored draft as the service does: next number of its series, save with the hash."""
    issue_date = invoice.issue_date or books_date(at, of)
    series = of.series_named(invoice.series)
    seq = tx.sequences.next_value(of.id, series.name, series.format.period_key(issue_date))
    command = lifecycle.Issue(
        number=series.number(seq, issue_date), seller=of, customer=to, issue_date=issue_date
    )
    issued, _ = lifecycle.apply(invoice, command, at=at)
    tx.invoices.save(issued, expected_version=invoice.version, freeze=True)
    return issued


def pay(invoice: Invoice, amount: str | Decimal, payment_id: str, *, at: datetime = AT) -> Invoice:
    """``invoice`` after a settled payment of ``amount`` (not stored)."""
    paid, _ = lifecycle.apply(invoice, lifecycle.RecordPayment(payment_id, amount), at=at)
    return paid


def credit(
    invoice: Invoice, note_id: str, number: str, amount: str = "10.00", *, at: datetime = AT
) -> tuple[Invoice, CreditNote]:
    """``invoice`` after a credit note of ``amount`` net, and the note (neither stored)."""
    line = Line("Goodwill credit", quantity="1", unit_price=amount, tax=Vat("19"))
    command = lifecycle.Credit(note_id, number, [line], reason="goodwill")
    new, events = lifecycle.apply(invoice, command, at=at)
    note = next(e.credit_note for e in events if isinstance(e, CreditNoteIssued))
    return new, note


def move_to(invoice: Invoice, status: Status, *, at: datetime = AT) -> Invoice:
    """An issued invoice moved to ``status`` through the lifecycle (not stored).

    ``at`` is the issue time; overdue is reached a day after the due date.
    """
    command: lifecycle.Command | None = None
    when = at
    if status is Status.PARTIALLY_PAID:
        command = lifecycle.RecordPayment(f"pay-{invoice.id}", "10.00")
    elif status is Status.PAID:
        command = lifecycle.RecordPayment(f"pay-{invoice.id}", invoice.amount_due)
    elif status is Status.OVERDUE:
        assert invoice.due_date is not None
        assert invoice.issue_date is not None
        command = lifecycle.MarkOverdue()
        when = at + timedelta(days=(invoice.due_date - invoice.issue_date).days + 1)
    elif status is Status.FAILED:
        command = lifecycle.FailCollection("card declined", code="card_declined")
    elif status is Status.VOID:
        command = lifecycle.Void("issued by mistake")
    elif status is Status.UNCOLLECTIBLE:
        command = lifecycle.WriteOff("customer insolvent")
    if command is None:
        return invoice
    moved, _ = lifecycle.apply(invoice, command, at=when)
    assert moved.status is status, (moved.status, status)
    return moved


def outbox_record(
    seller_id: str,
    key: str,
    *,
    invoice_id: str | None = None,
    kind: str = "invoice.issued",
    at: datetime = AT,
    payload: Mapping[str, Any] | None = None,
) -> OutboxRecord:
    """An undelivered outbox record with a small nested payload."""
    body = dict(payload) if payload is not None else {"key": key, "lines": [1, 2], "total": "1.00"}
    return OutboxRecord(
        key=key,
        seller_id=seller_id,
        kind=kind,
        payload=body,
        created_at=at,
        invoice_id=invoice_id,
    )


def idempotency_record(
    seller_id: str, key: str, *, fingerprint: str = "fp-1", at: datetime = AT
) -> IdempotencyRecord:
    """A stored idempotency result for ``key``."""
    return IdempotencyRecord(
        seller_id=seller_id,
        key=key,
        fingerprint=fingerprint,
        operation="issue",
        result={"invoice_id": "i1", "number": "INV-2026-00001", "amounts": ["119.00"]},
        created_at=at,
    )


def _invoice_view(invoice: Invoice) -> tuple[Invoice, object]:
    """An invoice with the field its ``==`` skips (``policy``)."""
    return invoice, invoice.policy


def _outbox_view(record: OutboxRecord) -> tuple[OutboxRecord, dict[str, Any]]:
    """A record without its storage-assigned position, with the payload ``==`` skips."""
    return attrs.evolve(record, position=None), record.payload


def observe(
    tx: Transaction,
    *,
    periods: Sequence[str] = ("2025", "2026"),
    idempotency_keys: Sequence[str] = (),
    overdue_on: date = date(2026, 2, 20),
) -> dict[str, Any]:
    """Everything the stored sellers can see, as one value to compare (positions left out).

    Sellers, customers (archived or not, and the first page of two), invoices
    (all, open, overdue, and two pages of two; ``find`` has its own exhaustive test), credit notes per invoice, the outbox per seller and
    pending, the next value of every counter in ``periods``, and the idempotency
    records under ``idempotency_keys``.
    """
    state: dict[str, Any] = {"sellers": tx.sellers.list()}
    queries = {
        "all": InvoiceQuery(limit=1000),
        "open": InvoiceQuery(statuses=OPEN, limit=1000),
        "overdue": InvoiceQuery(overdue_on=overdue_on, limit=1000),
        "first_page": InvoiceQuery(limit=2),
    }
    for s in state["sellers"]:
        every = tx.invoices.find(s.id, queries["all"])
        seen: dict[str, Any] = {
            "customers": tx.customers.list(s.id, include_archived=True, limit=1000),
            "active_customers": tx.customers.list(s.id, limit=2),
            "outbox": [_outbox_view(r) for r in tx.outbox.list(seller_id=s.id)],
            "credit_notes": {i.id: tx.credit_notes.for_invoice(s.id, i.id) for i in every},
            "counters": {
                (series, period): tx.sequences.peek(s.id, series, period)
                for series in ("invoice", "credit_note")
                for period in periods
            },
            "idempotency": {
                key: _idempotency_view(tx.idempotency.get(s.id, key)) for key in idempotency_keys
            },
        }
        for name, query in queries.items():
            seen[name] = [_invoice_view(i) for i in tx.invoices.find(s.id, query)]
        if every:
            second_page = InvoiceQuery(limit=2, after=every[min(1, len(every) - 1)].id)
            seen["second_page"] = [_invoice_view(i) for i in tx.invoices.find(s.id, second_page)]
        state[s.id] = seen
    state["pending"] = [_outbox_view(r) for r in tx.outbox.pending(limit=1000)]
    return state


def _idempotency_view(record: IdempotencyRecord | None) -> object:
    return None if record is None else (record, record.result)
