"""An invoice's history as dated receivable entries: what the "as of" reports add up.

Every issued invoice becomes a few entries (issued, each payment, refund, dispute,
credit note, credit transfer, void, write-off). Each entry moves three figures: the
open receivable (``open``), the customer credit held (``credit``) and the money
received (``cash``). The stores keep these rows beside the invoice, rewritten in the
transaction that saves it, so any report "as of" an instant is a ``SUM`` over the
entries before it. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

import attrs

from invoicekit.domain.commands import CREDIT_METHOD
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.money import currency_digits

__all__ = ["OPEN_STATUSES", "LedgerEntry", "from_minor", "ledger_entries", "to_minor"]

_ZERO: Final = Decimal(0)
#: Statuses whose invoices are open receivables (the balance left is owed).
OPEN_STATUSES: Final = frozenset(
    {Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED}
)


@attrs.frozen
class LedgerEntry:
    """One dated movement of one invoice; amounts are exact, in the invoice's currency."""

    seller_id: str
    invoice_id: str
    #: Position among the invoice's entries (time order).
    seq: int
    customer_id: str
    currency: str
    #: issued, paid, refunded, disputed, dispute_won, credited, credit_transferred,
    #: voided, written_off, adjusted, payment_failed.
    kind: str
    #: When it happened, in UTC.
    at: datetime
    #: Its day in the seller's zone (months and windows are counted in these days).
    day: date
    due_date: date | None
    number: str | None
    #: The event's own amount (the invoice total, the payment, the credit note...).
    amount: Decimal
    #: Change to the open receivable.
    open: Decimal = _ZERO
    #: Change to the customer credit held.
    credit: Decimal = _ZERO
    #: Change to the money received.
    cash: Decimal = _ZERO
    #: The failure reason of a failed payment.
    detail: str | None = None


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in integer minor units of ``currency`` (ValueError when it has more digits)."""
    scaled = amount.scaleb(currency_digits(currency))
    whole = int(scaled)
    if whole != scaled:
        raise ValueError(f"{amount} {currency} has more digits than the currency's minor unit")
    return whole


def from_minor(minor: int, currency: str) -> Decimal:
    """The Decimal of ``minor`` units of ``currency``, with the currency's digits (12.30, 5)."""
    digits = currency_digits(currency)
    return Decimal(int(minor)).scaleb(-digits) if digits else Decimal(int(minor))


_Event = tuple[datetime, str, Decimal, Decimal, Decimal, Decimal, str | None]


def _events(invoice: Invoice) -> Iterator[_Event]:
    """(at, kind, amount, open, credit, cash, detail) of each movement, in no special order."""
    for p in invoice.payments:
        if p.status is PaymentStatus.FAILED:
            yield p.at, "payment_failed", p.amount, _ZERO, _ZERO, _ZERO, p.failure_reason
            continue
        if p.status is not PaymentStatus.SUCCEEDED:
            continue
        cash = _ZERO if p.method == CREDIT_METHOD else p.amount
        yield p.at, "paid", p.amount, -p.allocated, p.customer_credit, cash, None
        for r in p.refunds:
            reopened = r.amount - r.from_credit
            yield r.at, "refunded", r.amount, reopened, -r.from_credit, -r.amount, None
        for d in p.disputes:
            yield d.at, "disputed", d.amount, d.reopened, _ZERO, -d.reopened, None
            if d.outcome == "won" and d.resolved_at is not None:
                yield d.resolved_at, "dispute_won", d.amount, -d.reopened, _ZERO, d.reopened, None
    for c in invoice.credits:
        yield c.at, "credited", c.amount, -c.allocated, c.customer_credit, _ZERO, None
    for t in invoice.credit_transfers:
        yield t.at, "credit_transferred", t.amount, _ZERO, -t.amount, _ZERO, None
    for f in invoice.failures:
        yield f.at, "payment_failed", _ZERO, _ZERO, _ZERO, _ZERO, f.reason


def ledger_entries(invoice: Invoice) -> list[LedgerEntry]:
    """The entries of ``invoice`` (none for a draft), in time order.

    After a void or a write-off the open receivable stays at zero: a later movement of
    the balance is offset by the same entry kind, until a written-off invoice is paid in
    full (it is then paid, as in the lifecycle, and a refund re-opens it as usual). At the end the open receivable is
    the invoice's ``amount_due`` when its status is open and zero otherwise; an
    ``adjusted`` entry closes any difference (there is none for invoices the
    lifecycle builds).
    """
    if invoice.status is Status.DRAFT or invoice.issued_at is None:
        return []
    zone = ZoneInfo(invoice.seller.timezone if invoice.seller is not None else "UTC")
    total = invoice.totals.tax_inclusive + invoice.totals.rounding
    moves: list[tuple[datetime, int, _Event]] = [
        (invoice.issued_at, 0, (invoice.issued_at, "issued", total, total, _ZERO, _ZERO, None))
    ]
    closed_at = invoice.voided_at or invoice.written_off_at
    closing = "voided" if invoice.voided_at is not None else "written_off"
    order = 1
    for event in _events(invoice):
        moves.append((event[0], order, event))
        order += 1
    moves.sort(key=lambda m: (m[0].astimezone(UTC), m[1]))
    rows: list[_Event] = []
    balance = _ZERO  # the open receivable
    due = _ZERO  # what the invoice says is left to pay (also while written off)
    closed = False
    for at, _, event in moves:
        if closed_at is not None and not closed and at > closed_at:
            rows.append((closed_at, closing, balance, -balance, _ZERO, _ZERO, None))
            balance, closed = _ZERO, True
        rows.append(event)
        balance += event[3]
        due += event[3]
        if closed and event[3]:
            rows.append((at, closing, event[3], -event[3], _ZERO, _ZERO, None))
            balance -= event[3]
            if due <= 0 and closing == "written_off":  # paid in full: no longer written off
                closed_at, closed = None, False
    if closed_at is not None and not closed:
        rows.append((closed_at, closing, balance, -balance, _ZERO, _ZERO, None))
        balance = _ZERO
    expected = invoice.amount_due if invoice.status in OPEN_STATUSES else _ZERO
    if balance != expected:
        last = max(r[0] for r in rows)
        rows.append((last, "adjusted", expected - balance, expected - balance, _ZERO, _ZERO, None))
    return [
        LedgerEntry(
            seller_id=invoice.seller_id,
            invoice_id=invoice.id,
            seq=seq,
            customer_id=invoice.customer_id,
            currency=invoice.currency,
            kind=kind,
            at=at.astimezone(UTC),
            day=at.astimezone(zone).date(),
            due_date=invoice.due_date,
            number=invoice.number,
            amount=amount,
            open=open_,
            credit=credit,
            cash=cash,
            detail=detail,
        )
        for seq, (at, kind, amount, open_, credit, cash, detail) in enumerate(rows)
    ]
