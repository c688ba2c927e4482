"""Webhook intake at the service level: replays (T17), order (T18), signatures (T19),
amounts and currencies (T20) and success redirects (T44), on memory and SQLite.

Notices are signed exactly as SandboxPayments sends them and handed to
``billing.webhooks.receive``; the loopback HTTP path is in test_sandbox.py.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    MakeBilling,
    clock_fixture,
    line,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.adapters.payments import SandboxPayments
from invoicekit.errors import ValidationError, WebhookRejectedError
from invoicekit.testing import FixedClock
from payments.notices import Delivery, body_of, signed
from payments.webhook_server import endpoint

SECRETS = ["whsec_" + "aW50YWtlLXNlY3JldC1pbnRha2Utc2VjcmV0", "old-intake-secret-0001"]


def sandbox(clock: FixedClock, name: str = "sandbox") -> SandboxPayments:
    return SandboxPayments(
        base_url="http://127.0.0.1:9/pay",
        webhook_url="http://127.0.0.1:9/none",
        secrets=SECRETS,
        clock=clock,
        name=name,
    )


@pytest.fixture
def paid_through(
    make_billing: MakeBilling, clock: FixedClock
) -> tuple[ik.Billing, SandboxPayments]:
    provider = sandbox(clock)
    billing = make_billing(payments=provider)
    billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
    billing.seller("s1").customers.create(id="c1", name="Globex", email="ap@globex.example")
    return billing, provider


def issue(billing: ik.Billing, seller_id: str = "s1") -> ik.Invoice:
    books = billing.seller(seller_id)
    return books.invoices.issue(books.invoices.draft(customer_id="c1", lines=[line()]).id)


def deliver(billing: ik.Billing, delivery: Delivery, **options: Any) -> Any:
    body, headers = delivery
    return billing.webhooks.receive("sandbox", body, headers, **options)


def succeeded(
    provider: SandboxPayments, clock: FixedClock, invoice: ik.Invoice, event_id: str, **data: Any
) -> Delivery:
    event = body_of(event_id, "payment.succeeded", invoice_id=invoice.id, **data)
    return signed(provider, event, clock.now())


# --------------------------------------------------------------------------- T17


def test_t17_replays_record_each_payment_exactly_once(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    """T17: 200 events (two partial payments on each of 100 invoices), each delivered 10
    times, shuffled: 2,000 deliveries, exactly one payment per event id."""
    billing, provider = paid_through
    invoices = [issue(billing) for _ in range(100)]
    events = [
        succeeded(
            provider, clock, inv, f"evt_{n}_{half}", payment_ref=f"pay_{n}_{half}", amount="59.50"
        )
        for n, inv in enumerate(invoices)
        for half in (1, 2)
    ]
    deliveries = [e for e in events for _ in range(10)]
    random.Random(17).shuffle(deliveries)  # noqa: S311 - a test's order, not a secret
    outcomes = Counter(deliver(billing, d).outcome for d in deliveries)
    assert outcomes == {"recorded": 200, "duplicate": 1800}
    books = billing.seller("s1")
    for invoice in invoices:
        stored = books.invoices.get(invoice.id)
        assert stored.status is ik.Status.PAID
        assert len(stored.payments) == 2
        assert sum(p.amount for p in stored.payments) == Decimal("119.00")
    with billing.storage.transaction(write=False) as tx:
        assert len(tx.provider_events.list("s1", limit=10_000)) == 200


def test_t17_one_event_replayed_2000_times_is_one_payment(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    billing, provider = paid_through
    invoice = issue(billing)
    delivery = succeeded(provider, clock, invoice, "evt_once")
    outcomes = Counter(deliver(billing, delivery).outcome for _ in range(2000))
    assert outcomes == {"recorded": 1, "duplicate": 1999}
    assert len(billing.seller("s1").invoices.get(invoice.id).payments) == 1


# --------------------------------------------------------------------------- T18

_ORDERED = {  # a scenario: its notices in the order a provider would send them
    "pending-succeeded": ["pending", "succeeded"],
    "failed-succeeded": ["failed", "succeeded"],
    "pending-failed": ["pending", "failed"],
    "pending-failed-succeeded": ["pending", "failed", "succeeded"],
    "succeeded-refunded": ["succeeded", "refunded"],
    "pending-succeeded-refunded": ["pending", "succeeded", "refunded"],
    "succeeded-two-refunds": ["succeeded", "refunded", "refunded2"],
    "succeeded-disputed": ["succeeded", "disputed"],
    "disputed-won": ["succeeded", "disputed", "won"],
    "disputed-lost": ["succeeded", "disputed", "lost"],
    "ignored-mixed-in": ["ignored", "pending", "succeeded", "refunded"],
}
_TYPES = {
    "pending": ("payment.pending", {}),
    "succeeded": ("payment.succeeded", {}),
    "failed": ("payment.failed", {"code": "card_declined", "reason": "The card was declined."}),
    "refunded": ("refund.succeeded", {"amount": "19.00", "refund_ref": "re_1"}),
    "refunded2": ("refund.succeeded", {"amount": "10.00", "refund_ref": "re_2"}),
    "disputed": ("dispute.created", {"reason": "fraudulent"}),
    "won": ("dispute.won", {}),
    "lost": ("dispute.lost", {}),
    "ignored": ("checkout.created", {}),
}


def _state(invoice: ik.Invoice) -> tuple[Any, ...]:
    """What must converge: status, balance and each payment with its refunds and disputes."""
    return (
        invoice.status,
        invoice.amount_due,
        invoice.in_flight,
        tuple(
            (
                p.id,
                p.status,
                p.amount,
                p.net_allocated,
                p.customer_credit,
                sorted(r.amount for r in p.refunds),
                sorted((d.amount, d.outcome) for d in p.disputes),
            )
            for p in invoice.payments
        ),
    )


def _run_scenario(names: list[str]) -> tuple[Any, ...]:
    clock = FixedClock(ik_now())
    provider = sandbox(clock)
    with ik.Billing.in_memory(payments=provider, clock=clock) as billing:
        billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
        billing.seller("s1").customers.create(id="c1", name="Globex", email="ap@globex.example")
        invoice = issue(billing)
        for name in names:
            event_type, data = _TYPES[name]
            event = body_of(
                f"evt_{name}", event_type, invoice_id=invoice.id, **{"amount": "119.00", **data}
            )
            deliver(billing, signed(provider, event, clock.now()))
        return _state(billing.seller("s1").invoices.get(invoice.id))


def ik_now() -> Any:
    from billing_fixtures import AT

    return AT


@pytest.mark.parametrize("scenario", sorted(_ORDERED))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_t18_any_order_with_duplicates_converges(scenario: str, data: st.DataObject) -> None:
    """T18: every permutation of a scenario's notices, with repeats mixed in, ends in the
    state of the provider's own order; a late failure never reverts a success."""
    ordered = _ORDERED[scenario]
    shuffled = data.draw(st.permutations(ordered), label="order")
    repeats = data.draw(st.lists(st.sampled_from(ordered), max_size=3), label="repeats")
    mixed = list(shuffled)
    for name in repeats:
        mixed.insert(data.draw(st.integers(0, len(mixed)), label="at"), name)
    assert _run_scenario(mixed) == _run_scenario(ordered)


