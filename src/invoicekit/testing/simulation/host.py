"""What the simulated host does besides its daily job: customers pay, fail, get refunds and credits.

When an invoice appears, ``Host.plan`` writes its customer's behaviour into an agenda
(day -> actions); ``Host.perform`` carries out one action through the public facade.
Every action carries an idempotency key of its own, as a careful host's would, so an
action retried the day after a fault takes effect once.
"""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from typing import Final

import attrs

from invoicekit.domain.line import Line
from invoicekit.domain.tax import Vat
from invoicekit.domain.terms import NetDays
from invoicekit.services.billing import Billing
from invoicekit.testing.simulation.world import Customer, project_line

__all__ = ["Action", "Host"]

#: Days from issue to the due date (every simulated invoice is net 14).
_NET: Final = 14
_CENT: Final = Decimal("0.01")


@attrs.frozen
class Action:
    """One thing the host does on one invoice; ``kind`` names it, ``n`` tells repeats apart."""

    kind: str
    seller_id: str
    invoice_id: str
    n: int = 0
    #: A share of the balance (partial payments, refunds, credits), or None for all of it.
    share: Decimal | None = None

    @property
    def key(self) -> str:
        """The idempotency key of this action: the same on every retry."""
        return f"sim:{self.kind}:{self.invoice_id}:{self.n}"

    def __str__(self) -> str:
        return f"{self.kind} {self.invoice_id}#{self.n}"


class Host:
    """The host application's side of a run: an agenda of actions and how to perform them."""

    def __init__(self, rng: random.Random, customers: tuple[Customer, ...]) -> None:
        self._rng = rng
        self.behaviour = {c.id: c.behaviour for c in customers}
        self.agenda: dict[int, list[Action]] = defaultdict(list)
        self._drafts = 0

    def later(self, day: int, action: Action) -> None:
        """Put ``action`` on the agenda of ``day``."""
        self.agenda[day].append(action)

    def plan(self, day: int, customer_id: str, seller_id: str, invoice_id: str) -> None:
        """An invoice was issued on ``day``: plan what its customer does about it."""
        rng, due = self._rng, day + _NET

        def at(when: int, kind: str, n: int = 0, share: Decimal | None = None) -> None:
            self.later(when, Action(kind, seller_id, invoice_id, n, share))

        behaviour = self.behaviour[customer_id]
        if behaviour == "prompt":
            at(day + rng.randrange(1, _NET), "pay")
        elif behaviour == "late":
            at(due + rng.randrange(2, 25), "pay")
        elif behaviour == "partial":
            at(due - 1, "pay", 0, Decimal("0.5"))
            at(due + rng.randrange(3, 15), "pay", 1)
        elif behaviour == "card_fails":
            at(due, "pay_pending")
            at(due + 2, "fail_pending")
            at(due + rng.randrange(4, 12), "pay", 1)
        elif behaviour == "declined":
            at(due, "decline")
            at(due + rng.randrange(2, 9), "pay")
        elif behaviour == "never":  # chased to the final notice, then written off
            at(due + 45, "write_off")
        elif behaviour == "refunds":
            at(day + rng.randrange(1, _NET), "pay")
            at(due + 5, "refund", 0, Decimal("0.3"))
        if rng.random() < 0.05:  # noqa: PLR2004 - one invoice in twenty gets a goodwill credit
            at(day + rng.randrange(1, 20), "credit", 0, Decimal("0.1"))

    def one_off(self, billing: Billing, customer: Customer, day: int) -> tuple[str, bool]:
        """Draft a one-off project invoice; issue it now (or leave it for review): (id, issued)."""
        rng = self._rng
        self._drafts += 1
        invoice_id = f"{customer.id}p{self._drafts}"
        books = billing.seller(customer.seller_id)
        lines = [project_line(rng, k) for k in range(rng.randrange(1, 4))]
        books.invoices.draft(
            customer.id,
            id=invoice_id,
            lines=lines,
            terms=NetDays(_NET),
            idempotency_key=f"sim:draft:{invoice_id}",
        )
        if rng.random() < 0.2:  # noqa: PLR2004 - a fifth are reviewed first, issued days later
            self.later(day + rng.randrange(1, 5), Action("issue", customer.seller_id, invoice_id))
            return invoice_id, False
        if rng.random() < 0.05:  # noqa: PLR2004 - and a few are cancelled at once
            self.later(day + 1, Action("void", customer.seller_id, invoice_id))
        books.invoices.issue(invoice_id, idempotency_key=f"sim:issue:{invoice_id}")
        return invoice_id, True

    def perform(self, billing: Billing, action: Action) -> str:  # noqa: PLR0911 - one return per kind of action
        """Carry out ``action``; returns what was done (for the trace)."""
        books = billing.seller(action.seller_id)
        invoice_id, key = action.invoice_id, action.key
        kind = action.kind
        if kind == "issue":
            books.invoices.issue(invoice_id, idempotency_key=key)
            return "issued"
        if kind == "void":
            books.invoices.void(invoice_id, reason="cancelled", idempotency_key=key)
            return "voided"
        if kind == "write_off":
            books.invoices.write_off(invoice_id, reason="never paid", idempotency_key=key)
            return "written off"
        invoice = books.invoices.get(invoice_id)
        due = invoice.amount_due
        if kind in {"pay", "pay_pending"}:
            amount = due if action.share is None else _share(due, action.share)
            if amount <= 0:
                return "nothing due"
            books.payments.record(
                invoice_id,
                amount,
                pending=kind == "pay_pending",
                payment_id=f"{invoice_id}-pay{action.n}",
                idempotency_key=key,
            )
            return f"paid {amount}"
        if kind == "fail_pending":
            books.payments.fail(
                invoice_id, f"{invoice_id}-pay0", reason="card declined", idempotency_key=key
            )
            return "failed"
        if kind == "decline":
            books.payments.record_failure(
                invoice_id, reason="card declined", code="card_declined", idempotency_key=key
            )
            return "declined"
        if kind == "refund":
            paid = next((p for p in invoice.payments if p.id == f"{invoice_id}-pay0"), None)
            if paid is None:
                return "nothing to refund"
            amount = _share(paid.amount, action.share or Decimal(1))
            books.payments.refund(invoice_id, paid.id, amount, idempotency_key=key)
            return f"refunded {amount}"
        if kind == "credit":
            amount = _share(invoice.totals.tax_exclusive, action.share or Decimal(1))
            line = Line("Goodwill credit", quantity=1, unit_price=amount, tax=Vat("19"))
            note = books.invoices.credit(invoice_id, lines=[line], idempotency_key=key)
            return f"credited {note.number}"
        raise ValueError(f"unknown simulated action {kind!r}")


def _share(amount: Decimal, share: Decimal) -> Decimal:
    """``share`` of ``amount``, rounded down to the cent, at least a cent (zero stays zero)."""
    if amount <= 0:
        return Decimal(0)
    return max(_CENT, (amount * share).quantize(_CENT, rounding=ROUND_DOWN))
