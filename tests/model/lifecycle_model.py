"""Independent model of one invoice's account and status (the T07/T06 oracle).

Written from docs/reference/lifecycle.md, docs/explanation/reliability.md (I1, I7) and
docs/explanation/totals-rules.md "After issue". It imports nothing from
``invoicekit``: plain Python, ``Decimal`` and ``zoneinfo``. Every operation
returns a *new* ``Account`` plus the names of the events it expects, or raises
``Refused`` with the kind of error the library must raise.

Where the documents are silent, the library's documented choice (docstrings,
the ``ALLOWED`` table of ``lifecycle.py``) is the spec; each such place is
marked ``CHOICE:`` below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

DRAFT: Final = "draft"
PENDING: Final = "pending"
PARTIALLY_PAID: Final = "partially_paid"
PAID: Final = "paid"
OVERDUE: Final = "overdue"
FAILED: Final = "failed"
VOID: Final = "void"
UNCOLLECTIBLE: Final = "uncollectible"

#: Issued, with a balance normally open.
_OPEN: Final = frozenset({PENDING, PARTIALLY_PAID, OVERDUE, FAILED})
#: Issued and not void: the statuses that still take money movements.
_LIVE: Final = _OPEN | {PAID, UNCOLLECTIBLE}

#: Kinds of refusal, mapped by the tests to the library's error classes.
TRANSITION: Final = "transition"  # InvalidTransitionError (not a payment action)
PAYMENT: Final = "payment"  # PaymentNotAllowedError (an InvalidTransitionError and PaymentError)
VALIDATION: Final = "validation"  # ValidationError
DUPLICATE: Final = "duplicate"  # DuplicateError
NOT_FOUND: Final = "not_found"  # NotFoundError (an unknown payment id, as any unknown id)


class Refused(Exception):  # noqa: N818 - reads as "the model refused"
    """The model refuses an operation; ``kind`` says which library error is expected."""

    def __init__(self, kind: str, why: str) -> None:
        super().__init__(f"{kind}: {why}")
        self.kind = kind
        self.why = why


class ModelPayment(NamedTuple):
    """One payment: what was received, its status, what reduced the balance, what went back."""

    amount: Decimal
    status: str  # "pending" | "succeeded" | "failed"
    allocated: Decimal
    refunded: Decimal
    #: The part of ``refunded`` that gave back customer credit (the rest re-opened the balance).
    from_credit: Decimal = Decimal(0)

    @property
    def customer_credit(self) -> Decimal:
        """The part beyond the balance (only a succeeded payment has one)."""
        return self.amount - self.allocated if self.status == "succeeded" else Decimal(0)


class ModelLine(NamedTuple):
    """A tax-exclusive line: quantity × unit price, one VAT rate in percent."""

    quantity: Decimal
    unit_price: Decimal
    rate: Decimal


def _q(value: Decimal, step: Decimal) -> Decimal:
    """Round half up (away from zero on ties) to a multiple of ``step``."""
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def document_amounts(
    lines: Iterable[ModelLine], unit: Decimal, cash: Decimal | None = None
) -> tuple[Decimal, Decimal]:
    """(BT-112, BT-114) of tax-exclusive lines: tax rounded once per rate, then cash rounding.

    totals-rules steps 1, 4, 7, 8 (per_category), 9 and 10, for lines without
    discounts or charges, half-up rounding.
    """
    bases: dict[Decimal, Decimal] = {}
    for ln in lines:
        bases[ln.rate] = bases.get(ln.rate, Decimal(0)) + _q(ln.quantity * ln.unit_price, unit)
    net = sum(bases.values(), Decimal(0))
    tax = sum((_q(base * rate / 100, unit) for rate, base in bases.items()), Decimal(0))
    gross = (net + tax).quantize(unit)
    payable = _q(gross, cash).quantize(unit) if cash is not None else gross
    return gross, payable - gross


@dataclass(frozen=True)
class Account:
    """The model state of one invoice: status and account figures, plus its payments."""

    unit: Decimal
    timezone: str
    net_days: int
    cash: Decimal | None = None
    status: str = DRAFT
    tax_inclusive: Decimal = Decimal(0)
    rounding: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)
    credit_notes_total: Decimal = Decimal(0)
    customer_credit: Decimal = Decimal(0)
    payments: Mapping[str, ModelPayment] = field(default_factory=dict)
    refund_ids: frozenset[str] = frozenset()
    credit_note_ids: frozenset[str] = frozenset()
    issue_date: date | None = None
    due_date: date | None = None
    version: int = 1

    @classmethod
    def draft(
        cls,
        lines: Iterable[ModelLine],
        *,
        unit: Decimal,
        timezone: str,
        net_days: int = 30,
        cash: Decimal | None = None,
    ) -> Account:
        """A draft of ``lines`` (its totals are known, nothing is due yet)."""
        gross, rounding = document_amounts(lines, unit, cash)
        return cls(unit, timezone, net_days, cash, tax_inclusive=gross, rounding=rounding)

    # ------------------------------------------------------------------ derived figures

    @property
    def payable(self) -> Decimal:
        """BT-112 + BT-114: what the customer owes before any payment."""
        return self.tax_inclusive + self.rounding

    @property
    def amount_due(self) -> Decimal:
        """I1: BT-112 − paid − credited + BT-114."""
        return self.tax_inclusive - self.paid - self.credited + self.rounding

    @property
    def in_flight(self) -> Decimal:
        """Sum of the pending payments."""
        return sum((p.amount for p in self.payments.values() if p.status == "pending"), Decimal(0))

    def local_date(self, now: datetime) -> date:
        """The calendar date of ``now`` in the seller's zone (due dates live there)."""
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def past_due(self, now: datetime) -> bool:
        """True once the seller's local date is after the due date."""
        return self.due_date is not None and self.local_date(now) > self.due_date

    def self_check(self) -> None:
        """The running tallies equal the sums over payments (the model's own I1 check)."""
        ok = [p for p in self.payments.values() if p.status == "succeeded"]
        assert self.paid == sum((p.allocated - p.refunded + p.from_credit for p in ok), Decimal(0))
        returned = sum((p.from_credit for p in ok), Decimal(0))
        assert self.customer_credit + returned >= sum((p.customer_credit for p in ok), Decimal(0))
        assert self.customer_credit >= 0
        assert self.amount_due >= 0
        assert self.credit_notes_total <= self.payable or self.status == DRAFT

    # ------------------------------------------------------------------ helpers

    def _need(self, action: str, statuses: frozenset[str], kind: str = TRANSITION) -> None:
        if self.status not in statuses:
            raise Refused(kind, f"{action} not allowed in {self.status}")

    def _follow_balance(
        self, now: datetime, *, keep_failed: bool = False
    ) -> tuple[Account, list[str]]:
        """totals-rules "Status follows the balance", with the events of the change."""
        before = self.status
        if self.amount_due == 0:
            status = PAID
        elif before == UNCOLLECTIBLE:
            status = UNCOLLECTIBLE  # "uncollectible stays until the balance reaches 0"
        elif keep_failed and before == FAILED:
            # CHOICE: a refund or a credit note keeps "failed" (the last collection attempt
            # still failed); only a payment moves a failed invoice on (DESIGN: "A later
            # payment moves either to paid or partially paid").
            status = FAILED
        elif self.past_due(now):
            status = OVERDUE
        elif self.paid > 0:
            status = PARTIALLY_PAID
        else:
            status = PENDING
        events: list[str] = []
        if status != before:
            if status == PAID:
                events.append("InvoicePaid")
            else:
                if before == PAID:
                    events.append("InvoiceReopened")  # CHOICE: the event name of a re-open
                if status == OVERDUE:
                    events.append("InvoiceOverdue")
        return replace(self, status=status), events

    def _bump(self, **changes: object) -> Account:
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ draft operations

    def edit(self, lines: Iterable[ModelLine] | None) -> tuple[Account, list[str]]:
        """Change a draft's lines (None keeps them)."""
        self._need("edit", frozenset({DRAFT}))
        if lines is None:
            return self._bump(), ["InvoiceEdited"]
        gross, rounding = document_amounts(lines, self.unit, self.cash)
        return self._bump(tax_inclusive=gross, rounding=rounding), ["InvoiceEdited"]

    def delete(self) -> tuple[Account, list[str]]:
        """Delete a draft. CHOICE: the value itself does not change (no version bump)."""
        self._need("delete", frozenset({DRAFT}))
        return self, ["InvoiceDeleted"]

    def issue(self, now: datetime) -> tuple[Account, list[str]]:
        """Issue: dated today in the seller's zone, due ``net_days`` later; a zero total is paid."""
        self._need("issue", frozenset({DRAFT}))
        today = self.local_date(now)
        new = self._bump(
            status=PENDING, issue_date=today, due_date=today + timedelta(days=self.net_days)
        )
        new, events = new._follow_balance(now)
        return new, ["InvoiceIssued", *events]

    # ------------------------------------------------------------------ issued operations

    def send(self) -> tuple[Account, list[str]]:
        """Hand the invoice to a channel. CHOICE: allowed on paid and uncollectible, not on void;
        it records an event only, so the version does not change."""
        self._need("send", _LIVE)
        return self, ["InvoiceSent"]

    def _receive(self, pid: str, amount: Decimal, now: datetime) -> tuple[Account, list[str]]:
        """A succeeded payment: the balance first, the rest to customer credit."""
        allocated = min(amount, self.amount_due)
        credit = amount - allocated
        payments = dict(self.payments)
        payments[pid] = ModelPayment(amount, "succeeded", allocated, Decimal(0))
        new = self._bump(
            payments=payments,
            paid=self.paid + allocated,
            customer_credit=self.customer_credit + credit,
        )
        events = ["PaymentSucceeded"] + (["CustomerCreditCreated"] if credit > 0 else [])
        new, more = new._follow_balance(now)
        return new, events + more

    def pay(
        self, pid: str, amount: Decimal, now: datetime, *, pending: bool = False
    ) -> tuple[Account, list[str]]:
        """Record a payment; a pending one is in flight and changes no figure but ``in_flight``."""
        # CHOICE (ALLOWED): a paid invoice takes a payment too (a duplicate transfer): all of it
        # becomes customer credit, "money that arrived is never refused"; so does uncollectible.
        self._need("record_payment", _LIVE, PAYMENT)
        if amount <= 0:
            raise Refused(VALIDATION, "amount must be > 0")
        if pid in self.payments:
            raise Refused(DUPLICATE, f"payment {pid} exists")
        if pending:
            payments = dict(self.payments)
            payments[pid] = ModelPayment(amount, "pending", Decimal(0), Decimal(0))
            return self._bump(payments=payments), ["PaymentPending"]
        return self._receive(pid, amount, now)

    def _pending_payment(self, action: str, pid: str) -> ModelPayment:
        self._need(action, _LIVE, PAYMENT)
        if pid not in self.payments:
            raise Refused(NOT_FOUND, f"no payment {pid}")
        payment = self.payments[pid]
        if payment.status != "pending":
            raise Refused(PAYMENT, f"payment {pid} is {payment.status}")
        return payment

    def settle(self, pid: str, now: datetime) -> tuple[Account, list[str]]:
        """A pending payment settles: allocated against the balance at settlement time.

        CHOICE: one reported failed may settle too (a provider presenting a bank debit again
        under the same payment): money that arrived is never refused by the ledger.
        """
        self._need("settle_payment", _LIVE, PAYMENT)
        if pid not in self.payments:
            raise Refused(NOT_FOUND, f"no payment {pid}")
        payment = self.payments[pid]
        if payment.status not in ("pending", "failed"):
            raise Refused(PAYMENT, f"payment {pid} is {payment.status}")
        return self._receive(pid, payment.amount, now)

    def fail_payment(self, pid: str) -> tuple[Account, list[str]]:
        """A pending payment does not settle.

        CHOICE: with a balance left the invoice becomes ``failed`` (uncollectible stays);
        a paid invoice stays paid.
        """
        payment = self._pending_payment("fail_payment", pid)
        payments = dict(self.payments)
        payments[pid] = payment._replace(status="failed")
        status = self.status
        if self.amount_due > 0 and status not in (UNCOLLECTIBLE, FAILED):
            status = FAILED
        return self._bump(payments=payments, status=status), ["PaymentFailed"]

    def fail_collection(self) -> tuple[Account, list[str]]:
        """A collection attempt failed: the invoice is ``failed`` (needs an open balance)."""
        self._need("fail_collection", _OPEN)
        if self.amount_due == 0:
            raise Refused(TRANSITION, "nothing is due")
        return self._bump(status=FAILED), ["CollectionFailed"]

    def refund(
        self, pid: str, refund_id: str, amount: Decimal, now: datetime
    ) -> tuple[Account, list[str]]:
        """Give back part of a succeeded payment: customer credit first, the rest re-opens.

        The cap is what the payment brought in less its refunds, and at most what it still
        pays of the invoice plus the credit held (issue 11: a refund of credit never re-opens).
        CHOICE (order of checks): unknown payment, then the amount, then a payment that did
        not succeed, then a duplicate refund id, then the cap.
        """
        self._need("refund", _LIVE, PAYMENT)
        if pid not in self.payments:
            raise Refused(NOT_FOUND, f"no payment {pid}")
        if amount <= 0:
            raise Refused(VALIDATION, "amount must be > 0")
        payment = self.payments[pid]
        if payment.status != "succeeded":
            raise Refused(PAYMENT, f"payment {pid} is {payment.status}")
        if refund_id in self.refund_ids:
            raise Refused(DUPLICATE, f"refund {refund_id} exists")
        still_paying = payment.allocated - payment.refunded + payment.from_credit
        if amount > min(payment.amount - payment.refunded, still_paying + self.customer_credit):
            raise Refused(VALIDATION, "refund above the refundable amount")
        from_credit = min(amount, self.customer_credit)
        payments = dict(self.payments)
        payments[pid] = payment._replace(
            refunded=payment.refunded + amount, from_credit=payment.from_credit + from_credit
        )
        new = self._bump(
            payments=payments,
            paid=self.paid - (amount - from_credit),
            customer_credit=self.customer_credit - from_credit,
            refund_ids=self.refund_ids | {refund_id},
        )
        new, events = new._follow_balance(now, keep_failed=True)
        return new, ["PaymentRefunded", *events]

    def mark_overdue(self, now: datetime) -> tuple[Account, list[str]]:
        """Overdue needs a balance and a passed due date (I7). CHOICE: not from uncollectible."""
        self._need("mark_overdue", frozenset({PENDING, PARTIALLY_PAID, FAILED}))
        if self.amount_due == 0 or not self.past_due(now):
            raise Refused(TRANSITION, "nothing due or not yet due")
        return self._bump(status=OVERDUE), ["InvoiceOverdue"]

    def void(self) -> tuple[Account, list[str]]:
        """Void only an issued invoice with no payments (a failed one does not count).

        CHOICE: a payment in flight or a credit note also blocks it; partially paid is
        refused by the status itself.
        """
        self._need("void", frozenset({PENDING, OVERDUE, FAILED}))
        if any(p.status != "failed" for p in self.payments.values()) or self.credit_note_ids:
            raise Refused(TRANSITION, "has payments or credit notes")
        return self._bump(status=VOID), ["InvoiceVoided"]

    def write_off(self) -> tuple[Account, list[str]]:
        """Write the open balance off: uncollectible."""
        self._need("write_off", _OPEN)
        if self.amount_due == 0:
            raise Refused(TRANSITION, "nothing is due")
        return self._bump(status=UNCOLLECTIBLE), ["InvoiceMarkedUncollectible"]

    def credit(
        self, note_id: str, lines: Iterable[ModelLine], now: datetime
    ) -> tuple[Account, list[str]]:
        """A credit note of payable X ≤ payable − earlier notes; allocates min(X, due).

        CHOICE: the note is cash rounded like the invoice; a duplicate note id is refused
        (as payment and refund ids are; the library does not do this yet, see the report).
        """
        self._need("credit", _LIVE)
        gross, rounding = document_amounts(lines, self.unit, self.cash)
        amount = gross + rounding
        if amount <= 0 or amount > self.payable - self.credit_notes_total:
            raise Refused(VALIDATION, "credit note amount out of range")
        if note_id in self.credit_note_ids:
            raise Refused(DUPLICATE, f"credit note {note_id} exists")
        allocated = min(amount, self.amount_due)
        credit = amount - allocated
        new = self._bump(
            credited=self.credited + allocated,
            credit_notes_total=self.credit_notes_total + amount,
            customer_credit=self.customer_credit + credit,
            credit_note_ids=self.credit_note_ids | {note_id},
        )
        events = ["CreditNoteIssued"] + (["CustomerCreditCreated"] if credit > 0 else [])
        new, more = new._follow_balance(now, keep_failed=True)
        return new, events + more
