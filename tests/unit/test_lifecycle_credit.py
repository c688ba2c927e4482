"""T10 credit_note_rules: credit notes reference, are computed like and never exceed the original."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import factories as f
from invoicekit.domain import events as ev
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Discount, Line
from invoicekit.domain.status import Status
from invoicekit.domain.tax import Tax, Vat
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import DuplicateError, InvalidTransitionError, ValidationError
from sizes import examples

LATER = f.utc(2026, 3, 20, 23, 30)  # 2026-03-21 in Berlin
ISSUED_FIELDS = (
    "id",
    "number",
    "currency",
    "lines",
    "totals",
    "seller",
    "customer",
    "issue_date",
    "due_date",
    "issued_at",
    "terms",
    "discounts",
    "charges",
    "prices",
    "memo",
    "footer",
    "payment_link",
)


def _issued_fields(invoice: Invoice) -> tuple[Any, ...]:
    return (*(getattr(invoice, n) for n in ISSUED_FIELDS), repr(invoice.totals), invoice.policy)


def _credit(
    invoice: Invoice, *lines: Line, note: str = "cn1", at: Any = LATER, **kw: Any
) -> tuple[Invoice, list[ev.Event]]:
    cmd = lc.Credit(note, f"CN-2026-{note}", lines=lines or [f.line("10.00")], **kw)
    return lc.apply(invoice, cmd, at=at)


def _note(events: list[ev.Event]) -> CreditNote:
    [issued] = [e for e in events if isinstance(e, ev.CreditNoteIssued)]
    return issued.credit_note


def test_a_credit_note_references_the_invoice_number_and_issue_date() -> None:
    invoice = f.issued()  # issued 2026-03-01
    new, events = _credit(invoice, reason="price correction")
    note = _note(events)
    assert (note.invoice_number, note.invoice_issue_date) == ("INV-2026-00001", date(2026, 3, 1))
    assert (note.invoice_id, note.number, note.reason) == ("i1", "CN-2026-cn1", "price correction")
    assert (note.seller, note.customer) == (invoice.seller, invoice.customer)
    assert (note.seller_id, note.customer_id, note.currency) == ("s1", "c1", "EUR")
    assert note.issue_date == date(2026, 3, 21)  # the seller's date (Berlin), not UTC's 20th
    assert [(c.credit_note_id, c.number, c.amount) for c in new.credits] == [
        ("cn1", "CN-2026-cn1", Decimal("11.90"))
    ]


def test_a_credit_note_is_computed_by_the_same_totals_engine() -> None:
    seller = f.seller(currency="CHF")
    invoice = f.issued(of=seller, lines=[f.line("40.00", "3", Vat("8.1"))])
    lines = (
        f.line("10.01", "1", Vat("8.1")),
        f.line("3.333", "3", Vat("2.6")),
        f.line("5.00", "1", Tax.zero_rated()),
    )
    discount = Discount(percent="10", tax=Vat("8.1"))
    new, events = _credit(invoice, *lines, discounts=[discount])
    note = _note(events)
    expected = compute_totals(
        "CHF", lines, discounts=[discount], prices=invoice.prices, policy=invoice.policy
    )
    assert note.totals == expected
    assert repr(note.totals) == repr(expected)
    assert note.totals.payable % Decimal("0.05") == 0  # cash rounded like the invoice
    assert new.credited == note.totals.payable
    assert new.amount_due == invoice.amount_due - note.totals.payable


def test_over_credit_is_refused_and_changes_nothing() -> None:
    invoice, _ = _credit(f.issued(), f.line("60.00"))  # 71.40 of 119.00 credited
    before = f.snapshot(invoice)
    with pytest.raises(
        ValidationError, match=r"at most 47\.60 \(left to credit on INV-2026-00001\)"
    ):
        _credit(invoice, f.line("40.01"), note="cn2")  # 47.61
    assert f.snapshot(invoice) == before
    new, _ = _credit(invoice, f.line("40.00"), note="cn2")  # exactly what is left
    assert (new.credit_notes_total, new.amount_due, new.status) == (
        Decimal("119.00"),
        Decimal("0.00"),
        Status.PAID,
    )
    with pytest.raises(ValidationError, match=r"at most 0\.00"):
        _credit(new, f.line("0.01", tax=Tax.zero_rated()), note="cn3")


def test_a_zero_credit_note_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be above 0"):
        _credit(f.issued(), f.line("0.00"))


@pytest.mark.parametrize("status", ["draft", "void"])
def test_no_credit_note_on_a_draft_or_a_void_invoice(status: str) -> None:
    invoice = f.draft() if status == "draft" else lc.apply(f.issued(), lc.Void(), at=f.AT)[0]
    with pytest.raises(InvalidTransitionError, match=f"cannot credit on invoice .* '{status}'"):
        _credit(invoice)


def test_crediting_the_full_amount_makes_nothing_due_and_the_invoice_paid() -> None:
    invoice = f.issued()
    new, events = _credit(invoice, f.line("100.00"))
    assert (new.amount_due, new.status, new.paid_at) == (Decimal("0.00"), Status.PAID, LATER)
    assert [e.name for e in events] == ["CreditNoteIssued", "InvoicePaid"]
    assert new.paid == 0  # nothing was paid: it was credited
    assert new.customer_credit == 0


def test_a_credit_after_full_payment_becomes_customer_credit() -> None:
    paid, _ = lc.apply(f.issued(), lc.RecordPayment("p1", "119.00"), at=f.AT)
    new, events = _credit(paid, f.line("20.00"))
    assert (new.status, new.amount_due, new.credited) == (Status.PAID, Decimal(0), Decimal(0))
    assert new.customer_credit == Decimal("23.80")
    assert [(e.name, getattr(e, "amount", None)) for e in events] == [
        ("CreditNoteIssued", None),
        ("CustomerCreditCreated", Decimal("23.80")),
    ]
    [applied] = new.credits
    assert (applied.amount, applied.allocated, applied.customer_credit) == (
        Decimal("23.80"),
        Decimal("0.00"),
        Decimal("23.80"),
    )


def test_a_credit_larger_than_the_balance_splits_into_allocation_and_customer_credit() -> None:
    partly, _ = lc.apply(f.issued(), lc.RecordPayment("p1", "100.00"), at=f.AT)
    new, _ = _credit(partly, f.line("20.00"))  # 23.80 against 19.00 due
    [applied] = new.credits
    assert (applied.allocated, applied.customer_credit) == (Decimal("19.00"), Decimal("4.80"))
    assert (new.status, new.customer_credit) == (Status.PAID, Decimal("4.80"))


def test_the_original_is_identical_after_credit_notes() -> None:
    invoice = f.issued(memo="March work")
    fields = _issued_fields(invoice)
    new, _ = _credit(invoice, f.line("30.00"))
    new, _ = _credit(new, f.line("70.00"), note="cn2")
    assert _issued_fields(new) == fields
    assert _issued_fields(invoice) == fields
    assert new.version == invoice.version + 2


def test_a_credit_note_id_is_recorded_once() -> None:
    # As payment and refund ids are (DuplicateError): a replayed credit must not credit twice.
    invoice, _ = _credit(f.issued(), f.line("10.00"))
    before = f.snapshot(invoice)
    with pytest.raises(DuplicateError, match="cn1"):
        _credit(invoice, f.line("10.00"))
    assert f.snapshot(invoice) == before


# ------------------------------------------------------------------ hypothesis: credit sequences


def _credit_line(tenths: int, cents: int, rate: int) -> Line:
    tax = Vat(rate) if rate else Tax.zero_rated()
    return Line("credit", quantity=Decimal(tenths) / 10, unit_price=Decimal(cents) / 100, tax=tax)


CREDIT_LINE = st.builds(
    _credit_line, st.integers(1, 30), st.integers(0, 9000), st.sampled_from([0, 7, 19])
)


@settings(max_examples=examples(1_000))
@given(
    currency=st.sampled_from(["EUR", "CHF"]),
    paid=st.integers(0, 150),
    notes=st.lists(st.lists(CREDIT_LINE, min_size=1, max_size=3), min_size=1, max_size=6),
)
def test_no_over_credit_is_ever_accepted(currency: str, paid: int, notes: list[list[Line]]) -> None:
    seller = f.seller(currency=currency)
    invoice = f.issued(of=seller, lines=[f.line("100.00", tax=Vat("19"))])  # 119.00 payable
    if paid:
        invoice, _ = lc.apply(invoice, lc.RecordPayment("p1", Decimal(paid)), at=f.AT)
    fields = _issued_fields(invoice)
    payable = invoice.totals.payable
    for i, lines in enumerate(notes):
        expected = compute_totals(currency, lines, prices=invoice.prices, policy=invoice.policy)
        left = payable - invoice.credit_notes_total
        before = f.snapshot(invoice)
        if not 0 < expected.payable <= left:
            with pytest.raises(ValidationError):
                _credit(invoice, *lines, note=f"cn{i}")
            assert f.snapshot(invoice) == before
            continue
        due = invoice.amount_due
        new, events = _credit(invoice, *lines, note=f"cn{i}")
        note = _note(events)
        assert note.totals == expected
        applied = new.credits[-1]
        assert applied.amount == expected.payable
        assert applied.allocated == min(expected.payable, due)
        assert applied.allocated + applied.customer_credit == applied.amount
        assert new.amount_due == due - applied.allocated
        invoice = new
        assert invoice.credit_notes_total <= payable
        assert invoice.credited + sum(c.customer_credit for c in invoice.credits) == (
            invoice.credit_notes_total
        )
        assert (invoice.status is Status.PAID) == (invoice.amount_due == 0)
        assert _issued_fields(invoice) == fields
