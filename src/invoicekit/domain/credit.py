"""Customer credit across one customer's invoices: how much is held, and which invoices pay.

Credit is held on paid invoices (overpayments, credit notes above the balance). ``plan``
picks the ones that pay an open invoice of the same customer and currency, oldest first;
the services apply it as one ``PayWithCredit`` on that invoice and one ``ApplyCredit`` per
source in one transaction, so the same credit is never spent twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Final

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.lifecycle import ALLOWED
from invoicekit.domain.status import Action, Status
from invoicekit.errors import PaymentNotAllowedError, ValidationError, problem
from invoicekit.money import parse_amount

__all__ = ["held_by_currency", "plan"]

_ZERO: Final = Decimal(0)
#: Where credit comes from, for the message that says there is none.
_SOURCES: Final = "credit comes from overpayments and from credit notes above what was due"


def held_by_currency(invoices: Iterable[Invoice]) -> dict[str, Decimal]:
    """The customer credit held on ``invoices``, per currency (currencies without any left out)."""
    held: dict[str, Decimal] = {}
    for invoice in invoices:
        if invoice.customer_credit > 0:
            held[invoice.currency] = held.get(invoice.currency, _ZERO) + invoice.customer_credit
    return held


def plan(
    target: Invoice, holders: Iterable[Invoice], amount: object = None, *, strict: bool = True
) -> list[tuple[Invoice, Decimal]]:
    """Which of ``holders`` pay ``target``, and how much each: the oldest credit first.

    ``amount`` None takes all that fits (the credit held, at most the amount due). Only
    holders of the same seller, customer and currency count. ``strict`` raises
    PaymentNotAllowedError when nothing is due and ValidationError when there is no credit
    or ``amount`` is above the credit held or the amount due; otherwise (at issue) nothing
    applicable gives an empty plan.
    """
    due = target.amount_due
    if Action.RECORD_PAYMENT not in ALLOWED[target.status] or due == 0:
        if not strict:
            return []
        allowed = [a.value for a in ALLOWED[target.status]]
        raise PaymentNotAllowedError(
            target.ref,
            target.status.value,
            "apply_credit",
            allowed,
            reason="only an issued invoice with something due takes customer credit",
        )
    mine = sorted(
        (
            h
            for h in holders
            if h.seller_id == target.seller_id
            and h.customer_id == target.customer_id
            and h.id != target.id
            and h.status is Status.PAID
        ),
        key=lambda h: (h.issue_date or date.min, h.ref, h.id),
    )
    held = held_by_currency(mine)
    available = held.pop(target.currency, _ZERO)
    if amount is None:
        want = min(available, due)
    else:
        want = parse_amount(amount, target.currency, subject="customer credit")
        if want <= 0:
            raise ValidationError(
                [problem("amount", "must be greater than 0", amount)], subject="customer credit"
            )
    if not strict and want == 0:
        return []
    _check(target, want, available, held, amount)
    chosen: list[tuple[Invoice, Decimal]] = []
    left = want
    for holder in (h for h in mine if h.currency == target.currency):
        part = min(left, holder.customer_credit)
        if part > 0:
            chosen.append((holder, part))
            left -= part
    return chosen


def _check(
    target: Invoice, want: Decimal, available: Decimal, others: dict[str, Decimal], amount: object
) -> None:
    """ValidationError when ``want`` is more than the credit held or the amount due."""
    customer = target.customer_id
    if available == 0:
        where = ", ".join(f"{v} {c}" for c, v in sorted(others.items()))
        elsewhere = f" (it has {where}; credit pays invoices of its own currency)" if where else ""
        message = (
            f"customer {customer!r} holds no customer credit in {target.currency}{elsewhere}; "
            f"{_SOURCES}"
        )
    elif want > available:
        message = (
            f"at most {available} {target.currency} of credit is held for customer {customer!r}"
        )
    elif want > target.amount_due:
        message = f"at most {target.amount_due} is due on {target.ref}"
    else:
        return
    shown = () if amount is None else (amount,)
    raise ValidationError([problem("amount", message, *shown)], subject="customer credit")
