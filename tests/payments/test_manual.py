"""ManualPayments through the facade, on every storage: bank transfer, no link, refunds by hand.

Issuing with ManualPayments needs the seller's bank account: without one the issue
fails with a PaymentError before the transaction commits, so no number is used.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    MakeBilling,
    clock_fixture,
    line,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.adapters.payments import BankTransferInstructions, ManualPayments
from invoicekit.domain.parties import BankAccount
from invoicekit.errors import PaymentError, ValidationError
from invoicekit.ports import PaymentProvider

ACCOUNT = BankAccount(iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX")


def _provider(p: ManualPayments) -> PaymentProvider:
    return p  # checked by mypy: ManualPayments implements the port


@pytest.fixture
def manual() -> ManualPayments:
    return ManualPayments()


@pytest.fixture
def billing(make_billing: MakeBilling, manual: ManualPayments) -> ik.Billing:
    return make_billing(payments=manual)


def books_of(billing: ik.Billing, **settings: Any) -> ik.SellerBooks:
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin", **settings
    )
    return billing.seller(seller.id)


def issue_one(books: ik.SellerBooks) -> ik.Invoice:
    customer = books.customers.create("Globex", email="ap@globex.example")
    draft = books.invoices.draft(customer.id, lines=[line()])
    return books.invoices.issue(draft.id)


def test_issue_gives_no_link_and_the_instructions_carry_the_account(
    billing: ik.Billing, manual: ManualPayments
) -> None:
    books = books_of(billing, legal_name="Northwind GmbH", bank_account=ACCOUNT)

    invoice = issue_one(books)

    assert manual.name == "manual"
    assert invoice.payment_link is None
    assert manual.instructions(invoice) == BankTransferInstructions(
        holder="Northwind GmbH",
        iban="DE89370400440532013000",
        display_iban="DE89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX",
        reference="INV-2026-00001",
        amount=Decimal("119.00"),
        currency="EUR",
        epc_payload=(
            "BCD\n002\n1\nSCT\nCOBADEFFXXX\nNorthwind GmbH\n"
            "DE89370400440532013000\nEUR119.00\n\n\nINV-2026-00001"
        ),
    )


def test_without_a_bank_account_issue_fails_and_uses_no_number(
    billing: ik.Billing, manual: ManualPayments
) -> None:
    books = books_of(billing)
    customer = books.customers.create("Globex", email="ap@globex.example")
    draft = books.invoices.draft(customer.id, lines=[line()])

    with pytest.raises(PaymentError) as caught:
        books.invoices.issue(draft.id)

    error = caught.value
    assert (error.provider, error.code, error.retryable) == ("manual", "no_bank_account", False)
    assert "bank_account" in str(error)
    assert books.seller_id in str(error)
    assert books.invoices.get(draft.id).status is ik.Status.DRAFT
    billing.sellers.update(books.seller_id, bank_account=ACCOUNT)
    issued = books.invoices.issue(draft.id)
    assert issued.number == "INV-2026-00001"
    assert manual.instructions(issued).reference == "INV-2026-00001"


def test_the_instructions_follow_the_snapshot_at_issue(
    billing: ik.Billing, manual: ManualPayments
) -> None:
    books = books_of(billing, bank_account=ACCOUNT)
    invoice = issue_one(books)
    billing.sellers.update(
        books.seller_id, bank_account=BankAccount(iban="GB82 WEST 1234 5698 7654 32")
    )

    again = books.invoices.get(invoice.id)

    assert manual.instructions(again).iban == "DE89370400440532013000"
    assert manual.instructions(again).holder == "Northwind"


def test_the_amount_is_what_is_left_after_a_partial_payment(
    billing: ik.Billing, manual: ManualPayments
) -> None:
    books = books_of(billing, bank_account=ACCOUNT)
    invoice = issue_one(books)

    partly = books.payments.record(invoice.id, "100.00")
    instructions = manual.instructions(partly)

    assert instructions.amount == Decimal("19.00")
    assert instructions.epc_payload is not None
    assert "\nEUR19.00\n" in instructions.epc_payload


def test_other_currencies_get_instructions_without_an_epc_payload(
    make_billing: MakeBilling, manual: ManualPayments
) -> None:
    billing = make_billing(payments=manual)
    seller = billing.sellers.create(
        name="Northwind Ltd", country="GB", currency="GBP", timezone="Europe/London",
        bank_account=BankAccount(iban="GB82 WEST 1234 5698 7654 32"),
    )  # fmt: skip
    books = billing.seller(seller.id)

    invoice = issue_one(books)
    instructions = manual.instructions(invoice)

    assert (instructions.currency, instructions.amount) == ("GBP", Decimal("119.00"))
    assert instructions.epc_payload is None


def test_refunds_are_recorded_once_per_key(billing: ik.Billing, manual: ManualPayments) -> None:
    books = books_of(billing, bank_account=ACCOUNT)
    invoice = issue_one(books)

    first = manual.refund(invoice, "pay_1", Decimal("20.00"), key="refund-1")
    again = manual.refund(invoice, "pay_1", Decimal("20.00"), key="refund-1")
    other = manual.refund(invoice, "pay_1", Decimal("5.00"), key="refund-2")

    assert first == again != other
    assert first == ManualPayments().refund(invoice, "pay_1", Decimal("20.00"), key="refund-1")
    assert [(r.id, r.amount, r.reference) for r in manual.refunds] == [
        (first, Decimal("20.00"), "INV-2026-00001"),
        (other, Decimal("5.00"), "INV-2026-00001"),
    ]


def test_a_refund_key_reused_for_another_refund_is_refused(
    billing: ik.Billing, manual: ManualPayments
) -> None:
    invoice = issue_one(books_of(billing, bank_account=ACCOUNT))
    manual.refund(invoice, "pay_1", Decimal("20.00"), key="refund-1")

    with pytest.raises(PaymentError, match="already used") as caught:
        manual.refund(invoice, "pay_1", Decimal("30.00"), key="refund-1")

    assert caught.value.code == "idempotency_conflict"
    assert len(manual.refunds) == 1


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-1.00"), Decimal("NaN"), 1.5])
def test_a_refund_of_a_bad_amount_is_refused(
    billing: ik.Billing, manual: ManualPayments, amount: object
) -> None:
    invoice = issue_one(books_of(billing, bank_account=ACCOUNT))

    with pytest.raises(ValidationError, match="amount"):
        manual.refund(invoice, "pay_1", amount, key="refund-1")  # type: ignore[arg-type]

    assert manual.refunds == ()


def test_concurrent_refunds_with_one_key_record_one(
    billing: ik.Billing, manual: ManualPayments
) -> None:
    invoice = issue_one(books_of(billing, bank_account=ACCOUNT))
    ids: list[str] = []
    start = threading.Barrier(8)

    def refund() -> None:
        start.wait()
        ids.append(manual.refund(invoice, "pay_1", Decimal("1.00"), key="same"))

    threads = [threading.Thread(target=refund) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(ids) == 8
    assert len(set(ids)) == 1
    assert len(manual.refunds) == 1


def test_repr_names_the_provider() -> None:
    assert repr(_provider(ManualPayments())) == "ManualPayments(refunds=0)"
