"""Stripe webhooks (T19, T21): the SDK's signature check on the raw bytes, then the mapping.

Bodies are signed the way Stripe signs them (``t=…,v1=…``, HMAC-SHA256 over ``t.body``),
by the stub's own HMAC and by the SDK's ``generate_signature_header``: both must agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicekit import PaymentError, StripeAccount, StripePayments, WebhookRejectedError
from invoicekit.payment_records import NoticeKind
from invoicekit.testing.clock import FixedClock
from payments.stripe_stub import StripeStub, body_of, fixture, sign
from sizes import examples

NOW = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
T = int(NOW.timestamp())
SECRET = "whsec_current"
META = {"seller_id": "sel_1", "invoice_id": "inv_1"}
OLD = "whsec_old"


@pytest.fixture(scope="module")
def stub() -> Iterator[StripeStub]:
    with StripeStub() as server:
        yield server


def _stripe(*secrets: str) -> StripePayments:
    return StripePayments(
        StripeAccount("sk_test_x", list(secrets) or [SECRET]), clock=FixedClock(NOW)
    )


def _read(body: bytes, header: str | None, *secrets: str, now: datetime = NOW) -> Any:
    headers = {} if header is None else {"Stripe-Signature": header}
    return _stripe(*secrets).read(body, headers, now=now)


def _paid_event(stub: StripeStub, **session: Any) -> dict[str, Any]:
    obj = fixture("checkout.session")
    obj.update(
        id="cs_test_1",
        amount_total=11900,
        currency="eur",
        payment_status="paid",
        status="complete",
        payment_intent="pi_test_1",
        client_reference_id="inv_1",
        metadata={"seller_id": "sel_1", "invoice_id": "inv_1", "key": "k"},
    )
    obj.update(session)
    return stub.event("checkout.session.completed", obj)


# ---------------------------------------------------------------------------- signatures


def test_the_sdk_and_the_published_scheme_agree(stub: StripeStub) -> None:
    body = body_of(_paid_event(stub))
    ours = sign(body, SECRET, timestamp=T)
    sdks = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET, timestamp=T)
    assert ours == sdks
    notice = _read(body, ours)
    assert notice.kind is NoticeKind.SUCCEEDED
    assert notice.raw == body


def test_a_signed_checkout_completed_is_a_success_of_the_payment_intent(stub: StripeStub) -> None:
    event = _paid_event(stub)
    body = body_of(event)
    notice = _read(body, sign(body, SECRET, timestamp=T))
    assert notice.provider == "stripe"
    assert notice.event_id == event["id"]
    assert notice.type == "checkout.session.completed"
    assert notice.kind is NoticeKind.SUCCEEDED
    assert notice.payment_ref == "pi_test_1"
    assert notice.session_ref == "cs_test_1"
    assert notice.amount == Decimal("119.00")
    assert notice.currency == "EUR"
    assert (notice.seller_id, notice.invoice_id) == ("sel_1", "inv_1")
    assert notice.occurred_at == datetime.fromtimestamp(event["created"], UTC)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=",
        f"t={T}",
        f"v1={'0' * 64}",
        f"t={T},t={T},v1={'0' * 64}",
        f"t={'9' * 5000},v1=00",
        "garbage",
        f"t={T},v1=" + "ä" * 64,
    ],
)
def test_missing_or_malformed_headers_are_rejected(stub: StripeStub, header: str | None) -> None:
    body = body_of(_paid_event(stub))
    with pytest.raises(WebhookRejectedError) as caught:
        _read(body, header)
    assert caught.value.provider == "stripe"
    assert caught.value.retryable is False


def test_a_wrong_secret_or_a_changed_body_is_rejected(stub: StripeStub) -> None:
    body = body_of(_paid_event(stub))
    header = sign(body, SECRET, timestamp=T)
    with pytest.raises(WebhookRejectedError, match="signature does not match"):
        _read(body, sign(body, "whsec_other", timestamp=T))
    flipped = bytearray(body)
    flipped[len(body) // 2] ^= 0x01
    with pytest.raises(WebhookRejectedError, match="signature does not match"):
        _read(bytes(flipped), header)
    reserialised = json.dumps(json.loads(body)).encode()
    with pytest.raises(WebhookRejectedError, match="signature does not match"):
        _read(reserialised, header)
    other = body_of(_paid_event(stub, amount_total=100))
    with pytest.raises(WebhookRejectedError, match="signature does not match"):
        _read(other, header)


def test_a_body_that_is_not_json_is_rejected_by_its_signature_first() -> None:
    with pytest.raises(WebhookRejectedError, match="signature does not match"):
        _read(b"{not json", sign(b"{other", SECRET, timestamp=T))
    with pytest.raises(WebhookRejectedError, match="signature does not match"):
        _read(b"\xff\xfe", sign(b"x", SECRET, timestamp=T))
    with pytest.raises(WebhookRejectedError, match="not a Stripe event"):
        _read(b"{not json", sign(b"{not json", SECRET, timestamp=T))


@pytest.mark.parametrize("shift", [-301, 301, -10 * 365 * 86400])
def test_a_timestamp_outside_300_seconds_is_rejected(stub: StripeStub, shift: int) -> None:
    body = body_of(_paid_event(stub))
    with pytest.raises(WebhookRejectedError, match="timestamp outside the tolerance"):
        _read(body, sign(body, SECRET, timestamp=T + shift))


@pytest.mark.parametrize("shift", [-300, 0, 300])
def test_a_timestamp_within_300_seconds_is_accepted(stub: StripeStub, shift: int) -> None:
    body = body_of(_paid_event(stub))
    assert _read(body, sign(body, SECRET, timestamp=T + shift)).kind is NoticeKind.SUCCEEDED


def test_rotated_secrets(stub: StripeStub) -> None:
    body = body_of(_paid_event(stub))
    by_old = sign(body, OLD, timestamp=T)
    assert _read(body, by_old, SECRET, OLD).kind is NoticeKind.SUCCEEDED
    # Stripe signs with both secrets while a rolled one is still valid: two v1 entries.
    wrong_then_right = f"t={T},v1={'0' * 64},v1={sign(body, SECRET, timestamp=T).split('v1=')[1]}"
    assert _read(body, wrong_then_right).kind is NoticeKind.SUCCEEDED
    with pytest.raises(WebhookRejectedError):
        _read(body, by_old, SECRET)  # the old secret after its rotation window


@settings(max_examples=examples(ci=5000, dev=300), deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_no_mutated_body_is_accepted(position: int, flip: int) -> None:
    body = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded", "data": {}}).encode()
    header = sign(body, SECRET, timestamp=T)
    mutated = bytearray(body)
    mutated[position % len(body)] ^= flip
    with pytest.raises(WebhookRejectedError):
        _read(bytes(mutated), header)


def test_an_endpoint_without_an_account_is_rejected(stub: StripeStub) -> None:
    def resolve(seller: str | None) -> StripeAccount:
        from invoicekit import NotFoundError

        raise NotFoundError("seller", str(seller))

    body = body_of(_paid_event(stub))
    with pytest.raises(WebhookRejectedError, match="no Stripe account"):
        StripePayments(resolve).read(body, {"stripe-signature": sign(body, SECRET)}, now=NOW)


def test_each_seller_endpoint_checks_with_its_own_secrets(stub: StripeStub) -> None:
    accounts = {
        "sel_a": StripeAccount("sk_test_a", ["whsec_a"]),
        "sel_b": StripeAccount("sk_test_b", ["whsec_b"]),
    }
    provider = StripePayments(lambda seller: accounts[seller or "sel_a"])
    body = body_of(_paid_event(stub))
    header = {"stripe-signature": sign(body, "whsec_b", timestamp=T)}
    assert provider.read(body, header, now=NOW, seller_id="sel_b").kind is NoticeKind.SUCCEEDED
    with pytest.raises(WebhookRejectedError):
        provider.read(body, header, now=NOW, seller_id="sel_a")


# ---------------------------------------------------------------------------- mapping


def _notice(stub: StripeStub, kind: str, obj: dict[str, Any], **more: Any) -> Any:
    body = body_of(stub.event(kind, obj, **more))
    return _read(body, sign(body, SECRET, timestamp=T))


def _intent(**changes: Any) -> dict[str, Any]:
    intent = fixture("payment_intent")
    intent.update(
        id="pi_test_9",
        amount=5000,
        amount_received=5000,
        currency="usd",
        metadata={"seller_id": "sel_1", "invoice_id": "inv_9"},
    )
    intent.update(changes)
    return intent


def test_an_unpaid_completed_session_is_pending(stub: StripeStub) -> None:
    event = _paid_event(stub, payment_status="unpaid")
    body = body_of(event)
    notice = _read(body, sign(body, SECRET, timestamp=T))
    assert notice.kind is NoticeKind.PENDING
    assert notice.payment_ref == "pi_test_1"


@pytest.mark.parametrize(
    ("kind", "meaning"),
    [
        ("checkout.session.async_payment_succeeded", NoticeKind.SUCCEEDED),
        ("checkout.session.async_payment_failed", NoticeKind.FAILED),
        ("checkout.session.expired", NoticeKind.IGNORED),
    ],
)
def test_async_session_events(stub: StripeStub, kind: str, meaning: NoticeKind) -> None:
    obj = _paid_event(stub)["data"]["object"]
    notice = _notice(stub, kind, obj)
    assert notice.kind is meaning
    if meaning is not NoticeKind.IGNORED:
        assert notice.payment_ref == "pi_test_1"
        assert notice.amount == Decimal("119.00")


def test_payment_intent_events(stub: StripeStub) -> None:
    succeeded = _notice(stub, "payment_intent.succeeded", _intent())
    assert succeeded.kind is NoticeKind.SUCCEEDED
    assert (succeeded.payment_ref, succeeded.amount, succeeded.currency) == (
        "pi_test_9",
        Decimal("50.00"),
        "USD",
    )
    assert succeeded.invoice_id == "inv_9"
    error = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    }
    failed = _notice(
        stub,
        "payment_intent.payment_failed",
        _intent(amount_received=0, status="requires_payment_method", last_payment_error=error),
    )
    assert failed.kind is NoticeKind.FAILED
    assert failed.code == "insufficient_funds"
    assert failed.reason == "Your card has insufficient funds."
    assert failed.amount == Decimal("50.00")


def test_a_refund_notice_carries_that_refund_not_the_cumulative_amount(stub: StripeStub) -> None:
    refund = fixture("refund")
    refund.update(id="re_2", amount=700, currency="eur", payment_intent="pi_test_1", metadata=META)
    notice = _notice(stub, "refund.created", refund)
    assert notice.kind is NoticeKind.REFUNDED
    assert (notice.refund_ref, notice.amount, notice.payment_ref) == (
        "re_2",
        Decimal("7.00"),
        "pi_test_1",
    )
    charge = fixture("charge")
    first, second = dict(refund, id="re_1", amount=300, created=100), dict(refund, created=200)
    charge.update(
        id="ch_1",
        amount=11900,
        amount_refunded=1000,
        currency="eur",
        payment_intent="pi_test_1",
        metadata=META,
        refunds={"object": "list", "data": [second, first], "has_more": False},
    )
    from_charge = _notice(stub, "charge.refunded", charge)
    assert (from_charge.refund_ref, from_charge.amount) == ("re_2", Decimal("7.00"))
    failed = _notice(stub, "refund.failed", dict(refund, status="failed"))
    assert failed.kind is NoticeKind.IGNORED


@pytest.mark.parametrize(
    ("kind", "status", "meaning"),
    [
        ("charge.dispute.created", "needs_response", NoticeKind.DISPUTED),
        ("charge.dispute.closed", "won", NoticeKind.DISPUTE_WON),
        ("charge.dispute.closed", "lost", NoticeKind.DISPUTE_LOST),
        ("charge.dispute.closed", "warning_closed", NoticeKind.DISPUTE_WON),
        ("charge.dispute.updated", "under_review", NoticeKind.IGNORED),
    ],
)
def test_dispute_events(stub: StripeStub, kind: str, status: str, meaning: NoticeKind) -> None:
    dispute = fixture("dispute")
    dispute.update(
        status=status, payment_intent="pi_test_1", amount=11900, currency="eur", metadata=META
    )
    notice = _notice(stub, kind, dispute)
    assert notice.kind is meaning
    if meaning is not NoticeKind.IGNORED:
        assert (notice.payment_ref, notice.amount) == ("pi_test_1", Decimal("119.00"))


def test_other_events_are_ignored_but_verified(stub: StripeStub) -> None:
    event = fixture("event")  # Stripe's example: a plan.created
    body = body_of(event)
    notice = _read(body, sign(body, SECRET, timestamp=T))
    assert notice.kind is NoticeKind.IGNORED
    assert notice.event_id == event["id"]
    assert notice.type == "plan.created"
    assert notice.raw == body


def test_zero_decimal_amounts_come_back_exactly(stub: StripeStub) -> None:
    jpy = _notice(stub, "payment_intent.succeeded", _intent(amount_received=500, currency="jpy"))
    assert jpy.amount == Decimal("500")
    isk = _notice(stub, "payment_intent.succeeded", _intent(amount_received=500, currency="isk"))
    assert isk.amount == Decimal("5")


@pytest.mark.parametrize("amount", [12.5, -100, "100", True])
def test_an_amount_that_is_not_whole_minor_units_is_rejected(
    stub: StripeStub, amount: object
) -> None:
    with pytest.raises(WebhookRejectedError, match="not a Stripe event"):
        _notice(stub, "payment_intent.succeeded", _intent(amount_received=amount))


def test_the_success_redirect_url_is_not_a_notice() -> None:
    # T44 at the adapter: a browser coming back carries no signature, so nothing is read.
    with pytest.raises(WebhookRejectedError, match="no signature"):
        _stripe().read(b"checkout=success&status=paid&amount=100", {}, now=NOW)


def test_the_sdk_tolerance_is_the_one_used() -> None:
    assert stripe.Webhook.DEFAULT_TOLERANCE == 300
    assert timedelta(seconds=stripe.Webhook.DEFAULT_TOLERANCE) == timedelta(minutes=5)


def test_a_dispute_without_our_metadata_takes_it_from_the_payment_intent(stub: StripeStub) -> None:
    stub.intents["pi_test_meta"] = _intent(id="pi_test_meta")
    dispute = fixture("dispute")  # Stripe's example: no metadata of ours
    dispute.update(payment_intent="pi_test_meta", amount=5000, currency="usd")
    body = body_of(stub.event("charge.dispute.created", dispute))
    provider = StripePayments(StripeAccount("sk_test_x", [SECRET], base_url=stub.url))
    notice = provider.read(body, {"Stripe-Signature": sign(body, SECRET, timestamp=T)}, now=NOW)
    assert (notice.kind, notice.seller_id, notice.invoice_id) == (
        NoticeKind.DISPUTED,
        "sel_1",
        "inv_9",
    )
    assert stub.requests[-1].path == "/v1/payment_intents/pi_test_meta"
    stub.fail_next("500")
    flaky = StripeAccount("sk_test_x", [SECRET], base_url=stub.url, max_network_retries=0)
    with pytest.raises(PaymentError) as caught:
        StripePayments(flaky).read(
            body, {"Stripe-Signature": sign(body, SECRET, timestamp=T)}, now=NOW
        )
    assert caught.value.retryable is True
