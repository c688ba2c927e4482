"""The planner's view of the store: one seller's open invoices, a page at a time, as plain values.

Paged (``PAGE`` invoices per read transaction), so 100,000 open invoices never load at
once; each page is planned and performed before the next is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, time
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

import attrs

from invoicekit.domain.dunning import DunningPolicy, PolicyOverride, resolve
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.late_fee import Interest
from invoicekit.domain.overdue import CHASED
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.planning import DueInvoice
from invoicekit.ports import Transaction
from invoicekit.records import InvoiceQuery
from invoicekit.services.collection import outcome_key
from invoicekit.services.unit import Runner

__all__ = ["NO_REMINDERS", "PAGE", "fee_key", "interest_of", "interest_value", "open_pages"]

#: Open invoices read (and planned) per page.
PAGE: Final = 500
#: The policy of a seller without one: overdue is still marked, nothing is sent or charged.
NO_REMINDERS: Final = DunningPolicy(steps=(), retry_days=())
_REMINDER_KINDS: Final = ("reminder", "final_notice")
#: Collection attempts looked up per invoice: the first charge and at most 10 retries.
_MAX_ATTEMPTS: Final = 11


def fee_key(invoice_id: str, step: str) -> str:
    """The idempotency key of the late-fee invoice of (invoice, step): its record marks the fee applied."""
    return f"late-fee:{invoice_id}:{step}"


def interest_value(interest: Interest) -> dict[str, object]:
    """The interest as recorded under its step's ``fee_key`` (amounts as exact strings)."""
    return {
        "balance": str(interest.balance),
        "currency": interest.currency,
        "annual_rate": str(interest.annual_rate),
        "days": interest.days,
        "amount": str(interest.amount),
    }


def interest_of(tx: Transaction, seller_id: str, invoice_id: str, step: str) -> Interest | None:
    """The interest recorded for (invoice, step), or None (no fee, or a fee invoice instead)."""
    record = tx.idempotency.get(seller_id, fee_key(invoice_id, step))
    value = None if record is None else record.result.get("value")
    data = value.get("interest") if isinstance(value, dict) else None
    if not isinstance(data, dict):
        return None
    return Interest(
        Decimal(data["balance"]),
        data["currency"],
        Decimal(data["annual_rate"]),
        int(data["days"]),
        Decimal(data["amount"]),
    )


def open_pages(runner: Runner, seller_id: str) -> Iterator[list[DueInvoice]]:
    """The seller's open invoices as ``DueInvoice`` values, ``PAGE`` at a time, by issue date and id.

    Policies and the reminder minimum are today's settings of the seller and customer.
    """
    after: str | None = None
    while True:
        with runner.read() as tx:
            query = InvoiceQuery(statuses=CHASED, limit=PAGE, after=after)
            page = tx.invoices.find(seller_id, query)
            if not page:
                return
            seller = tx.sellers.get(seller_id)
            customers: dict[str, Customer] = {}
            due = []
            for inv in page:
                if inv.due_date is None:
                    continue
                if inv.customer_id not in customers:
                    customers[inv.customer_id] = tx.customers.get(seller_id, inv.customer_id)
                customer = customers[inv.customer_id]
                one = _due(tx, inv, seller.dunning, customer.dunning, seller.reminder_minimum)
                due.append(_with_collection(tx, one, inv, seller, customer))
        yield due
        if len(page) < PAGE:
            return
        after = page[-1].id


def _with_collection(
    tx: Transaction, due: DueInvoice, invoice: Invoice, seller: Seller, customer: Customer
) -> DueInvoice:
    """``due`` with automatic collection: when to charge, and what the attempts came to.

    Attempt n's outcome is recorded under ``outcome_key(invoice, n)``; an attempt started
    and not finished (a run that died) is proposed again and re-uses its key (T29). A
    failure the provider calls final (the customer must act) stops the charges until the
    customer saves a method again.
    """
    method = customer.payment_method
    if seller.collection != "charge_automatically" or method is None:
        return due
    if seller.collect_on == "on_due_date" and invoice.due_date is not None:
        zone = ZoneInfo(seller.timezone)
        collect_at = datetime.combine(invoice.due_date, time(0), tzinfo=zone)
    else:
        collect_at = invoice.issued_at or datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    outcomes = {}
    for attempt in range(_MAX_ATTEMPTS):
        record = tx.idempotency.get(invoice.seller_id, outcome_key(invoice.id, attempt))
        if record is not None:
            outcomes[attempt] = record.result
    final = any(
        not r.get("retryable", True) and r.get("method") == method.reference
        for r in outcomes.values()
    )
    return attrs.evolve(
        due,
        can_charge=not final,
        collect_at=collect_at,
        charged=0 in outcomes,
        retried={n for n in outcomes if n},
    )


def _due(
    tx: Transaction,
    invoice: Invoice,
    policy: DunningPolicy | None,
    customer_policy: DunningPolicy | PolicyOverride | None,
    minimum: Mapping[str, Decimal],
) -> DueInvoice:
    if policy is None:  # no seller policy: only a customer's whole policy chases
        policy = NO_REMINDERS
        if not isinstance(customer_policy, DunningPolicy):
            customer_policy = None
    chosen = resolve(policy, customer_policy)
    sent = (
        {
            m.step
            for m in tx.messages.list(invoice.seller_id, invoice_id=invoice.id, limit=10_000)
            if m.kind in _REMINDER_KINDS
        }
        if chosen.steps  # no step to send: what was sent cannot matter (no read per invoice)
        else set()
    )
    fees = {
        s.name
        for s in chosen.steps
        if s.late_fee is not None
        and tx.idempotency.get(invoice.seller_id, fee_key(invoice.id, s.name)) is not None
    }
    return DueInvoice.of(
        invoice,
        policy=policy,
        customer_policy=customer_policy,
        minimum=minimum,
        sent=sent,
        fees=fees,
    )