def test_t18_a_late_failure_never_reverts_paid(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    billing, provider = paid_through
    invoice = issue(billing)
    deliver(billing, succeeded(provider, clock, invoice, "evt_ok"))
    late = body_of("evt_late", "payment.failed", invoice_id=invoice.id, code="card_declined")
    assert deliver(billing, signed(provider, late, clock.now())).outcome == "recorded"
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID


# --------------------------------------------------------------------------- T19


def _nothing_stored(billing: ik.Billing, invoice: ik.Invoice) -> None:
    with billing.storage.transaction(write=False) as tx:
        assert tx.provider_events.list("s1") == []
    assert billing.seller("s1").invoices.get(invoice.id).payments == ()


@pytest.mark.parametrize(
    "fault",
    [
        "unsigned",
        "flipped byte",
        "reserialised",
        "stale",
        "future",
        "ten years ago",
        "other body",
        "wrong secret",
    ],
)
def test_t19_a_bad_signature_is_rejected_and_nothing_stored(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock, fault: str
) -> None:
    billing, provider = paid_through
    invoice = issue(billing)
    event = body_of("evt_1", "payment.succeeded", invoice_id=invoice.id)
    body, headers = signed(provider, event, clock.now())
    if fault == "unsigned":
        headers = {}
    elif fault == "flipped byte":
        body = body.replace(b"119.00", b"119.01")
    elif fault == "reserialised":
        body = json.dumps(json.loads(body), indent=1).encode()
    elif fault in {"stale", "future", "ten years ago"}:
        offset = {"stale": -301, "future": 301, "ten years ago": -315_360_000}[fault]
        moved = clock.now().timestamp() + offset
        body, headers = signed(
            provider, event, type(clock.now()).fromtimestamp(moved, clock.now().tzinfo)
        )
    elif fault == "other body":
        other, _ = signed(
            provider,
            body_of("evt_2", "payment.succeeded", invoice_id=invoice.id, amount="1.00"),
            clock.now(),
        )
        body = other
    elif fault == "wrong secret":
        stranger = SandboxPayments(
            base_url="http://x",
            webhook_url="http://x",
            secrets=["another-secret-entirely-1"],
            clock=clock,
        )
        body, headers = signed(stranger, event, clock.now())
    with pytest.raises(WebhookRejectedError) as caught:
        deliver(billing, (body, headers))
    assert "119" not in str(caught.value)  # the body is never echoed
    _nothing_stored(billing, invoice)


def test_t19_the_old_secret_verifies_during_a_rotation(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    billing, _ = paid_through
    invoice = issue(billing)
    old = SandboxPayments(
        base_url="http://x", webhook_url="http://x", secrets=SECRETS[1:], clock=clock
    )
    delivery = signed(
        old, body_of("evt_1", "payment.succeeded", invoice_id=invoice.id), clock.now()
    )
    assert deliver(billing, delivery).outcome == "recorded"


def test_t19_an_unknown_provider_is_rejected(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    billing, provider = paid_through
    invoice = issue(billing)
    body, headers = succeeded(provider, clock, invoice, "evt_1")
    with pytest.raises(WebhookRejectedError, match="unknown provider"):
        billing.webhooks.receive("stripe", body, headers)
    _nothing_stored(billing, invoice)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_t19_no_mutated_body_is_accepted(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock, position: int, bit: int
) -> None:
    billing, provider = paid_through
    body, headers = signed(
        provider, body_of("evt_m", "payment.succeeded", invoice_id="inv"), clock.now()
    )
    mutated = bytearray(body)
    mutated[position % len(body)] ^= 1 << bit
    with pytest.raises(WebhookRejectedError):
        deliver(billing, (bytes(mutated), headers))


# --------------------------------------------------------------------------- T20


def test_t20_a_smaller_amount_is_a_partial_payment(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    billing, provider = paid_through
    invoice = issue(billing)
    deliver(billing, succeeded(provider, clock, invoice, "evt_1", amount="1.00"))
    stored = billing.seller("s1").invoices.get(invoice.id)
    assert (stored.status, stored.amount_due) == (ik.Status.PARTIALLY_PAID, Decimal("118.00"))


def test_t20_a_larger_amount_leaves_customer_credit(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    billing, provider = paid_through
    invoice = issue(billing)
    deliver(billing, succeeded(provider, clock, invoice, "evt_1", amount="130.00"))
    stored = billing.seller("s1").invoices.get(invoice.id)
    assert (stored.status, stored.customer_credit) == (ik.Status.PAID, Decimal("11.00"))


def test_t20_a_float_amount_is_read_exactly(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    billing, provider = paid_through
    invoice = issue(billing)
    deliver(billing, succeeded(provider, clock, invoice, "evt_1", amount=59.5))
    assert billing.seller("s1").invoices.get(invoice.id).amount_due == Decimal("59.50")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"currency": "JPY", "amount": "119"}, "currency 'JPY' does not match"),
        ({"amount": "-119.00"}, "no positive amount"),
        ({"amount": "119.001"}, "119.001"),
        ({"seller_id": "s2"}, "has no invoice"),
    ],
    ids=["currency", "negative", "too precise", "another seller"],
)
def test_t20_a_mismatch_is_refused_logged_and_nothing_applied(
    paid_through: tuple[ik.Billing, SandboxPayments],
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
    data: dict[str, str],
    why: str,
) -> None:
    billing, provider = paid_through
    billing.sellers.create(id="s2", name="Other", country="DE", currency="EUR")
    invoice = issue(billing)
    with caplog.at_level(logging.WARNING, logger="invoicekit.webhooks"):
        result = deliver(billing, succeeded(provider, clock, invoice, "evt_1", **data))
    assert result.outcome == "refused"
    assert why in result.detail
    assert why in caplog.text
    stored = billing.seller("s1").invoices.get(invoice.id)
    assert (stored.status, stored.payments) == (ik.Status.PENDING, ())
    assert (
        deliver(billing, succeeded(provider, clock, invoice, "evt_1", **data)).outcome
        == "duplicate"
    )


def test_t20_a_notice_at_another_sellers_endpoint_is_refused(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    billing, provider = paid_through
    invoice = issue(billing)
    result = deliver(billing, succeeded(provider, clock, invoice, "evt_1"), seller_id="s2")
    assert result.outcome == "refused"
    assert "endpoint" in result.detail
    assert billing.seller("s1").invoices.get(invoice.id).payments == ()


# --------------------------------------------------------------------------- T44


def test_t44_only_a_verified_notice_records_a_payment(
    paid_through: tuple[ik.Billing, SandboxPayments], clock: FixedClock
) -> None:
    """T44: the payer chose "Succeed" and came back (the success redirect, ten times), but
    the notice did not get through: nothing is paid. Redelivered, it pays the invoice once."""
    billing, provider = paid_through
    invoice = issue(billing)
    with endpoint(billing) as ep:
        provider.webhook_url = ep.url
        checkout = provider.start_checkout(_request(invoice))
        ep.fail_next = 1
        provider.choose(checkout.ref, "succeed")
        for _ in range(10):  # what a return page may read: the session, the invoice
            assert provider.session(checkout.ref).state == "succeeded"
            assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PENDING
        with pytest.raises(WebhookRejectedError):  # a forged "it succeeded" without a signature
            billing.webhooks.receive("sandbox", b'{"type": "payment.succeeded"}', {})
        assert billing.seller("s1").invoices.get(invoice.id).payments == ()
        assert provider.redeliver() == 1
        assert provider.redeliver() == 0
    paid = billing.seller("s1").invoices.get(invoice.id)
    assert (paid.status, len(paid.payments)) == (ik.Status.PAID, 1)


def _request(invoice: ik.Invoice) -> Any:
    from invoicekit.payment_records import CheckoutRequest

    return CheckoutRequest(
        seller_id=invoice.seller_id,
        invoice_id=invoice.id,
        number=invoice.number or "",
        amount=invoice.amount_due,
        currency=invoice.currency,
        description="Invoice",
        return_url="https://shop.example/pay/i/tok?checkout=success",
        key="k1",
    )


# --------------------------------------------------------------------------- providers by name


def test_sellers_choose_a_provider_by_name(make_billing: MakeBilling, clock: FixedClock) -> None:
    first, second = sandbox(clock), sandbox(clock, name="sandbox-eu")
    billing = make_billing(payments=[first, second])
    assert billing.payments_provider is first
    assert list(billing.providers) == ["sandbox", "sandbox-eu"]
    seller = billing.sellers.create(
        id="s1", name="N", country="DE", currency="EUR", payment_provider="sandbox-eu"
    )
    assert billing.providers.for_seller(seller) is second
    with pytest.raises(ValidationError, match="payment_provider") as caught:
        billing.sellers.update("s1", payment_provider="stripe")
    assert "'sandbox', 'sandbox-eu'" in str(caught.value)
