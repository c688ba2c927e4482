"""The pay link to the receipt, over HTTP on loopback: a message's link, its page, the sandbox's
checkout, a signed webhook, the invoice paid and exactly one receipt; a decline tells the
customer why, and the checkout of a paid invoice is closed and cancelled."""

from __future__ import annotations

from collections.abc import Iterator
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
from invoicekit.adapters.payments import SandboxPayments
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.testing import FixedClock, MemoryNotifier
from payments.notices import body_of, signed
from payments.webhook_server import Endpoint, endpoint

PAY_URL = "https://shop.example/pay"
SECRETS = ["whsec_" + "cGF5LWFuZC1yZWNlaXB0LXNlY3JldC0wMQ=="]


@pytest.fixture
def shop(
    make_billing: MakeBilling, clock: FixedClock
) -> Iterator[tuple[ik.Billing, SandboxPayments, MemoryNotifier, Endpoint]]:
    provider = SandboxPayments(
        base_url=PAY_URL, webhook_url="http://127.0.0.1:9/none", secrets=SECRETS, clock=clock
    )
    mail = MemoryNotifier(channel="email")
    billing = make_billing(
        payments=provider,
        notifiers=[mail],
        renderer=TemplateRenderer(qr=False),
        pay_url=PAY_URL,
    )
    with endpoint(billing) as ep:
        provider.webhook_url = ep.url
        billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
        yield billing, provider, mail, ep


def _issue_and_send(billing: ik.Billing, mail: MemoryNotifier) -> tuple[ik.Invoice, str]:
    books = billing.seller("s1")
    books.customers.create(id="c1", name="Globex", email="ap@globex.example", channels=["email"])
    invoice = books.invoices.issue(books.invoices.draft(customer_id="c1", lines=[line()]).id)
    books.invoices.send(invoice.id)
    link = mail.sent[-1].url
    assert link is not None
    assert link.startswith(PAY_URL + "/i/")
    return invoice, link.rsplit("/", 1)[1]


def test_pay_from_the_emails_link_and_get_exactly_one_receipt(shop: Any) -> None:
    billing, provider, mail, ep = shop
    invoice, token = _issue_and_send(billing, mail)
    page = billing.pay_pages.open(token)
    assert page.can_pay
    checkout_url = billing.pay_pages.checkout(token)
    ref = checkout_url.rsplit("/", 1)[1]
    assert provider.session(ref).amount == invoice.amount_due
    provider.choose(ref, "succeed")
    provider.redeliver()  # a provider's retry of a delivered event: a duplicate, no new receipt
    paid = billing.pay_pages.open(token)
    assert (paid.status, paid.can_pay) == (ik.Status.PAID, False)
    receipts = [m for m in mail.sent if m.kind == "receipt"]
    assert len(receipts) == 1
    assert "paid in full" in receipts[0].text
    assert ep.results[0].outcome == "recorded"
    with billing.storage.transaction(write=False) as tx:
        assert tx.checkouts.open_for_invoice("s1", invoice.id) == []


def test_a_declined_card_tells_the_customer_and_the_next_try_pays(shop: Any) -> None:
    billing, provider, mail, _ = shop
    invoice, token = _issue_and_send(billing, mail)
    ref = billing.pay_pages.checkout(token).rsplit("/", 1)[1]
    provider.choose(ref, "decline", reason="insufficient_funds")
    [failed] = [m for m in mail.sent if m.kind == "payment_failed"]
    assert "There was not enough money in the account." in failed.text
    assert failed.url is not None
    assert failed.url.startswith(PAY_URL + "/i/")  # a new link to try again
    again = failed.url.rsplit("/", 1)[1]
    assert billing.pay_pages.open(again).status is ik.Status.FAILED
    provider.choose(billing.pay_pages.checkout(again).rsplit("/", 1)[1], "succeed")
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID
    assert len([m for m in mail.sent if m.kind == "receipt"]) == 1


def test_replayed_and_reordered_notices_give_one_receipt_and_one_refund_notice(
    shop: Any, clock: FixedClock
) -> None:
    billing, provider, mail, _ = shop
    invoice, _token = _issue_and_send(billing, mail)
    paid = signed(
        provider, body_of("evt_1", "payment.succeeded", invoice_id=invoice.id), clock.now()
    )
    refund = signed(
        provider,
        body_of(
            "evt_2", "refund.succeeded", invoice_id=invoice.id, amount="19.00", refund_ref="re_1"
        ),
        clock.now(),
    )
    outcomes = [
        billing.webhooks.receive("sandbox", body, headers).outcome
        for body, headers in (refund, paid, paid, refund, paid)
    ]
    assert outcomes.count("duplicate") >= 3
    kinds = sorted(m.kind for m in mail.sent if m.invoice_id == invoice.id and m.kind != "invoice")
    assert kinds == ["receipt", "refund"]
