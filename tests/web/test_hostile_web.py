"""The web app under hostile or careless use (issue 14's probe): never a 500, never a leak."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

import invoicekit as ik
from billing_fixtures import line
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
