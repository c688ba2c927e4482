"""Seller webhooks to the host's own endpoint, against a real HTTP server on loopback.

Each event the endpoint subscribed to arrives as a signed POST (Standard Webhooks
headers, verified with ``invoicekit.adapters.signing.verify``), in order, once per
event id; another seller's events never arrive; a 500 is retried with backoff from
the same event; an endpoint that keeps failing is listed by ``failing()``, parked,
and resumed; bad input is refused with what is allowed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

import pytest

import invoicekit as ik
from invoicekit.adapters.signing import verify
from invoicekit.testing import FixedClock
from notify.http_server import Answer, LoopbackServer, loopback_fixture  # noqa: F401

AT: Final = datetime(2026, 3, 2, 9, tzinfo=UTC)
SECRET: Final = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM="
LINE: Final = ik.Line("Retainer", quantity=1, unit_price=Decimal("100.00"), tax=ik.Vat("19"))


def seller(billing: ik.Billing, name: str) -> tuple[ik.SellerBooks, str]:
    created = billing.sellers.create(name=name, country="DE", currency="EUR")
    books = billing.seller(created.id)
    return books, books.customers.create("Globex", email="ap@globex.example").id


def issue(books: ik.SellerBooks, customer_id: str) -> str:
    return books.invoices.issue(books.invoices.draft(customer_id, lines=[LINE]).id).id


def test_events_arrive_signed_in_order_and_only_the_sellers(loopback: LoopbackServer) -> None:
    clock = FixedClock(AT)
    billing = ik.Billing.in_memory(clock=clock)
    books, customer_id = seller(billing, "Northwind")
    other, other_customer = seller(billing, "Southwind")
    endpoint = books.webhook_endpoints.add(
        f"{loopback.url}/hooks?token=abc", events=["invoice.paid", "invoice.issued"], secret=SECRET
    )
    assert "token=abc" not in endpoint.url
    invoice_id = issue(books, customer_id)
    issue(other, other_customer)
    books.payments.record(invoice_id, Decimal("119.00"), idempotency_key="p-1")
    billing.dispatch_events()
    bodies = [r.json() for r in loopback.requests]
    assert [(b["type"], b["invoice_id"]) for b in bodies] == [
        ("invoice.issued", invoice_id),
        ("invoice.paid", invoice_id),
    ]
    for request in loopback.requests:
        verify(SECRET, request.headers, request.body, now=AT)
        assert request.headers["webhook-id"] == request.json()["id"]
    paid = bodies[1]
    assert (paid["object"], paid["schema_version"], paid["seller_id"]) == (
        "event",
        1,
        books.seller_id,
    )
    assert (paid["customer_id"], paid["status_after"], paid["amount_due"]) == (
        customer_id,
        "paid",
        "0.00",
    )
    billing.dispatch_events()
    assert len(loopback.requests) == 2  # nothing twice
    assert other.webhook_endpoints.list() == []
    assert [e.failing for e in books.webhook_endpoints.list()] == [False]


def test_a_failing_endpoint_is_retried_then_parked_and_listed(loopback: LoopbackServer) -> None:
    clock = FixedClock(AT)
    billing = ik.Billing.in_memory(clock=clock)
    books, customer_id = seller(billing, "Northwind")
    books.webhook_endpoints.add(f"{loopback.url}/hooks", events=["invoice.*"], secret=SECRET)
    loopback.plan(Answer(500), times=1)
    first = issue(books, customer_id)
    billing.dispatch_events()
    (failing,) = books.webhook_endpoints.failing()
    assert failing.state is not None
    assert failing.state.attempts == 1
    assert "500" in (failing.state.last_error or "")
    clock.advance(hours=1)
    billing.dispatch_events()  # the retry goes through
    ids = [r.json()["id"] for r in loopback.requests]
    assert ids[0] == ids[1]  # the same event again, same webhook-id: the receiver dedupes
    assert books.webhook_endpoints.failing() == []
    loopback.plan(Answer(503), times=8)  # the handlers' RetryPolicy tries 8 times
    second = issue(books, customer_id)
    for _ in range(10):
        billing.dispatch_events()
        clock.advance(hours=7)
    (parked,) = books.webhook_endpoints.failing()
    assert parked.state is not None
    assert parked.state.parked
    billing.dispatch_events()
    assert len(loopback.requests) == 10  # parked: no more attempts until resumed
    billing.resume_event_handler(parked.name)
    billing.dispatch_events()
    assert loopback.requests[-1].json()["invoice_id"] == second
    assert first != second
    assert books.webhook_endpoints.failing() == []


def test_bad_endpoints_are_refused() -> None:
    billing = ik.Billing.in_memory(clock=FixedClock(AT))
    books, _ = seller(billing, "Northwind")
    add = books.webhook_endpoints.add
    with pytest.raises(ik.ValidationError, match="http"):
        add("ftp://example.com/hook", events=["*"], secret=SECRET)
    with pytest.raises(ik.ValidationError, match="events"):
        add("https://example.com/hook", events=[], secret=SECRET)
    with pytest.raises(ik.ValidationError, match=r"invoice\.paid"):
        add("https://example.com/hook", events=["invoice.payed"], secret=SECRET)
    with pytest.raises(ik.ConfigurationError, match="whsec_"):
        add("https://example.com/hook", events=["*"], secret="whsec_***not base64***")
