"""Fixtures of the web app's tests: a real Billing with one issued invoice, the app over it.

The Billing has two providers: ``LocalCheckout`` first (the default, whose checkout
requests a test can read or make fail) and a real ``SandboxPayments`` (its pay page and
signed webhooks through the real intake). TestClient is no HTTP server, so the
sandbox's own webhook deliveries go to a closed port and wait for ``redeliver``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

import invoicekit as ik
from billing_fixtures import AT
from invoicekit import SandboxPayments
from invoicekit.payment_records import CheckoutRequest
from invoicekit.testing import FixedClock
from invoicekit.web import create_app
from web.standins import LocalCheckout

SECRET = "test-secret-key-0123456789abcdef0123456789"
WEBHOOK_SECRET = "whsec_ZXhhbXBsZS1vbmx5LXdlYmhvb2stc2VjcmV0LTMyYnk="
IBAN = "DE89 3704 0044 0532 0130 00"
#: Nothing listens here: the sandbox's deliveries fail and are kept (TestClient is no server).
CLOSED_PORT = "http://127.0.0.1:9/webhooks/sandbox"


@dataclass
class Shop:
    billing: ik.Billing
    provider: LocalCheckout
    sandbox: SandboxPayments
    seller_id: str
    customer_id: str
    invoice_id: str
    token: str
    #: A sandbox checkout of the invoice, as its Pay button would start it.
    ref: str
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
    clock = FixedClock(AT)
    provider = LocalCheckout()
    sandbox = SandboxPayments(
        base_url="http://testserver",
        webhook_url=CLOSED_PORT,
        secrets=[WEBHOOK_SECRET],
        clock=clock,
        timeout=1.0,
    )
    billing = ik.Billing.in_memory(
        clock=clock, payments=[provider, sandbox], pay_url="http://testserver"
    )
    seller_id, customer_id, invoice_id = issue_one(billing)
    token = billing.pay_pages.mint(seller_id, invoice_id).rsplit("/", 1)[1]
    session = sandbox.start_checkout(
        CheckoutRequest(
            seller_id=seller_id,
            invoice_id=invoice_id,
            number="INV-2026-00001",
            amount=Decimal("1190.00"),
            currency="EUR",
            description="Invoice INV-2026-00001 from Northwind Studio",
            return_url=f"http://testserver/i/{token}",
            key=f"{invoice_id}:1190.00:EUR",
        )
    )
    app = create_app(
        billing,
        secret_key=SECRET,
        sandbox=sandbox,
        inbox_customer=lambda request: (
            (seller_id, customer_id) if request.headers.get("x-user") == "globex" else None
        ),
    )
    with TestClient(app, follow_redirects=False) as client:
        yield Shop(
            billing,
            provider,
            sandbox,
            seller_id,
            customer_id,
            invoice_id,
            token,
            session.ref,
            client,
        )
    billing.close()
