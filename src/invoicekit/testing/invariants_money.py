"""Invariant I1, money is conserved: each invoice's balance, payments and credit notes add up.

Part of :mod:`invoicekit.testing.invariants`; see docs/explanation/reliability.md.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Final

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.testing.invariants_read import Violation, _issued, _Store

__all__: list[str] = []

_ZERO: Final = Decimal(0)


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
