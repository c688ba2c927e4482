"""Issue 11 item 3, domain part: refunds give customer credit back first; credit pays once.

A refund returns the credit held on the invoice before it re-opens the balance, so
a customer is never chased for money given back. ``credit.plan`` picks the paid
invoices whose credit pays another open invoice of the same customer and currency;
``PayWithCredit`` (the target) and ``ApplyCredit`` (each source) record it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import factories as f
from invoicekit.domain import credit
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import (
    DuplicateError,
    InvalidTransitionError,
    PaymentNotAllowedError,
    ValidationError,
)

D = Decimal


def _run(invoice: Invoice, *commands: lc.Command) -> Invoice:
    for command in commands:
        invoice, _ = lc.apply(invoice, command, at=f.AT)
    return invoice


def _overpaid(amount: str = "200.00", *, id: str = "i1", number: str = "INV-1") -> Invoice:
    """119.00 invoice paid with ``amount`` (the rest is customer credit)."""
    return _run(f.issued(id=id, number=number), lc.RecordPayment(f"p-{id}", amount))


# ------------------------------------------------------------------ the two reproduced defects


def test_refunding_the_overpayment_does_not_reopen_the_invoice() -> None:
    invoice = _overpaid()
    assert (invoice.status, invoice.amount_due, invoice.customer_credit) == (
        Status.PAID,
        D("0.00"),
        D("81.00"),
    )
    new, events = lc.apply(invoice, lc.RefundPayment("p-i1", "r1", "81.00"), at=f.AT)
    assert (new.status, new.amount_due, new.customer_credit, new.paid) == (
        Status.PAID,
        D("0.00"),
        D("0.00"),
        D("119.00"),
    )
    assert [e.name for e in events] == ["PaymentRefunded"]
    assert new.payments[0].refunds[0].from_credit == D("81.00")


def test_refunding_after_a_full_credit_note_on_a_paid_invoice_does_not_reopen_it() -> None:
    paid = _run(f.issued(), lc.RecordPayment("p1", "119.00"))
    credited = _run(paid, lc.Credit("cn1", "CN-1", lines=[f.line("100.00")]))
    assert (credited.status, credited.customer_credit) == (Status.PAID, D("119.00"))
    new = _run(credited, lc.RefundPayment("p1", "r1", "119.00"))
    assert (new.status, new.amount_due, new.customer_credit) == (Status.PAID, D("0.00"), D("0"))


def test_only_the_part_beyond_the_credit_reopens_the_balance() -> None:
    new, events = lc.apply(_overpaid("130.00"), lc.RefundPayment("p-i1", "r1", "20.00"), at=f.AT)
    assert (new.status, new.amount_due, new.customer_credit) == (
        Status.PARTIALLY_PAID,
        D("9.00"),
        D("0.00"),
    )
    assert [e.name for e in events] == ["PaymentRefunded", "InvoiceReopened"]
    [refunded] = [e for e in events if e.name == "PaymentRefunded"]
    assert refunded.from_credit == D("11.00")  # type: ignore[attr-defined]


def test_a_refund_never_exceeds_what_the_payment_brought_in() -> None:
    paid = _run(f.issued(), lc.RecordPayment("p1", "119.00"), lc.RecordPayment("p2", "50.00"))
    assert paid.customer_credit == D("50.00")  # p2 arrived on a paid invoice
    assert lc.refundable(paid, "p1") == D("119.00")
    with pytest.raises(ValidationError, match=r"at most 119\.00 of payment 'p1'"):
        lc.apply(paid, lc.RefundPayment("p1", "r1", "119.01"), at=f.AT)
    # p1's refund takes the credit first: 50.00 of it, then 69.00 re-opens the balance.
    new = _run(paid, lc.RefundPayment("p1", "r1", "119.00"))
    assert (new.amount_due, new.customer_credit) == (D("69.00"), D("0.00"))
    assert lc.refundable(new, "p2") == D("0.00")


# ------------------------------------------------------------------ paying with credit


def test_pay_with_credit_is_a_settled_payment_with_method_credit() -> None:
    target = f.issued(id="i2", number="INV-2")
    new, events = lc.apply(target, lc.PayWithCredit("pc", "50.00", ("INV-1",)), at=f.AT)
    [payment] = new.payments
    assert (payment.method, payment.amount, payment.allocated, payment.customer_credit) == (
        "credit",
        D("50.00"),
        D("50.00"),
        D("0"),
    )
    assert payment.reference == "customer credit from INV-1"
    assert (new.status, new.amount_due) == (Status.PARTIALLY_PAID, D("69.00"))
    assert [e.name for e in events] == ["PaymentSucceeded"]


def test_the_reference_of_a_credit_payment_stays_short() -> None:
    sources = tuple(f"INV-2026-{n:05d}" for n in range(20))
    new = _run(f.issued(id="i2", number="INV-2"), lc.PayWithCredit("pc", "5.00", sources))
    reference = new.payments[0].reference
    assert reference is not None
    assert len(reference) == 140
    assert reference.startswith("customer credit from INV-2026-00000, INV-2026-00001")
    assert reference.endswith("…")


def test_pay_with_credit_never_creates_credit_and_needs_a_balance() -> None:
    target = f.issued(id="i2", number="INV-2")
    with pytest.raises(ValidationError, match=r"at most 119\.00 is due on INV-2"):
        lc.apply(target, lc.PayWithCredit("pc", "119.01", ("INV-1",)), at=f.AT)
    paid = _run(target, lc.RecordPayment("p1", "119.00"))
    with pytest.raises(PaymentNotAllowedError, match="nothing is due"):
        lc.apply(paid, lc.PayWithCredit("pc", "1.00", ("INV-1",)), at=f.AT)
    with pytest.raises(PaymentNotAllowedError):
        lc.apply(_run(target, lc.Void()), lc.PayWithCredit("pc", "1.00", ("INV-1",)), at=f.AT)


def test_apply_credit_spends_the_credit_held_once() -> None:
    source = _overpaid()
    new, events = lc.apply(source, lc.ApplyCredit("pc", "i2", "INV-2", "50.00"), at=f.AT)
    assert (new.status, new.amount_due, new.customer_credit) == (Status.PAID, D("0"), D("31.00"))
    assert [(t.payment_id, t.invoice_id, t.number, t.amount) for t in new.credit_transfers] == [
        ("pc", "i2", "INV-2", D("50.00"))
    ]
    assert [e.name for e in events] == ["CustomerCreditApplied"]
    with pytest.raises(DuplicateError, match="already applied"):
        lc.apply(new, lc.ApplyCredit("pc", "i2", "INV-2", "1.00"), at=f.AT)
    with pytest.raises(ValidationError, match=r"at most 31\.00 of customer credit is held"):
        lc.apply(new, lc.ApplyCredit("pc2", "i3", "INV-3", "31.01"), at=f.AT)


def test_credit_applied_elsewhere_cannot_be_refunded_here() -> None:
    source = _run(_overpaid(), lc.ApplyCredit("pc", "i2", "INV-2", "81.00"))
    assert lc.refundable(source, "p-i1") == D("119.00")
    with pytest.raises(ValidationError) as caught:
        lc.apply(source, lc.RefundPayment("p-i1", "r1", "119.01"), at=f.AT)
    message = str(caught.value)
    assert "at most 119.00" in message
    assert "already paid INV-2" in message
    assert "refund the 'credit' payment on that invoice" in message


def test_the_refund_message_names_spent_credit_only_when_it_is_the_limit() -> None:
    paid = _run(
        f.issued(),
        lc.RecordPayment("p1", "119.00"),
        lc.RecordPayment("p2", "50.00"),  # all of it customer credit
        lc.ApplyCredit("pc", "i2", "INV-2", "10.00"),
    )
    with pytest.raises(ValidationError, match=r"at most 40\.00 .*already paid INV-2"):
        lc.apply(paid, lc.RefundPayment("p2", "r1", "40.01"), at=f.AT)
    with pytest.raises(ValidationError) as caught:  # p1 brought in 119.00: that is the limit
        lc.apply(paid, lc.RefundPayment("p1", "r1", "119.01"), at=f.AT)
    assert "INV-2" not in str(caught.value)


def test_credit_is_applied_only_from_a_paid_invoice() -> None:
    for invoice in (f.issued(), _run(f.issued(), lc.RecordPayment("p1", "10.00"))):
        with pytest.raises(InvalidTransitionError, match="cannot apply_credit"):
            lc.apply(invoice, lc.ApplyCredit("pc", "i2", "INV-2", "1.00"), at=f.AT)


def test_the_credit_method_is_reserved() -> None:
    with pytest.raises(ValidationError, match="method") as caught:
        lc.apply(f.issued(), lc.RecordPayment("p1", "10.00", method="credit"), at=f.AT)
    assert "payments.apply_credit" in str(caught.value)


# ------------------------------------------------------------------ planning


def test_plan_takes_the_oldest_credit_first_and_only_what_fits() -> None:
    older = _run(f.issued(id="a", number="INV-1"), lc.RecordPayment("pa", "150.00"))  # 31.00
    newer = _overpaid(id="b", number="INV-2")  # 81.00
    target = f.issued(id="t", number="INV-3")
    chosen = credit.plan(target, [newer, older])
    assert [(h.id, part) for h, part in chosen] == [("a", D("31.00")), ("b", D("81.00"))]
    small = credit.plan(target, [newer, older], "40.00")
    assert [(h.id, part) for h, part in small] == [("a", D("31.00")), ("b", D("9.00"))]
    big = credit.plan(_run(target, lc.RecordPayment("pt", "100.00")), [newer, older])
    assert sum(part for _, part in big) == D("19.00")  # all that fits the amount due


def test_plan_refuses_what_is_not_there_naming_the_amount() -> None:
    target = f.issued(id="t", number="INV-3")
    holder = _overpaid(id="b", number="INV-2")
    cases = {
        "at most 81.00 EUR of credit is held": (holder, "81.01"),
        r"at most 119\.00 is due on INV-3": (_overpaid("500.00", id="b", number="INV-2"), "120"),
        "holds no customer credit in EUR": (f.issued(id="b", number="INV-2"), None),
        "must be greater than 0": (holder, "0"),
    }
    for match, (source, amount) in cases.items():
        with pytest.raises(ValidationError, match=match) as caught:
            credit.plan(target, [source], amount)
        assert caught.value.problems[0].path == "amount"


def test_plan_names_the_currency_credit_exists_in() -> None:
    usd = f.seller(currency="USD")
    holder = _run(
        f.issued(of=usd, id="u", number="US-1"), lc.RecordPayment("pu", "200.00")
    )  # 81.00 USD held
    target = f.issued(id="t", number="INV-3")
    with pytest.raises(ValidationError, match=r"it has 81\.00 USD; credit pays invoices of its"):
        credit.plan(target, [holder])
    assert credit.plan(target, [holder], strict=False) == []
    assert credit.held_by_currency([holder, _overpaid()]) == {"USD": D("81.00"), "EUR": D("81.00")}


def test_plan_ignores_other_customers_and_the_target_itself() -> None:
    other = _run(
        f.issued(to=f.customer(id="c2"), id="o", number="INV-9"), lc.RecordPayment("po", "200")
    )
    target = f.issued(id="t", number="INV-3")
    assert credit.plan(target, [other], strict=False) == []
    with pytest.raises(PaymentNotAllowedError, match="something due"):
        credit.plan(_overpaid(id="t"), [_overpaid(id="b", number="INV-2")])
