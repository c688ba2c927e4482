"""T22 payment_sequences_property across invoices: customer credit is conserved and spent once.

Random sequences (≤ 25 operations) of payments (part, rest, over), refunds, credit
notes and ``apply_credit`` on four invoices of one customer (three in EUR, one in
USD), through the facade on memory storage. After every operation: I1 on every
invoice; money is conserved across them (received + over-credits = what pays
invoices + credit held + credit applied + refunded); every ``credit`` payment is
backed by exactly the credit its sources gave up, and no credit is held on an
invoice that is not paid; a refund no larger than the credit held never re-opens
the balance; a refused operation changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Final

from hypothesis import given, settings
from hypothesis import strategies as st

import invoicekit as ik
from invoicekit.domain import lifecycle
from invoicekit.domain.status import PaymentStatus
from invoicekit.testing import FixedClock
from sizes import examples

D = Decimal
CENT: Final = D("0.01")
#: The customer's invoices: net price and currency (19 % VAT on top).
PRICES: Final = (("100.00", "EUR"), ("50.00", "EUR"), ("80.00", "USD"), ("10.00", "EUR"))
KINDS = [
    "pay_part",
    "pay_rest",
    "pay_over",
    "refund",
    "refund_all",
    "credit",
    "apply",
    "apply_part",
]
OPS = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 3), st.integers(1, 99), st.integers(0, 999)),
    max_size=25,
)


def _part(amount: Decimal, percent: int) -> Decimal:
    return max(CENT, (amount * percent / 100 / CENT).to_integral_value(ROUND_FLOOR) * CENT)


class Customer:
    """One customer's four invoices in a fresh in-memory Billing."""

    def __init__(self) -> None:
        billing = ik.Billing.in_memory(clock=FixedClock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
        seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
        self.books = billing.seller(seller.id)
        self.customer_id = self.books.customers.create("Globex").id
        self.ids = [
            self.books.invoices.issue(
                self.books.invoices.draft(
                    self.customer_id,
                    lines=[ik.Line("x", quantity=1, unit_price=price, tax=ik.Vat("19"))],
                    currency=currency,
                ).id
            ).id
            for price, currency in PRICES
        ]

    def invoices(self) -> list[ik.Invoice]:
        return [self.books.invoices.get(i) for i in self.ids]

    def step(self, kind: str, which: int, percent: int, n: int) -> None:
        invoice = self.books.invoices.get(self.ids[which])
        before = self.invoices()
        try:
            self._do(kind, invoice, percent, n)
        except ik.InvoiceKitError:
            assert self.invoices() == before  # a refused operation changes nothing

    def _do(self, kind: str, invoice: ik.Invoice, percent: int, n: int) -> None:
        pay = self.books.payments
        due = invoice.amount_due
        if kind.startswith("pay_"):
            amount = {"part": _part(due, percent), "rest": due, "over": due + n * CENT + CENT}
            pay.record(invoice.id, amount[kind[4:]])
        elif kind.startswith("refund"):
            ok = [p for p in invoice.payments if p.status is PaymentStatus.SUCCEEDED]
            if not ok:
                return
            payment = ok[n % len(ok)]
            left = lifecycle.refundable(invoice, payment.id)
            amount = left if kind == "refund_all" else _part(left, percent)
            held = invoice.customer_credit
            after = pay.refund(invoice.id, payment.id, amount)
            if amount <= held:  # a refund of credit never re-opens the balance
                assert (after.amount_due, after.status) == (due, invoice.status)
            assert after.customer_credit == held - min(amount, held)
        elif kind == "credit":
            left = invoice.totals.payable - invoice.credit_notes_total
            net = (_part(left, percent) / D("1.19")).quantize(CENT, ROUND_FLOOR)
            self.books.invoices.credit(
                invoice.id, lines=[ik.Line("back", quantity=1, unit_price=net, tax=ik.Vat("19"))]
            )
        else:
            balance = pay.credit_balance(self.customer_id).get(invoice.currency, D(0))
            amount = None if kind == "apply" else _part(min(balance, due), percent)
            paid = pay.apply_credit(invoice.id, amount)
            expected = min(balance, due) if amount is None else amount
            assert paid.amount_due == due - expected

    def check(self) -> None:
        invoices = self.invoices()
        ok = [p for i in invoices for p in i.payments if p.status is PaymentStatus.SUCCEEDED]
        for i in invoices:
            t = i.totals
            assert t.tax_inclusive - i.paid - i.credited + t.rounding == i.amount_due >= 0  # I1
            assert i.customer_credit >= 0
            assert i.customer_credit == 0 or i.status is ik.Status.PAID
        received = sum((p.amount for p in ok), D(0))
        over_credited = sum((c.customer_credit for i in invoices for c in i.credits), D(0))
        paying = sum((p.net_allocated for p in ok), D(0))
        held = sum((i.customer_credit for i in invoices), D(0))
        transfers = [t for i in invoices for t in i.credit_transfers]
        applied = sum((t.amount for t in transfers), D(0))
        refunded = sum((p.refunded for p in ok), D(0))
        assert received + over_credited == paying + held + applied + refunded
        credit_payments = {p.id: p.amount for p in ok if p.method == "credit"}
        for payment_id, amount in credit_payments.items():  # applied exactly once
            assert sum((t.amount for t in transfers if t.payment_id == payment_id), D(0)) == amount
        assert {t.payment_id for t in transfers} == set(credit_payments)
        events = [e for e in self.books.events.list() if e.name == "CustomerCreditApplied"]
        assert len(events) == len(transfers)
        per_currency: dict[str, Decimal] = {}
        for i in invoices:
            if i.customer_credit:
                per_currency[i.currency] = per_currency.get(i.currency, D(0)) + i.customer_credit
        assert self.books.payments.credit_balance(self.customer_id) == per_currency


@settings(max_examples=examples(200), deadline=None)
@given(ops=OPS)
def test_customer_credit_is_conserved_and_applied_once(
    ops: list[tuple[str, int, int, int]],
) -> None:
    customer = Customer()
    for kind, which, percent, n in ops:
        customer.step(kind, which, percent, n)
        customer.check()


def test_a_customer_pays_one_invoice_with_the_overpayment_of_another() -> None:
    customer = Customer()
    customer.step("pay_over", 0, 1, 880)  # 119.00 + 8.81: 8.81 held on the first
    customer.step("apply", 1, 1, 0)  # pays 8.81 of the second (59.50)
    customer.check()
    first, second, usd, _ = customer.invoices()
    assert (first.customer_credit, second.amount_due) == (D("0.00"), D("50.69"))
    customer.step("apply", 2, 1, 0)  # nothing left, and USD never takes EUR credit
    assert usd.payments == customer.invoices()[2].payments == ()
