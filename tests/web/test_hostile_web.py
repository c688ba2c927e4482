"""The web app under hostile or careless use (issue 14's probe): never a 500, never a leak."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

import invoicekit as ik
from billing_fixtures import line
from invoicekit import StripeAccount, StripePayments
from invoicekit.errors import PaymentError
from invoicekit.web import create_app
from invoicekit.web.csrf import FIELD
from web.conftest import IBAN, SECRET, Shop
from web.standins import LocalCheckout
from web.test_routes import csrf_of


def without_the_sandbox(shop: Shop) -> tuple[ik.Billing, str]:
    """A Billing over the shop's books without the provider an invoice's seller chose, and a
    pay link of that invoice (issued after the seller chose the sandbox)."""
    shop.billing.sellers.update(shop.seller_id, payment_provider="sandbox")
    books = shop.billing.seller(shop.seller_id)
    draft = books.invoices.draft(shop.customer_id, lines=[line()])
    invoice = books.invoices.issue(draft.id)
    # the host redeploys without the sandbox, over the same books
    other = ik.Billing(
        storage=shop.billing.storage,
        clock=shop.billing.clock,
        payments=[LocalCheckout()],
        pay_url="http://testserver",
    )
    token = other.pay_pages.mint(shop.seller_id, invoice.id).rsplit("/", 1)[1]
    return other, token


def test_a_seller_whose_provider_is_no_longer_configured_is_offered_the_bank_not_a_500(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    other, token = without_the_sandbox(shop)
    with TestClient(
        create_app(other, secret_key=SECRET), follow_redirects=False, raise_server_exceptions=False
    ) as client:
        page = client.get(f"/i/{token}")
        with caplog.at_level(logging.WARNING, logger="invoicekit.web"):
            response = client.post(f"/i/{token}/pay", data={FIELD: csrf_of(page.text)})

    assert page.status_code == 200
    assert response.status_code == 503
    assert "could not start the card payment" in response.text
    assert IBAN in response.text
    assert "provider_not_configured" in caplog.text


def test_checkout_for_a_provider_no_longer_configured_is_a_payment_error_naming_it(
    shop: Shop,
) -> None:
    other, token = without_the_sandbox(shop)

    with pytest.raises(PaymentError, match="'sandbox'") as raised:
        other.pay_pages.checkout(token)

    assert raised.value.code == "provider_not_configured"
    assert raised.value.retryable is False


@pytest.mark.parametrize("lookup", ["index", "get"])
def test_a_stripe_webhook_for_a_seller_the_resolver_does_not_know_is_a_400_not_a_500(
    lookup: str,
) -> None:
    accounts = {"sel_1": StripeAccount("sk_test_seller_one", ["whsec_seller_one"])}

    def account_of(seller_id: str | None) -> StripeAccount:
        # the how-to's resolver, and its dict.get variant
        if lookup == "index":
            return accounts[seller_id or "sel_1"]
        return accounts.get(seller_id or "sel_1")  # type: ignore[return-value]

    billing = ik.Billing.in_memory(payments=StripePayments(account_of))
    with TestClient(
        create_app(billing, secret_key=SECRET), raise_server_exceptions=False
    ) as client:
        response = client.post(
            "/webhooks/stripe/sel_unknown", content=b"{}", headers={"Stripe-Signature": "t=1,v1=0"}
        )

    assert response.status_code == 400
    assert response.json() == {"error": "rejected", "reason": "no Stripe account for this endpoint"}


def test_checkout_for_a_seller_the_resolver_does_not_know_is_a_payment_error() -> None:
    stripe = StripePayments(lambda seller_id: {}[seller_id])

    with pytest.raises(PaymentError, match="no Stripe account for seller 'sel_x'") as raised:
        stripe.account_for("sel_x")

    assert raised.value.code == "no_account"


def test_an_inbox_customer_id_the_books_refuse_is_the_sign_in_page_not_a_500(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    too_long = (shop.seller_id, "c" * 10_000)  # e.g. a session value that is not an id
    app = create_app(shop.billing, secret_key=SECRET, inbox_customer=lambda _request: too_long)
    with (
        TestClient(app, raise_server_exceptions=False) as client,
        caplog.at_level(logging.WARNING, logger="invoicekit.web"),
    ):
        response = client.get("/inbox")

    assert response.status_code == 403
    assert "Sign in" in response.text
    assert "customer_id" in caplog.text
