"""Lifecycle edge cases: duplicates, bad input, time zones, pending money, write-offs, zero totals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

import factories as f
from invoicekit.domain import events as ev
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.status import Action, PaymentStatus, Status
from invoicekit.domain.tax import Vat
from invoicekit.errors import DuplicateError, InvalidTransitionError, NotFoundError, ValidationError

LATE = f.utc(2026, 4, 10)


def _run(invoice: Invoice, *commands: lc.Command, at: datetime = f.AT) -> Invoice:
    for command in commands:
        invoice, _ = lc.apply(invoice, command, at=at)
    return invoice


# ------------------------------------------------------------------ duplicates and bad input


@pytest.mark.parametrize("pending", [False, True])
def test_a_duplicate_payment_id_is_refused(pending: bool) -> None:
    invoice = _run(f.issued(), lc.RecordPayment("p1", "10.00", pending=pending))
    before = f.snapshot(invoice)
    with pytest.raises(DuplicateError, match=r"payment 'p1' is already recorded on invoice INV-"):
        lc.apply(invoice, lc.RecordPayment("p1", "10.00"), at=f.AT)
    assert f.snapshot(invoice) == before


def test_the_id_of_a_failed_payment_is_not_reused() -> None:
    invoice = _run(
        f.issued(), lc.RecordPayment("p1", "10.00", pending=True), lc.FailPayment("p1", "returned")
    )
    with pytest.raises(DuplicateError):
        lc.apply(invoice, lc.RecordPayment("p1", "10.00"), at=f.AT)


def test_a_duplicate_refund_id_is_refused() -> None:
    invoice = _run(f.issued(), lc.RecordPayment("p1", "50.00"), lc.RefundPayment("p1", "r1", "5"))
    with pytest.raises(DuplicateError, match="refund 'r1'"):
        lc.apply(invoice, lc.RefundPayment("p1", "r1", "5"), at=f.AT)
    assert invoice.paid == Decimal("45.00")


@pytest.mark.parametrize(
    "command",
    [
        lc.Send("email"),
        lc.RecordPayment("p1", "1.00"),
        lc.MarkOverdue(),
        lc.Void(),
        lc.Credit("cn1", "CN-1", lines=[f.line("1.00")]),
    ],
    ids=lambda c: type(c).__name__,
)
def test_a_naive_datetime_is_refused(command: lc.Command) -> None:
    invoice = f.issued()
    naive = datetime(2026, 3, 2, 9)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValidationError, match="at: must be a timezone-aware datetime"):
        lc.apply(invoice, command, at=naive)


def test_a_naive_datetime_is_refused_before_the_status_check() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        lc.apply(f.draft(), lc.Void(), at=datetime(2026, 3, 2))  # noqa: DTZ001


@pytest.mark.parametrize(
    "command",
    [lc.RecordPayment("p2", 10.0), lc.RefundPayment("p1", "r1", 1.5)],
    ids=["payment", "refund"],
)
def test_a_float_amount_is_a_type_error(command: lc.Command) -> None:
    invoice = _run(f.issued(), lc.RecordPayment("p1", "50.00"))
    with pytest.raises(TypeError, match="float"):
        lc.apply(invoice, command, at=f.AT)


def test_a_float_in_a_line_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="float"):
        f.draft(lines=[{"description": "x", "quantity": 1.5, "unit_price": "1", "tax": Vat("19")}])


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("EUR", "0"), ("EUR", "-1.00"), ("EUR", "1.001"), ("JPY", "1.5"), ("BHD", "0.0001")],
)
def test_amounts_must_be_positive_and_fit_the_minor_unit(currency: str, amount: str) -> None:
    invoice = f.issued(of=f.seller(currency=currency))
    with pytest.raises(ValidationError, match="amount"):
        lc.apply(invoice, lc.RecordPayment("p1", amount), at=f.AT)


def test_an_unknown_payment_cannot_be_settled_or_refunded() -> None:
    invoice = f.issued()
    # NotFoundError, as for any unknown id: the same whether it exists elsewhere or not (I9).
    with pytest.raises(NotFoundError, match="payment 'nope' not found"):
        lc.apply(invoice, lc.SettlePayment("nope"), at=f.AT)
    with pytest.raises(NotFoundError, match="payment 'nope' not found"):
        lc.apply(invoice, lc.RefundPayment("nope", "r1", "1.00"), at=f.AT)


def test_a_refund_gives_back_customer_credit_first_and_never_more_than_was_paid() -> None:
    invoice = _run(f.issued(), lc.RecordPayment("p1", "150.00"))  # 31.00 customer credit
    with pytest.raises(ValidationError, match=r"at most 150\.00 of payment 'p1'"):
        lc.apply(invoice, lc.RefundPayment("p1", "r1", "150.01"), at=f.AT)
    new, events = lc.apply(invoice, lc.RefundPayment("p1", "r1", "31.00"), at=f.AT)
    assert (new.status, new.amount_due, new.customer_credit) == (
        Status.PAID,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert [e.name for e in events] == ["PaymentRefunded"]
    new, events = lc.apply(new, lc.RefundPayment("p1", "r2", "119.00"), at=f.AT)
    assert (new.status, new.amount_due, new.customer_credit) == (
        Status.PENDING,
        Decimal("119.00"),
        Decimal("0.00"),
    )
    assert [e.name for e in events] == ["PaymentRefunded", "InvoiceReopened"]


# ------------------------------------------------------------------ overdue and time zones


def test_mark_overdue_before_the_due_date_is_refused_with_a_reason() -> None:
    invoice = f.issued()  # due 2026-03-31, Europe/Berlin
    last_minute = f.utc(2026, 3, 31, 21, 59)  # 23:59 in Berlin (CEST, UTC+2)
    with pytest.raises(InvalidTransitionError) as caught:
        lc.apply(invoice, lc.MarkOverdue(), at=last_minute)
    assert caught.value.reason is not None
    assert "the due date 2026-03-31 has not passed" in str(caught.value)
    assert "cannot mark_overdue on invoice INV-2026-00001 in status 'pending'" in str(caught.value)
    new, events = lc.apply(invoice, lc.MarkOverdue(), at=f.utc(2026, 3, 31, 22, 0))
    assert new.status is Status.OVERDUE
    assert [e.name for e in events] == ["InvoiceOverdue"]
    assert isinstance(events[0], ev.InvoiceOverdue)
    assert events[0].amount_due == Decimal("119.00")


def test_mark_overdue_with_nothing_due_is_refused() -> None:
    invoice = _run(f.issued(), lc.Credit("cn1", "CN-1", lines=[f.line("100.00")]))
    with pytest.raises(InvalidTransitionError):
        lc.apply(invoice, lc.MarkOverdue(), at=LATE)


@pytest.mark.parametrize(
    ("zone", "overdue"), [("Pacific/Auckland", True), ("America/Los_Angeles", False)]
)
def test_overdue_follows_the_sellers_time_zone(zone: str, overdue: bool) -> None:
    seller = f.seller(timezone=zone)
    invoice = f.issued(of=seller)
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 1), date(2026, 3, 31))
    at = f.utc(2026, 3, 31, 12)  # April 1, 01:00 in Auckland; March 31, 05:00 in Los Angeles
    if overdue:
        new, _ = lc.apply(invoice, lc.MarkOverdue(), at=at)
        assert new.status is Status.OVERDUE
    else:
        with pytest.raises(InvalidTransitionError, match="has not passed"):
            lc.apply(invoice, lc.MarkOverdue(), at=at)
    # A part payment at that moment lands in the status of the seller's calendar too.
    paid, _ = lc.apply(invoice, lc.RecordPayment("p1", "10.00"), at=at)
    assert paid.status is (Status.OVERDUE if overdue else Status.PARTIALLY_PAID)


def test_the_issue_date_is_the_sellers_date() -> None:
    at = f.utc(2026, 3, 1, 11, 30)  # March 2 in Auckland (UTC+13)
    assert f.issued(of=f.seller(timezone="Pacific/Auckland"), at=at).issue_date == date(2026, 3, 2)
    assert f.issued(of=f.seller(timezone="America/Los_Angeles"), at=at).issue_date == date(
        2026, 3, 1
    )


# ------------------------------------------------------------------ pending money


def test_a_pending_payment_shows_in_flight_and_settles_into_the_balance() -> None:
    invoice = f.issued()
    pending, events = lc.apply(invoice, lc.RecordPayment("p1", "50.00", pending=True), at=f.AT)
    assert [e.name for e in events] == ["PaymentPending"]
    assert (pending.status, pending.paid, pending.amount_due) == (
        Status.PENDING,
        Decimal("0.00"),
        Decimal("119.00"),
    )
    assert pending.in_flight == Decimal("50.00")
    assert pending.version == invoice.version + 1
    settled, events = lc.apply(pending, lc.SettlePayment("p1"), at=f.AT)
    assert [e.name for e in events] == ["PaymentSucceeded"]
    assert (settled.status, settled.paid, settled.amount_due, settled.in_flight) == (
        Status.PARTIALLY_PAID,
        Decimal("50.00"),
        Decimal("69.00"),
        Decimal("0.00"),
    )
    payment = settled.payment("p1")
    assert (payment.status, payment.allocated, payment.customer_credit) == (
        PaymentStatus.SUCCEEDED,
        Decimal("50.00"),
        Decimal("0.00"),
    )
    with pytest.raises(InvalidTransitionError, match="payment 'p1' is succeeded, not pending"):
        lc.apply(settled, lc.SettlePayment("p1"), at=f.AT)


def test_a_failed_settlement_leaves_the_balance_open() -> None:
    pending = _run(f.issued(), lc.RecordPayment("p1", "119.00", pending=True))
    failed, events = lc.apply(pending, lc.FailPayment("p1", "insufficient funds"), at=f.AT)
    assert [e.name for e in events] == ["PaymentFailed"]
    assert (failed.status, failed.amount_due, failed.in_flight) == (
        Status.FAILED,
        Decimal("119.00"),
        Decimal("0.00"),
    )
    assert failed.failures[-1].reason == "insufficient funds"
    assert failed.payment("p1").failure_reason == "insufficient funds"


def test_a_pending_payment_settling_after_the_invoice_was_paid_becomes_customer_credit() -> None:
    invoice = _run(
        f.issued(),
        lc.RecordPayment("sepa", "119.00", pending=True),
        lc.RecordPayment("card", "119.00"),
    )
    assert (invoice.status, invoice.in_flight) == (Status.PAID, Decimal("119.00"))
    new, events = lc.apply(invoice, lc.SettlePayment("sepa"), at=f.AT)
    assert (new.status, new.customer_credit) == (Status.PAID, Decimal("119.00"))
    assert [e.name for e in events] == ["PaymentSucceeded", "CustomerCreditCreated"]


# ------------------------------------------------------------------ write-off, zero, refunds


def test_write_off_then_payment_is_paid() -> None:
    invoice = _run(f.issued(), lc.RecordPayment("p1", "19.00"), lc.WriteOff("insolvent"))
    assert (invoice.status, invoice.written_off_at) == (Status.UNCOLLECTIBLE, f.AT)
    part, _ = lc.apply(invoice, lc.RecordPayment("p2", "40.00"), at=LATE)
    assert part.status is Status.UNCOLLECTIBLE  # stays until the balance reaches 0
    paid, events = lc.apply(part, lc.RecordPayment("p3", "60.00"), at=LATE)
    assert (paid.status, paid.amount_due) == (Status.PAID, Decimal("0.00"))
    assert [e.name for e in events] == ["PaymentSucceeded", "InvoicePaid"]


def test_a_zero_amount_invoice_issues_straight_to_paid() -> None:
    draft = f.draft(lines=[Line("Free trial", quantity="1", unit_price="0", tax=Vat("19"))])
    seller, customer = f.seller(), f.customer()
    new, events = lc.apply(draft, lc.Issue("INV-0", seller, customer), at=f.AT)
    assert (new.status, new.amount_due, new.paid_at) == (Status.PAID, Decimal("0.00"), f.AT)
    assert [e.name for e in events] == ["InvoiceIssued", "InvoicePaid"]
    assert new.number == "INV-0"


def test_a_refund_after_the_due_date_reopens_to_overdue() -> None:
    invoice = _run(f.issued(), lc.RecordPayment("p1", "119.00"))
    new, events = lc.apply(invoice, lc.RefundPayment("p1", "r1", "19.00"), at=LATE)
    assert (new.status, new.amount_due, new.paid_at) == (Status.OVERDUE, Decimal("19.00"), None)
    assert [e.name for e in events] == ["PaymentRefunded", "InvoiceReopened", "InvoiceOverdue"]


# ------------------------------------------------------------------ lifecycle.outcomes


@pytest.mark.parametrize("paid", ["0", "50.00"], ids=["pending", "partially_paid"])
def test_outcomes_lists_overdue_for_a_credit_note_after_the_due_date(paid: str) -> None:
    # totals-rules: after a credit note the status follows the balance, overdue included.
    invoice = f.issued()
    if paid != "0":
        invoice = _run(invoice, lc.RecordPayment("p1", paid))
    before = invoice.status
    new, _ = lc.apply(invoice, lc.Credit("cn1", "CN-1", lines=[f.line("10.00")]), at=LATE)
    assert new.status is Status.OVERDUE
    assert new.status in lc.outcomes(before, Action.CREDIT), before


def test_outcomes_lists_overdue_for_an_invoice_issued_already_due() -> None:
    issued = f.issue(f.draft(), issue_date=date(2026, 1, 5))  # due 2026-02-04, issued 03-01
    assert issued.status is Status.OVERDUE
    assert issued.status in lc.outcomes(Status.DRAFT, Action.ISSUE)
