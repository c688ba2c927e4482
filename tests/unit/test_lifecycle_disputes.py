"""Disputes in the lifecycle, and the two payment rules webhook intake relies on.

A disputed amount counts as not received until the dispute is won (the balance
re-opens as for a refund); a lost dispute stays so. A payment reported failed may
still settle (the provider presented it again). A refund the provider reported
already (same provider id) is not recorded twice.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.errors import DuplicateError, InvalidTransitionError


def _run(invoice: Invoice, *commands: lc.Command) -> Invoice:
    for command in commands:
        invoice, _ = lc.apply(invoice, command, at=f.AT)
    return invoice


def _paid() -> Invoice:
    return _run(f.issued(), lc.RecordPayment("p1", "119.00"))


def test_a_dispute_reopens_the_balance_and_a_win_closes_it() -> None:
    disputed, events = lc.apply(
        _paid(), lc.DisputePayment("p1", "d1", "119.00", "fraudulent"), at=f.AT
    )
    assert [e.name for e in events] == ["PaymentDisputed", "InvoiceReopened"]
    assert (disputed.status, disputed.amount_due, disputed.paid) == (
        Status.PENDING,
        Decimal("119.00"),
        Decimal("0.00"),
    )
    won, events = lc.apply(disputed, lc.ResolveDispute("p1", "d1", won=True), at=f.AT)
    assert [e.name for e in events] == ["DisputeResolved", "InvoicePaid"]
    assert (won.status, won.amount_due) == (Status.PAID, Decimal("0.00"))


def test_a_lost_dispute_stays_not_received() -> None:
    disputed = _run(_paid(), lc.DisputePayment("p1", "d1", "19.00"))
    lost, events = lc.apply(disputed, lc.ResolveDispute("p1", "d1", won=False), at=f.AT)
    assert [e.name for e in events] == ["DisputeResolved"]
    assert (lost.status, lost.amount_due) == (Status.PARTIALLY_PAID, Decimal("19.00"))
    assert lost.payment("p1").disputes[0].outcome == "lost"
    with pytest.raises(InvalidTransitionError, match="no open dispute"):
        lc.apply(lost, lc.ResolveDispute("p1", "d1", won=True), at=f.AT)


def test_a_won_dispute_of_an_invoice_paid_meanwhile_becomes_customer_credit() -> None:
    disputed = _run(_paid(), lc.DisputePayment("p1", "d1", "119.00"))
    repaid = _run(disputed, lc.RecordPayment("p2", "119.00"))
    won, events = lc.apply(repaid, lc.ResolveDispute("p1", "d1", won=True), at=f.AT)
    assert [e.name for e in events] == ["DisputeResolved", "CustomerCreditCreated"]
    assert (won.status, won.amount_due, won.customer_credit) == (
        Status.PAID,
        Decimal("0.00"),
        Decimal("119.00"),
    )


def test_only_succeeded_payments_are_disputed_once() -> None:
    pending = _run(f.issued(), lc.RecordPayment("pp", "119.00", pending=True))
    with pytest.raises(InvalidTransitionError, match="only succeeded payments are disputed"):
        lc.apply(pending, lc.DisputePayment("pp", "d1", "10.00"), at=f.AT)
    disputed = _run(_paid(), lc.DisputePayment("p1", "d1", "10.00"))
    with pytest.raises(DuplicateError):
        lc.apply(disputed, lc.DisputePayment("p1", "d1", "10.00"), at=f.AT)


def test_a_failed_payment_may_still_settle() -> None:
    failed = _run(
        f.issued(), lc.RecordPayment("p1", "119.00", pending=True), lc.FailPayment("p1", "returned")
    )
    assert failed.status is Status.FAILED
    settled, events = lc.apply(failed, lc.SettlePayment("p1"), at=f.AT)
    assert [e.name for e in events] == ["PaymentSucceeded", "InvoicePaid"]
    assert settled.payment("p1").status is PaymentStatus.SUCCEEDED


def test_a_refund_the_provider_reported_already_is_not_recorded_twice() -> None:
    refunded = _run(_paid(), lc.RefundPayment("p1", "r1", "19.00", provider_id="re_1"))
    again, events = lc.apply(
        refunded, lc.RefundPayment("p1", "r2", "19.00", provider_id="re_1"), at=f.AT
    )
    assert (again, events) == (refunded, [])
    assert again.amount_due == Decimal("19.00")
