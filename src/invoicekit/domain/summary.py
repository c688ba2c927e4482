"""What one invoice adds to the live receivables summaries: pure values the stores add up.

Each store keeps per-client totals and per-day amounts as the sum of every invoice's
``parts``. A save applies ``change(old, new)`` in the same transaction, so the summaries
never disagree with the invoices; ``rebuild`` is the same sum taken from scratch.
Amounts are kept as integer millionths of the currency unit (``MICROS``) so that a
database adds them exactly (no float), per currency, never across currencies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

import attrs

from invoicekit.domain.calendar import books_date
from invoicekit.domain.commands import CREDIT_METHOD
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import PaymentStatus, Status

__all__ = [
    "MICROS",
    "OPEN",
    "ClientDelta",
    "Day",
    "Parts",
    "SummaryChange",
    "change",
    "from_micros",
    "parts",
    "to_micros",
]

#: Summaries keep amounts as integers of this many parts per currency unit.
MICROS: Final = 1_000_000
#: Statuses whose amount due is an open receivable (paid, void and written off are not).
OPEN: Final = frozenset({Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED})
_ZERO: Final = Decimal(0)


class Day(StrEnum):
    """What a per-day amount counts, and which date of the invoice it is filed under."""

    #: The open amount due, by due date (aging, overdue, expected cash-in).
    DUE = "due"
    #: The invoice total (BT-112), by issue date.
    INVOICED = "invoiced"
    #: Money received: payments that succeeded (not paid with customer credit), less
    #: refunds and disputed amounts, each by its day in the seller's zone.
    COLLECTED = "collected"
    #: Credit notes against the invoice (their amount), by the day they were applied.
    CREDITED = "credited"
    #: The invoice total, by due date (what fell due in a window).
    FELL_DUE = "fell_due"
    #: Customer credit held on the invoice, by its issue date (the seller's total in a
    #: few hundred rows, never a sum over every client).
    CREDIT = "credit"


#: The kinds as plain strings (the hot path of every save reads them).
_DUE: Final = Day.DUE.value
_INVOICED: Final = Day.INVOICED.value
_COLLECTED: Final = Day.COLLECTED.value
_CREDITED: Final = Day.CREDITED.value
_FELL_DUE: Final = Day.FELL_DUE.value
_CREDIT: Final = Day.CREDIT.value


def to_micros(amount: Decimal) -> int:
    """``amount`` as an exact integer of millionths; ValueError if it has more digits."""
    scaled = amount * MICROS
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {amount} has more than 6 decimal places")
    return int(scaled)


def from_micros(micros: int, digits: int = 2) -> Decimal:
    """The Decimal amount of ``micros``, with ``digits`` decimal places (the currency's)."""
    return (Decimal(micros) / MICROS).quantize(Decimal(1).scaleb(-digits))


@attrs.frozen
class Parts:
    """One issued invoice's share of the summaries (drafts have none)."""

    customer_id: str
    currency: str
    #: The customer's name as on the invoice (for the clients table).
    name: str
    #: The amount due while the invoice is open, else 0 (micros).
    open: int
    #: Customer credit held on the invoice (micros).
    credit: int
    #: The total invoiced, void invoices included (micros).
    invoiced: int
    #: (kind, ISO day, micros) filed for the seller; zero amounts left out.
    days: tuple[tuple[str, str, int], ...]

    def to_json(self) -> str:
        """The compact text a store keeps beside the invoice, to undo these parts later."""
        fields = [self.customer_id, self.currency, self.name, self.open, self.credit]
        return json.dumps([*fields, self.invoiced, [list(d) for d in self.days]])

    @classmethod
    def from_json(cls, text: str) -> Parts:
        """Parts from ``to_json``'s text."""
        customer_id, currency, name, open_, credit, invoiced, days = json.loads(text)
        return cls(
            customer_id=customer_id,
            currency=currency,
            name=name,
            open=open_,
            credit=credit,
            invoiced=invoiced,
            days=tuple((k, d, int(a)) for k, d, a in days),
        )


def parts(invoice: Invoice) -> Parts | None:
    """What ``invoice`` adds to the summaries; None for a draft (it adds nothing)."""
    if invoice.status is Status.DRAFT or invoice.seller is None:
        return None
    seller = invoice.seller
    days: dict[tuple[str, str], int] = {}

    def add(kind: str, day: date | None, amount: Decimal) -> None:
        if day is None or not amount:
            return
        key = (kind, day.isoformat())
        days[key] = days.get(key, 0) + to_micros(amount)

    is_open = invoice.status in OPEN
    due = invoice.amount_due if is_open else _ZERO
    credit = invoice.customer_credit
    # As books.reports counts them: a voided invoice was still invoiced (its void is a
    # movement of its own, closing the receivable); what was invoiced is what falls due,
    # the tax-inclusive total with its cash rounding (CHF in steps of 0.05).
    total = invoice.totals.tax_inclusive + invoice.totals.rounding
    add(_DUE, invoice.due_date, due)
    add(_INVOICED, invoice.issue_date, total)
    add(_FELL_DUE, invoice.due_date, total)
    add(_CREDIT, invoice.issue_date, credit)
    for payment in invoice.payments:
        if payment.status is not PaymentStatus.SUCCEEDED:
            continue
        if payment.method != CREDIT_METHOD:  # credit moved, no money came in
            add(_COLLECTED, books_date(payment.at, seller), payment.amount)
        # A refund pays money out, even of a payment made with credit.
        for refund in payment.refunds:
            add(_COLLECTED, books_date(refund.at, seller), -refund.amount)
        for dispute in payment.disputes:
            add(_COLLECTED, books_date(dispute.at, seller), -dispute.reopened)
            if dispute.outcome == "won" and dispute.resolved_at is not None:
                add(_COLLECTED, books_date(dispute.resolved_at, seller), dispute.reopened)
    for note in invoice.credits:
        add(_CREDITED, books_date(note.at, seller), note.amount)
    name = invoice.customer.name if invoice.customer is not None else invoice.customer_id
    return Parts(
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        name=name,
        open=to_micros(due),
        credit=to_micros(credit),
        invoiced=to_micros(total),
        days=tuple((k, d, a) for (k, d), a in sorted(days.items()) if a),
    )


@attrs.frozen
class ClientDelta:
    """What one save adds to one client's row (customer, currency)."""

    name: str
    open: int
    credit: int
    invoiced: int
    #: +1 when an invoice appears (issued), else 0.
    invoices: int
    #: +1/-1 as an invoice opens or closes.
    open_invoices: int


@attrs.frozen
class SummaryChange:
    """Every row one save moves: client rows and per-day rows (customer "" for the seller's)."""

    #: (customer_id, currency) -> delta.
    clients: dict[tuple[str, str], ClientDelta]
    #: (customer_id, currency, kind, day) -> micros; the client's own rows are DUE only.
    days: dict[tuple[str, str, str, str], int]

    @property
    def empty(self) -> bool:
        """Whether nothing moves."""
        return not self.clients and not self.days


class _Moves:
    """The running deltas of one ``change`` (plain ints: attrs values are made once, at the end)."""

    def __init__(self) -> None:
        #: (customer, currency) -> [open, credit, invoiced, invoices, open invoices].
        self.numbers: dict[tuple[str, str], list[int]] = {}
        #: (customer, currency) -> the name as saved now (the last one added wins).
        self.names: dict[tuple[str, str], str] = {}
        #: Client rows whose name moves, or that an invoice enters or leaves.
        self.touched: set[tuple[str, str]] = set()
        self.days: dict[tuple[str, str, str, str], int] = {}

    def add(self, found: Parts | None, sign: int) -> None:
        if found is None:
            return
        key = (found.customer_id, found.currency)
        row = self.numbers.get(key)
        if row is None:
            row = self.numbers[key] = [0, 0, 0, 0, 0]
            self.names[key] = found.name
        elif self.names[key] != found.name:
            self.touched.add(key)
            if sign > 0:
                self.names[key] = found.name
        row[0] += sign * found.open
        row[1] += sign * found.credit
        row[2] += sign * found.invoiced
        row[3] += sign
        row[4] += sign * (1 if found.open else 0)
        due = _DUE
        days = self.days
        for kind, day, amount in found.days:
            seller_key = ("", found.currency, kind, day)
            days[seller_key] = days.get(seller_key, 0) + sign * amount
            if kind == due:
                client_key = (found.customer_id, found.currency, kind, day)
                days[client_key] = days.get(client_key, 0) + sign * amount


def change(pairs: Iterable[tuple[Parts | None, Parts | None]]) -> SummaryChange:
    """The rows that move when each (old, new) pair of parts replaces the old by the new.

    Rows that do not move are left out: a per-day amount whose delta is zero, and a
    client row whose amounts and counts stay and whose name stays, so that a save
    writes only what it changes.
    """
    moves = _Moves()
    for old, new in pairs:
        if old == new:
            continue
        moves.add(old, -1)
        moves.add(new, +1)
    return SummaryChange(
        clients={
            key: ClientDelta(
                name=moves.names[key],
                open=row[0],
                credit=row[1],
                invoiced=row[2],
                invoices=row[3],
                open_invoices=row[4],
            )
            for key, row in moves.numbers.items()
            if key in moves.touched or any(row)
        },
        days={key: amount for key, amount in moves.days.items() if amount},
    )
