"""StripePayments against a loopback Stripe API (T21): checkouts, refunds, errors, idempotency keys.

The official SDK's StripeClient is pointed at ``stripe_stub.StripeStub`` through its base
addresses; the stub answers with Stripe's published object shapes and records requests.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from factories import issued
from invoicekit import (
    Invoice,
    Payment,
    PaymentError,
    PaymentStatus,
    StripeAccount,
    StripePayments,
    ValidationError,
    WebhookRejectedError,
)
from invoicekit.payment_records import CheckoutRequest
from invoicekit.testing.clock import FixedClock
from payments.stripe_stub import StripeStub

NOW = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)


@pytest.fixture
def stub() -> Iterator[StripeStub]:
    with StripeStub() as server:
        yield server


def _account(stub: StripeStub, **more: object) -> StripeAccount:
    return StripeAccount("sk_test_stub", ["whsec_test"], base_url=stub.url, **more)  # type: ignore[arg-type]


def _stripe(stub: StripeStub, **more: object) -> StripePayments:
    return StripePayments(_account(stub, **more), clock=FixedClock(NOW))


def _request(**changes: object) -> CheckoutRequest:
    values: dict[str, object] = {
        "seller_id": "sel_1",
        "invoice_id": "inv_1",
        "number": "INV-2026-0001",
        "amount": Decimal("119.00"),
        "currency": "EUR",
        "description": "Invoice INV-2026-0001 from Northwind",
        "return_url": "https://shop.example/pay/i/tok123",
        "key": "inv_1:119.00:EUR",
        "customer_email": "ada@example.com",
        "locale": "de_DE",
    }
    values.update(changes)
    return CheckoutRequest(**values)  # type: ignore[arg-type]


def paid_stripe_invoice(intent: str | None, amount: Decimal) -> Invoice:
    """An issued invoice with one Stripe payment whose reference is PaymentIntent ``intent``."""
    invoice = issued()
    payment = Payment(
        id="pay_stripe_1",
        amount=amount,
        status=PaymentStatus.SUCCEEDED,
        at=NOW,
        method="stripe",
        reference=intent,
        allocated=amount,
    )
    return attrs.evolve(invoice, payments=(payment,))


def test_a_checkout_takes_amount_currency_and_ids_from_the_request(stub: StripeStub) -> None:
    session = _stripe(stub).start_checkout(_request())
    (sent,) = stub.posts("/v1/checkout/sessions")
    p = sent.params
    assert p["mode"] == "payment"
    assert p["line_items[0][price_data][unit_amount]"] == "11900"
    assert p["line_items[0][price_data][currency]"] == "eur"
    assert p["line_items[0][quantity]"] == "1"
    assert p["line_items[0][price_data][product_data][name]"] == _request().description
    assert p["client_reference_id"] == "inv_1"
    assert p["metadata[invoice_id]"] == "inv_1"
    assert p["metadata[seller_id]"] == "sel_1"
    assert p["payment_intent_data[metadata][invoice_id]"] == "inv_1"
    assert p["payment_intent_data[metadata][seller_id]"] == "sel_1"
    assert p["customer_email"] == "ada@example.com"
    assert p["success_url"] == "https://shop.example/pay/i/tok123?checkout=success"
    assert p["cancel_url"] == "https://shop.example/pay/i/tok123"
    assert p["locale"] == "de"
    expires = datetime.fromtimestamp(int(p["expires_at"]), UTC)
    assert NOW + timedelta(hours=22) <= expires <= NOW + timedelta(hours=23)
    assert sent.idempotency_key is not None
    assert len(sent.idempotency_key) <= 255
    assert "inv_1" not in sent.idempotency_key  # a digest of our key, not the key
    assert session.provider == "stripe"
    assert session.ref.startswith("cs_test_")
    assert session.url.endswith(session.ref)
    assert session.amount == Decimal("119.00")
    assert session.currency == "EUR"
    assert session.expires_at == expires
    assert session.seller_id == "sel_1"


def test_the_same_key_gives_the_same_session_other_amounts_another(stub: StripeStub) -> None:
    stripe = _stripe(stub)
    first = stripe.start_checkout(_request())
    assert stripe.start_checkout(_request()) == first
    # Another process (a fresh adapter) within the hour: Stripe's idempotency answers.
    assert _stripe(stub).start_checkout(_request()) == first
    other = stripe.start_checkout(_request(amount=Decimal("19.00"), key="inv_1:19.00:EUR"))
    assert other.ref != first.ref
    assert len(stub.sessions) == 2


def test_a_restart_after_the_call_sends_the_same_key_and_gets_the_same_session(
    stub: StripeStub,
) -> None:
    # Nothing to persist before the call: the key is derived from ours (and the hour), so a
    # process that died after Stripe answered sends the same key when it tries again.
    first = _stripe(stub).start_checkout(_request())
    later = StripePayments(_account(stub), clock=FixedClock(NOW + timedelta(minutes=40)))
    assert later.start_checkout(_request()) == first
    sent = stub.posts("/v1/checkout/sessions")
    assert len(sent) == 2
    assert sent[0].idempotency_key == sent[1].idempotency_key
    assert sent[0].params == sent[1].params
    assert len(stub.sessions) == 1


def test_a_replayed_session_that_was_closed_is_replaced(stub: StripeStub) -> None:
    stripe = _stripe(stub)
    first = stripe.start_checkout(_request())
    stripe.cancel_checkout(first)
    again = _stripe(stub).start_checkout(_request())
    assert again.ref != first.ref
    assert stub.sessions[again.ref]["status"] == "open"


def test_cancel_expires_an_open_session_and_is_a_no_op_after(stub: StripeStub) -> None:
    stripe = _stripe(stub)
    session = stripe.start_checkout(_request())
    stripe.cancel_checkout(session)
    assert stub.sessions[session.ref]["status"] == "expired"
    stripe.cancel_checkout(session)
    _stripe(stub).cancel_checkout(session)
    stub.complete(stripe.start_checkout(_request(key="k2")).ref)
    done = next(s for s in stub.sessions.values() if s["status"] == "complete")
    stripe.cancel_checkout(attrs.evolve(session, ref=done["id"]))
    assert done["status"] == "complete"


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("500"), "JPY", "500"),
        (Decimal("5"), "ISK", "500"),
        (Decimal("1000.00"), "HUF", "100000"),
        (Decimal("5.120"), "KWD", "5120"),
        (Decimal("100.00"), "MGA", "100"),
        (Decimal("12.34"), "USD", "1234"),
    ],
)
def test_amounts_in_stripe_minor_units(
    stub: StripeStub, amount: Decimal, currency: str, minor: str
) -> None:
    _stripe(stub).start_checkout(_request(amount=amount, currency=currency, key=currency))
    (sent,) = stub.posts("/v1/checkout/sessions")
    assert sent.params["line_items[0][price_data][unit_amount]"] == minor
    assert sent.params["line_items[0][price_data][currency]"] == currency.lower()


@pytest.mark.parametrize(
    ("amount", "currency"), [(Decimal("5.124"), "KWD"), (Decimal("100.50"), "MGA")]
)
def test_an_amount_stripe_cannot_take_exactly_is_refused_unsent(
    stub: StripeStub, amount: Decimal, currency: str
) -> None:
    with pytest.raises(PaymentError) as caught:
        _stripe(stub).start_checkout(_request(amount=amount, currency=currency))
    assert caught.value.code == "amount_not_supported"
    assert caught.value.retryable is False
    assert stub.requests == []


def test_sdk_retries_reuse_the_idempotency_key(stub: StripeStub) -> None:
    stub.fail_next("500", "drop")
    session = _stripe(stub).start_checkout(_request())
    sent = stub.posts("/v1/checkout/sessions")
    assert len(sent) == 3
    assert len({r.idempotency_key for r in sent}) == 1
    assert len(stub.sessions) == 1
    assert session.ref in stub.sessions


def test_our_retry_after_a_failure_reuses_the_idempotency_key(stub: StripeStub) -> None:
    stub.fail_next("500")
    with pytest.raises(PaymentError) as caught:
        _stripe(stub, max_network_retries=0).start_checkout(_request())
    assert caught.value.retryable is True
    _stripe(stub, max_network_retries=0).start_checkout(_request())
    keys = {r.idempotency_key for r in stub.posts("/v1/checkout/sessions")}
    assert len(keys) == 1


@pytest.mark.parametrize(
    ("fault", "code", "retryable"),
    [
        ("500", "api_error", True),
        ("429", "rate_limit", True),
        ("drop", "connection_error", True),
        ("in_use", "idempotency_key_in_use", True),
        ("card_declined", "insufficient_funds", False),
        ("auth", "authentication_error", False),
    ],
)
def test_stripe_errors_are_payment_errors(
    stub: StripeStub, fault: str, code: str, retryable: bool
) -> None:
    stub.fail_next(fault)
    with pytest.raises(PaymentError) as caught:
        _stripe(stub, max_network_retries=0).start_checkout(_request())
    error = caught.value
    assert type(error) is PaymentError
    assert error.provider == "stripe"
    assert error.code == code
    assert error.retryable is retryable
    assert "sk_test_stub" not in str(error)
    assert isinstance(error.__cause__, Exception)


def test_a_refund_goes_to_the_payment_intent_with_a_derived_key(stub: StripeStub) -> None:
    stripe = _stripe(stub)
    session = stripe.start_checkout(_request())
    stub.complete(session.ref)
    intent = next(iter(stub.intents))
    invoice = paid_stripe_invoice(intent, Decimal("119.00"))
    payment_id = invoice.payments[0].id
    refund_id = stripe.refund(invoice, payment_id, Decimal("19.00"), key="rf-1")
    assert refund_id.startswith("re_test_")
    assert stripe.refund(invoice, payment_id, Decimal("19.00"), key="rf-1") == refund_id
    (sent, _) = stub.posts("/v1/refunds")
    assert sent.params["payment_intent"] == intent
    assert sent.params["amount"] == "1900"
    assert sent.params["metadata[invoice_id]"] == invoice.id
    assert "rf-1" not in (sent.idempotency_key or "")
    assert len(stub.refunds) == 1
    with pytest.raises(PaymentError) as caught:
        stripe.refund(invoice, payment_id, Decimal("20.00"), key="rf-1")
    assert caught.value.code == "idempotency_error"
    assert caught.value.retryable is False


def test_a_refund_of_a_payment_without_intent_is_refused(stub: StripeStub) -> None:
    invoice = paid_stripe_invoice(None, Decimal("119.00"))
    with pytest.raises(PaymentError) as caught:
        _stripe(stub).refund(invoice, invoice.payments[0].id, Decimal("1.00"), key="k")
    assert caught.value.code == "no_payment_intent"
    with pytest.raises(ValidationError):
        _stripe(stub).refund(invoice, invoice.payments[0].id, Decimal("-1"), key="")


def test_each_seller_uses_its_own_account(stub: StripeStub) -> None:
    accounts = {
        "sel_a": StripeAccount("sk_test_a", ["whsec_a"], base_url=stub.url),
        "sel_b": StripeAccount("sk_test_b", ["whsec_b"], base_url=stub.url),
    }
    stripe = StripePayments(lambda seller: accounts[seller or "sel_a"], clock=FixedClock(NOW))
    a = stripe.start_checkout(_request(seller_id="sel_a", key="a"))
    stripe.start_checkout(_request(seller_id="sel_b", key="b"))
    assert [r.api_key for r in stub.posts("/v1/checkout/sessions")] == ["sk_test_a", "sk_test_b"]
    stripe2 = StripePayments(lambda seller: accounts[seller or "sel_x"], clock=FixedClock(NOW))
    stripe2.cancel_checkout(a)  # a fresh process: the session names its seller
    assert stub.requests[-1].api_key == "sk_test_a"


def test_an_unknown_seller_is_a_payment_error_naming_it(stub: StripeStub) -> None:
    from invoicekit import NotFoundError

    def resolve(seller: str | None) -> StripeAccount:
        raise NotFoundError("seller", str(seller))

    with pytest.raises(PaymentError) as caught:
        StripePayments(resolve).start_checkout(_request())
    assert caught.value.code == "no_account"
    assert "sel_1" in str(caught.value)


def test_bad_configuration_is_a_validation_error_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        StripeAccount("", "whsec_x")
    assert "api_key" in str(caught.value)
    assert StripeAccount("sk_test_x", "whsec_x").webhook_secrets == ("whsec_x",)
    with pytest.raises(ValidationError) as caught:
        StripeAccount("sk_test_x", [])
    assert "webhook_secrets" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        StripePayments(StripeAccount("sk_test_x", ["w"]), session_ttl=timedelta(hours=24))
    assert "session_ttl" in str(caught.value)
    assert StripePayments(StripeAccount("sk_test_x", ["w"]), name="stripe-eu").name == "stripe-eu"
    with pytest.raises(ValidationError) as caught:
        StripePayments(StripeAccount("sk_test_x", ["w"]), name="stripe/eu")
    assert "name" in str(caught.value)


def test_reprs_hide_the_secrets() -> None:
    account = StripeAccount("sk_test_4eC39HqLyjWDarjtT1zdp7dc", ["whsec_secret_value"])
    shown = repr(account) + repr(StripePayments(account))
    assert "4eC39HqLyjWDarjtT1zdp7dc" not in shown
    assert "whsec_secret_value" not in shown


def test_without_the_sdk_the_error_names_the_extra() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["stripe"] = None
        from datetime import UTC, datetime
        from invoicekit import MissingExtraError, StripeAccount, StripePayments
        provider = StripePayments(StripeAccount("sk_test_x", ["whsec_x"]))
        try:
            provider.read(b"{}", {"Stripe-Signature": "t=1,v1=00"}, now=datetime.now(UTC))
        except MissingExtraError as exc:
            print(exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'invoicekit[stripe]'" in done.stdout


def test_no_secret_reaches_the_logs_or_messages(
    stub: StripeStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key, secret = "sk_test_T42_secret_key_value", "whsec_T42_secret_value"
    provider = StripePayments(
        StripeAccount(key, [secret], base_url=stub.url, max_network_retries=0),
        clock=FixedClock(NOW),
    )
    stub.fail_next("auth")
    messages = []
    with pytest.raises(PaymentError) as refused:
        provider.start_checkout(_request())
    messages.append(str(refused.value))
    with pytest.raises(WebhookRejectedError) as rejected:
        provider.read(b"{}", {"Stripe-Signature": "t=1,v1=00"}, now=NOW)
    messages.append(str(rejected.value))
    shown = caplog.text + " ".join(messages) + repr(provider)
    assert key not in shown
    assert key[8:] not in shown
    assert secret not in shown
