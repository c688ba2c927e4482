"""Fixtures of the web app's tests: a real Billing with one issued invoice, the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

import invoicekit as ik
from billing_fixtures import AT
from invoicekit.testing import FixedClock
from invoicekit.web import create_app
from web.standins import Host, LocalCheckout, Session, StandInSandbox, StandInWebhooks

SECRET = "test-secret-key-0123456789abcdef0123456789"
IBAN = "DE89 3704 0044 0532 0130 00"


@dataclass
class Shop:
    billing: ik.Billing
    host: Host
    provider: LocalCheckout
    sandbox: StandInSandbox
    seller_id: str
    customer_id: str
    invoice_id: str
    token: str
    client: TestClient


def issue_one(billing: ik.Billing) -> tuple[str, str, str]:
    seller = billing.sellers.create(
        name="Northwind Studio",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        bank_account=ik.BankAccount(IBAN, bic="COBADEFFXXX"),
    )
    books = billing.seller(seller.id)
    customer = books.customers.create("Globex GmbH", email="ap@globex.example")
    draft = books.invoices.draft(
        customer.id,
        lines=[
            ik.Line(
                "Website redesign",
                quantity=Decimal("12.5"),
                unit_price=Decimal("80.00"),
                tax=ik.Vat("19"),
            )
        ],
    )
    invoice = books.invoices.issue(draft.id)
    return seller.id, customer.id, invoice.id


@pytest.fixture
def shop() -> Iterator[Shop]:
    provider = LocalCheckout()
    billing = ik.Billing.in_memory(
        clock=FixedClock(AT), payments=provider, pay_url="http://testserver"
    )
    seller_id, customer_id, invoice_id = issue_one(billing)
    host = Host(billing, StandInWebhooks())
    token = billing.pay_pages.mint(seller_id, invoice_id).rsplit("/", 1)[1]
    sandbox = StandInSandbox()
    sandbox.sessions["sbx_cs_1"] = Session(
        "sbx_cs_1",
        Decimal("1190.00"),
        "EUR",
        "Invoice INV-2026-00001 from Northwind Studio",
        f"http://testserver/i/{token}",
    )
    app = create_app(
        host,
        secret_key=SECRET,
        sandbox=sandbox,
        inbox_customer=lambda request: (
            (seller_id, customer_id) if request.headers.get("x-user") == "globex" else None
        ),
    )
    with TestClient(app, follow_redirects=False) as client:
        yield Shop(
            billing, host, provider, sandbox, seller_id, customer_id, invoice_id, token, client
        )
