"""Customer credit inside one write transaction: find it, lock it, spend it once.

``pay_with_credit`` pays an invoice from credit held on the customer's other paid
invoices: the invoice gets a ``credit`` payment and each source records what it gave, in
the caller's transaction. Sources are locked in id order and re-read under the lock, so
two transactions racing for the same credit spend it once (the second sees it gone).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final

from invoicekit.domain import credit, lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.ports import InvoiceQuery, Transaction
from invoicekit.services.unit import Runner

__all__ = ["credit_holders", "pay_with_credit"]

_PAGE: Final = 500


def credit_holders(
    tx: Transaction, seller_id: str, customer_id: str, *, lock: bool = False
) -> list[Invoice]:
    """The customer's paid invoices that hold credit (locked, in id order, when ``lock``)."""
    found: list[Invoice] = []
    after: str | None = None
    while True:
        query = InvoiceQuery({Status.PAID}, customer_id, limit=_PAGE, after=after)
        page = tx.invoices.find(seller_id, query)
        found += [i for i in page if i.customer_credit > 0]
        if len(page) < _PAGE:
            break
        after = page[-1].id
    if not lock:
        return found
    return [tx.invoices.get(seller_id, i, for_update=True) for i in sorted(h.id for h in found)]


def pay_with_credit(
    tx: Transaction,
    run: Runner,
    target: Invoice,
    amount: object,
    payment_id: str,
    *,
    now: datetime,
    strict: bool = True,
) -> Invoice:
    """Pay ``target`` (locked by the caller) from the customer's credit; returns it saved.

    ``amount`` None takes all that fits. ``strict=False`` (at issue) does nothing when
    no credit applies instead of raising.
    """
    holders = credit_holders(tx, target.seller_id, target.customer_id, lock=True)
    chosen = credit.plan(target, holders, amount, strict=strict)
    if not chosen:
        return target
    total = sum((part for _, part in chosen), Decimal(0))
    sources = tuple(h.ref for h, _ in chosen)
    paid, events = lifecycle.apply(
        target, lifecycle.PayWithCredit(payment_id, total, sources), at=now
    )
    tx.invoices.save(paid, expected_version=target.version)
    run.changed(tx, paid, events, now)  # the outbox, and the receipt of the credit payment
    for holder, part in chosen:
        command = lifecycle.ApplyCredit(payment_id, target.id, target.ref, part)
        given, more = lifecycle.apply(holder, command, at=now)
        tx.invoices.save(given, expected_version=holder.version)
        run.changed(tx, given, more, now)
    return paid
