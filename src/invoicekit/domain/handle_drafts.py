"""The lifecycle's handlers of drafts: edit, delete, issue."""

from __future__ import annotations

from datetime import datetime
from typing import Final

import attrs

from invoicekit.domain import events as ev
from invoicekit.domain.calendar import books_date
from invoicekit.domain.commands import (
    Command,
    Delete,
    Edit,
    Issue,
)
from invoicekit.domain.handling import (
    Handler,
    Transition,
    handles,
    settle,
)
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.policy import RoundingPolicy
from invoicekit.domain.status import Status
from invoicekit.domain.totals import Totals, compute_totals
from invoicekit.errors import ValidationError, problem

__all__ = ["EDITED_FIELDS", "HANDLERS"]


#: The handler of each command this module owns, with the statuses it can lead to.
HANDLERS: dict[type[Command], Handler] = {}

#: The invoice fields an edit may change: the ones ``Edit`` carries, and the totals and
#: rounding policy computed from them. Every other field is kept as it is.
EDITED_FIELDS: Final = (
    "customer_id",
    "lines",
    "terms",
    "discounts",
    "charges",
    "memo",
    "footer",
    "totals",
    "policy",
)


@handles(HANDLERS, Edit, leads_to={Status.DRAFT})
def _edit(invoice: Invoice, cmd: Edit, at: datetime) -> Transition:
    if cmd.seller.id != invoice.seller_id:
        raise ValidationError(
            [problem("seller", "a draft cannot move to another seller", cmd.seller.id)],
            subject="invoice",
        )
    customer = cmd.customer
    if customer is None:
        customer = _stub_customer(invoice, cmd.seller)
    # Invoice.draft checks the edited draft as a whole and computes its totals; only the
    # edited fields are taken from it, so a field the edit does not touch is never dropped.
    checked = Invoice.draft(
        id=invoice.id,
        seller=cmd.seller,
        customer=customer,
        lines=invoice.lines if cmd.lines is None else cmd.lines,
        at=invoice.created_at or at,
        currency=invoice.currency,
        terms=invoice.terms if cmd.terms is None else cmd.terms,
        discounts=invoice.discounts if cmd.discounts is None else cmd.discounts,
        charges=invoice.charges if cmd.charges is None else cmd.charges,
        prices=invoice.prices,
        memo=invoice.memo if cmd.memo is None else (cmd.memo or None),
        footer=invoice.footer if cmd.footer is None else (cmd.footer or None),
        metadata=invoice.metadata,
        series=invoice.series,
        issue_date=invoice.issue_date,
    )
    new = attrs.evolve(invoice, **{name: getattr(checked, name) for name in EDITED_FIELDS})
    return new, [ev.InvoiceEdited(invoice_id=invoice.id, at=at)]


def _stub_customer(invoice: Invoice, seller: Seller) -> Customer:
    """The draft's customer reference when an edit does not change it (only its id is used)."""
    return Customer(id=invoice.customer_id, seller_id=seller.id, name="-", channels=())


@handles(HANDLERS, Delete)
def _delete(invoice: Invoice, _: Delete, at: datetime) -> Transition:
    return invoice, [ev.InvoiceDeleted(invoice_id=invoice.id, at=at)]


@handles(HANDLERS, Issue, leads_to={Status.PENDING, Status.PAID, Status.OVERDUE})
def _issue(invoice: Invoice, cmd: Issue, at: datetime) -> Transition:
    found = []
    if not isinstance(cmd.number, str) or not cmd.number.strip():
        found.append(problem("number", "must be a non-empty string", cmd.number))
    if cmd.seller.id != invoice.seller_id:
        found.append(problem("seller", "is not the invoice's seller", cmd.seller.id))
    if cmd.customer.id != invoice.customer_id or cmd.customer.seller_id != invoice.seller_id:
        found.append(problem("customer", "is not the invoice's customer", cmd.customer.id))
    if found:
        raise ValidationError(found, subject="issue")
    issue_date = cmd.issue_date or invoice.issue_date or books_date(at, cmd.seller)
    due_date = invoice.terms.due_date(issue_date)
    totals = _totals_at_issue(invoice, cmd.seller)
    new = attrs.evolve(
        invoice,
        status=Status.PENDING,
        number=cmd.number,
        issue_date=issue_date,
        due_date=due_date,
        seller=cmd.seller,
        customer=cmd.customer,
        totals=totals,
        policy=cmd.seller.rounding,
        payment_link=cmd.payment_link,
        issued_at=at,
        version=invoice.version + 1,  # lifecycle.apply then has no second copy to make
    )
    events: list[ev.Event] = [
        ev.InvoiceIssued(
            invoice_id=invoice.id,
            at=at,
            number=cmd.number,
            amount_due=new.amount_due,
            currency=invoice.currency,
        )
    ]
    return settle(new, at, events), events


def _totals_at_issue(invoice: Invoice, seller: Seller) -> Totals:
    """The draft's totals when they were computed from the same inputs, else computed anew.

    A draft's totals come from its currency, lines, discounts, charges and price mode
    under the seller's rounding (``Invoice.draft``, every edit); only a changed rounding
    policy (or a hand-built invoice whose totals do not fit) needs the computation again.
    """
    totals = invoice.totals
    if (
        _same_policy(totals.policy, seller.rounding)
        and totals.currency == invoice.currency
        and totals.prices is invoice.prices
        and len(totals.lines) == len(invoice.lines)
        and len(totals.discounts) == len(invoice.discounts)
        and len(totals.charges) == len(invoice.charges)
    ):
        return totals
    return compute_totals(
        invoice.currency,
        invoice.lines,
        discounts=invoice.discounts,
        charges=invoice.charges,
        prices=invoice.prices,
        policy=seller.rounding,
    )


def _same_policy(a: RoundingPolicy, b: RoundingPolicy) -> bool:
    """``a == b`` without the slow Mapping comparison when neither has cash rounding."""
    if a is b:
        return True
    if a.tax_rounding is not b.tax_rounding or a.mode is not b.mode:
        return False
    return dict(a.cash_increments) == dict(b.cash_increments)
