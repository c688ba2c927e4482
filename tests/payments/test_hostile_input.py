"""Hostile and malformed input at the payment entry points: a clear invoicekit error, nothing stored.

Found by probing as an attacker and as a careless host (issue 14): each case here raised a
raw Python error (RecursionError, AttributeError, InvalidOperation, OverflowError,
TypeError) or accepted a configuration that produced broken pay links.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

import invoicekit as ik
from billing_fixtures import AT, line
from invoicekit import StripeAccount, StripePayments
from invoicekit.adapters.payments import SandboxPayments
from invoicekit.adapters.signing import sign
from invoicekit.errors import ConfigurationError, WebhookRejectedError
from invoicekit.testing import FixedClock
from payments.stripe_stub import sign as stripe_sign

SECRET = "whsec_aG9zdGlsZS1pbnB1dC1zZWNyZXQtMzJieXRlcw=="


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(AT)


@pytest.fixture
def sandbox(clock: FixedClock) -> SandboxPayments:
    return SandboxPayments(
        base_url="http://127.0.0.1:9/pay",
        webhook_url="http://127.0.0.1:9/none",
        secrets=[SECRET],
        clock=clock,
    )


@pytest.fixture
def billing(clock: FixedClock, sandbox: SandboxPayments) -> ik.Billing:
    billing = ik.Billing.in_memory(clock=clock, payments=sandbox)
    billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
    billing.seller("s1").customers.create(id="c1", name="Globex", email="ap@globex.example")
    return billing


def issued(billing: ik.Billing) -> ik.Invoice:
    books = billing.seller("s1")
    return books.invoices.issue(books.invoices.draft(customer_id="c1", lines=[line()]).id)


def signed(body: bytes, clock: FixedClock, msg_id: str = "msg_1") -> dict[str, str]:
    at = int(clock.now().timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(at),
        "webhook-signature": sign(SECRET, msg_id, at, body),
    }


def event(invoice_id: str, **data: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_ref": "sbx_pay_1",
        "amount": "119.00",
        "currency": "EUR",
        "metadata": {"seller_id": "s1", "invoice_id": invoice_id},
    }
    body.update(data)
    return {"id": "evt_1", "type": "payment.succeeded", "created": 1772355600, "data": body}


# --------------------------------------------------------------------- signed but malformed


def _bodies(invoice_id: str) -> dict[str, bytes]:
    def dump(value: Any) -> bytes:
        return json.dumps(value).encode()

    late = event(invoice_id)
    late["created"] = 10**20
    return {
        "json bomb": b"[" * 100_000 + b"]" * 100_000,
        "metadata a list": dump(event(invoice_id, metadata=["s1"])),
        "amount NaN": dump(event(invoice_id, amount="NaN")),
        "amount sNaN": dump(event(invoice_id, amount="sNaN")),
        "currency a number": dump(event(invoice_id, currency=978)),
        "created out of range": dump(late),
        "payment_ref an object": dump(event(invoice_id, payment_ref={"id": "x"})),
    }


@pytest.mark.parametrize(
    "case",
    [
        "json bomb",
        "metadata a list",
        "amount NaN",
        "amount sNaN",
        "currency a number",
        "created out of range",
        "payment_ref an object",
    ],
)
def test_a_signed_but_malformed_sandbox_body_is_rejected_and_records_nothing(
    billing: ik.Billing, clock: FixedClock, case: str
) -> None:
    invoice = issued(billing)
    body = _bodies(invoice.id)[case]

    with pytest.raises(WebhookRejectedError, match="not a sandbox event"):
        billing.webhooks.receive("sandbox", body, signed(body, clock))

    after = billing.seller("s1").invoices.get(invoice.id)
    assert after.payments == ()
    assert after.status is invoice.status


def test_a_signed_stripe_json_bomb_is_rejected_not_a_recursion_error() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    stripe = StripePayments(StripeAccount("sk_test_x", ["whsec_bomb"]), clock=FixedClock(AT))
    headers = {"Stripe-Signature": stripe_sign(body, "whsec_bomb", timestamp=int(AT.timestamp()))}

    with pytest.raises(WebhookRejectedError, match="not JSON"):
        stripe.read(body, headers, now=AT)


def test_headers_that_are_not_a_mapping_are_a_rejection(billing: ik.Billing) -> None:
    with pytest.raises(WebhookRejectedError, match="headers"):
        billing.webhooks.receive("sandbox", b"{}", None)  # type: ignore[arg-type]


# --------------------------------------------------------------------- Billing's options


@pytest.mark.parametrize(
    "pay_url",
    [
        "https://shop.example/pay?ref=mail",
        "https://shop.example/pay#top",
        "https:///pay",
        "https://shop example/pay",
        "javascript:alert(1)//https://",
    ],
)
def test_a_pay_url_that_cannot_take_a_token_is_refused_at_construction(pay_url: str) -> None:
    with pytest.raises(ConfigurationError, match="pay_url"):
        ik.Billing.in_memory(pay_url=pay_url)


def test_a_pay_url_that_is_not_a_string_is_refused_naming_it() -> None:
    with pytest.raises(ConfigurationError, match="pay_url"):
        ik.Billing.in_memory(pay_url=5)  # type: ignore[arg-type]


@pytest.mark.parametrize("ttl", [60, "60 days", None])
def test_a_pay_link_ttl_that_is_not_a_timedelta_is_refused_naming_it(ttl: object) -> None:
    with pytest.raises(ConfigurationError, match="pay_link_ttl"):
        ik.Billing.in_memory(pay_url="https://shop.example/pay", pay_link_ttl=ttl)  # type: ignore[arg-type]


def test_a_huge_pay_link_ttl_is_refused_at_construction_not_at_send() -> None:
    with pytest.raises(ConfigurationError, match="pay_link_ttl"):
        ik.Billing.in_memory(pay_url="https://shop.example/pay", pay_link_ttl=timedelta.max)


def test_a_ten_year_pay_link_ttl_still_mints(clock: FixedClock) -> None:
    billing = ik.Billing.in_memory(
        clock=clock, pay_url="https://shop.example/pay", pay_link_ttl=timedelta(days=3650)
    )
    billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
    billing.seller("s1").customers.create(id="c1", name="Globex", email="ap@globex.example")
    invoice = issued(billing)

    assert billing.pay_pages.mint("s1", invoice.id).startswith("https://shop.example/pay/i/")


@pytest.mark.parametrize("given", ["sandbox", b"sandbox", {"sandbox": None}])
def test_payments_given_as_a_name_or_a_mapping_says_to_pass_provider_objects(
    given: object,
) -> None:
    with pytest.raises(ConfigurationError, match="payments="):
        ik.Billing.in_memory(payments=given)  # type: ignore[arg-type]


@pytest.mark.parametrize("base_url", ["javascript:alert(1)", "127.0.0.1:8000", ""])
def test_a_sandbox_base_url_that_is_not_http_is_refused(base_url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        SandboxPayments(base_url=base_url, webhook_url="http://127.0.0.1:9/", secrets=[SECRET])


class _NamedOnly:
    """Has a name, and nothing else a provider has."""

    name = "named"


@pytest.mark.parametrize("given", [_NamedOnly(), [_NamedOnly()]])
def test_an_object_with_only_a_name_is_refused_as_a_provider_at_construction(
    given: object,
) -> None:
    with pytest.raises(ConfigurationError, match=r"'named' .* payment_link or refund"):
        ik.Billing.in_memory(payments=given)  # type: ignore[arg-type]


@pytest.mark.parametrize("event_id", ["", "e" * 256])
def test_an_event_id_that_is_empty_or_too_long_is_rejected_not_stored(
    billing: ik.Billing, clock: FixedClock, event_id: str
) -> None:
    invoice = issued(billing)
    payload = event(invoice.id)
    payload["id"] = event_id
    body = json.dumps(payload).encode()

    with pytest.raises(WebhookRejectedError, match="event id"):
        billing.webhooks.receive("sandbox", body, signed(body, clock))

    assert billing.seller("s1").invoices.get(invoice.id).payments == ()
