"""T16 ``idempotency_key_semantics`` through the facade, on every storage (I5).

One key gives one result: a repeat replays the stored answer (the same invoice,
no second payment, no second event); the same key with other parameters is a
``ConflictError`` naming what differs; a failed request stores nothing, so its
key stays free; keys belong to one seller; and keys never expire (yet).

The concurrent case runs 8 ``spawn`` processes on one SQLite file. Its size is
``INVOICEKIT_T16_KEYS`` keys (default 1,000, the CI target; soak: 10,000).
"""

from __future__ import annotations

import hashlib
import inspect
import multiprocessing
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    AT,
    billing_fixture,
    clock_fixture,
    line,
    make_billing_fixture,
    open_sqlite,
    pay_with_keys,
    storage_kind_fixture,
)
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.ports import MessageStatus
from invoicekit.services.catalog import Coupons, Plans
from invoicekit.services.invoices import Invoices
from invoicekit.services.messages import Inbox, Messages
from invoicekit.services.parties import Customers, Sellers
from invoicekit.services.payments import Payments
from invoicekit.services.recurring import Recurring
from invoicekit.services.subscriptions import Subscriptions
from invoicekit.services.usage import Usage
from invoicekit.testing import FixedClock

WORKERS: Final = 8
KEYS: Final = int(os.environ.get("INVOICEKIT_T16_KEYS", "1000"))
#: The processes meet at a barrier every this many keys, so they hit the same keys together.
REALIGN_EVERY: Final = 50


def issued(books: ik.SellerBooks, customer_id: str, amount: str = "1000.00") -> ik.Invoice:
    """An issued invoice of ``amount`` net (19 % VAT on top)."""
    draft = books.invoices.draft(customer_id, lines=[line(amount)], terms=ik.NetDays(14))
    return books.invoices.issue(draft.id)


@pytest.fixture
def books(billing: ik.Billing) -> ik.SellerBooks:
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    return billing.seller(seller.id)


@pytest.fixture
def customer(books: ik.SellerBooks) -> ik.Customer:
    return books.customers.create("Globex", email="ap@globex.example")


@pytest.fixture
def invoice(books: ik.SellerBooks, customer: ik.Customer) -> ik.Invoice:
    return issued(books, customer.id)


def kinds(books: ik.SellerBooks, invoice_id: str | None = None) -> list[str]:
    return [r.kind for r in books.events.records(invoice_id=invoice_id, limit=10**9)]


# --------------------------------------------------------------------------- (a) repeats


def test_same_key_and_params_100_times_execute_once(
    books: ik.SellerBooks, invoice: ik.Invoice
) -> None:
    results = [
        books.payments.record(invoice.id, "500.00", idempotency_key="pay-1") for _ in range(100)
    ]
    first = results[0]
    assert len(first.payments) == 1
    assert first.payments[0].amount == Decimal("500.00")
    for again in results[1:]:
        assert again == first
        assert repr(again) == repr(first)  # every field, the policy (eq=False) included
    stored = books.invoices.get(invoice.id)
    assert stored.payments == first.payments
    assert stored.version == first.version == invoice.version + 1
    assert kinds(books, invoice.id) == ["InvoiceIssued", "PaymentSucceeded"]


# --------------------------------------------------------------------------- (b) conflicts


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [
        ("amount", "500.00", "600.00"),
        ("reference", None, "wire 7"),
        ("method", "manual", "card"),
        ("pending", False, True),
    ],
)
def test_same_key_other_params_is_a_conflict_naming_the_field(
    books: ik.SellerBooks, invoice: ik.Invoice, field: str, first: object, second: object
) -> None:
    base: dict[str, Any] = {"amount": "500.00", "reference": None, "method": "manual"}
    base["pending"] = False
    original = books.payments.record(invoice.id, idempotency_key="pay-1", **{**base, field: first})
    records_before = books.events.records()

    with pytest.raises(ik.ConflictError) as caught:
        books.payments.record(invoice.id, idempotency_key="pay-1", **{**base, field: second})

    message = str(caught.value)
    assert not isinstance(caught.value, ik.ConcurrencyError)
    assert "'pay-1'" in message
    assert f"{field} was {first!r}, now {second!r}" in message
    assert books.invoices.get(invoice.id) == original  # nothing written
    assert books.events.records() == records_before
    replay = books.payments.record(invoice.id, idempotency_key="pay-1", **{**base, field: first})
    assert repr(replay) == repr(original)  # the key still holds the first request


def test_same_key_on_another_invoice_is_a_conflict(
    books: ik.SellerBooks, customer: ik.Customer, invoice: ik.Invoice
) -> None:
    other = issued(books, customer.id)
    books.payments.record(invoice.id, "500.00", idempotency_key="pay-1")
    with pytest.raises(ik.ConflictError, match="invoice_id") as caught:
        books.payments.record(other.id, "500.00", idempotency_key="pay-1")
    assert repr(invoice.id) in str(caught.value)
    assert repr(other.id) in str(caught.value)
    assert books.invoices.get(other.id).payments == ()


def test_same_key_for_another_operation_is_a_conflict_naming_both(
    books: ik.SellerBooks, invoice: ik.Invoice
) -> None:
    paid = books.payments.record(invoice.id, "500.00", idempotency_key="k")
    with pytest.raises(ik.ConflictError) as caught:
        books.invoices.write_off(invoice.id, idempotency_key="k")
    assert "record_payment" in str(caught.value)
    assert "write_off" in str(caught.value)
    assert books.invoices.get(invoice.id) == paid


# --------------------------------------------------------------------------- (c) processes


@pytest.mark.slow
def test_same_keys_from_8_processes_execute_once_each(tmp_path: Path) -> None:
    path = tmp_path / "t16.sqlite"
    started = time.perf_counter()
    # The setup commits without fsync (WAL + NORMAL): it is not what is under test.
    setup_storage = open_sqlite(path, synchronous="NORMAL")
    with ik.Billing(storage=setup_storage, clock=FixedClock(AT)) as billing:
        seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
        books = billing.seller(seller.id)
        customer = books.customers.create("Globex")
        drafts = [books.invoices.draft(customer.id, lines=[line("100.00")]) for _ in range(KEYS)]
        invoice_ids = [i.id for i in books.invoices.issue_many([d.id for d in drafts])]
    setup = time.perf_counter() - started

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    out = ctx.Queue()
    workers = [
        ctx.Process(
            target=pay_with_keys,
            kwargs={
                "path": str(path),
                "seller_id": seller.id,
                "invoice_ids": invoice_ids,
                "amount": "10.00",
                "barrier": barrier,
                "realign_every": REALIGN_EVERY,
                "out": out,
            },
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    reports = [out.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    seconds = time.perf_counter() - started
    errors = [text for status, text, _ in reports if status != "ok"]
    assert not errors, errors[0]
    assert [w.exitcode for w in workers] == [0] * WORKERS

    with ik.Billing(storage=open_sqlite(path), clock=FixedClock(AT)) as billing:
        books = billing.seller(seller.id)
        stored = [books.invoices.get(i) for i in invoice_ids]
        succeeded = kinds(books).count("PaymentSucceeded")
    expected = {i: hashlib.sha256(repr(inv).encode()).hexdigest() for i, inv in enumerate(stored)}
    retries = sum(r for _, _, r in reports)
    print(  # noqa: T201 - reported with -s: the size actually run and its cost
        f"T16 {KEYS} keys x {WORKERS} processes: setup {setup:.1f} s, "
        f"total {seconds:.1f} s, retries after a conflict {retries}"
    )
    executions = sum(len(inv.payments) for inv in stored)
    wrong = [(i, len(inv.payments)) for i, inv in enumerate(stored) if len(inv.payments) != 1]
    assert executions == KEYS, (
        f"{executions - KEYS} double executions; (key, payments): {wrong[:10]}"
    )
    assert wrong == []
    assert succeeded == KEYS
    differ = [
        (worker, i)
        for worker, (_, digests, _) in enumerate(reports)
        for i in range(KEYS)
        if digests.get(i) != expected[i]
    ]
    assert differ == [], (
        f"{len(differ)} (process, key) results differ from the stored invoice: {differ[:10]}"
    )


# --------------------------------------------------------------------------- (d) failures


def test_a_failed_request_is_not_memoised(books: ik.SellerBooks, invoice: ik.Invoice) -> None:
    with pytest.raises(ik.ValidationError, match="amount"):
        books.payments.record(invoice.id, "-5.00", idempotency_key="k")
    with pytest.raises(TypeError, match="Decimal"):
        books.payments.record(invoice.id, 5.0, idempotency_key="k")  # type: ignore[arg-type]
    with pytest.raises(ik.NotFoundError):
        books.payments.record(f"{invoice.id}x", "5.00", idempotency_key="k")
    assert books.invoices.get(invoice.id) == invoice

    fixed = books.payments.record(invoice.id, "5.00", idempotency_key="k")
    assert [p.amount for p in fixed.payments] == [Decimal("5.00")]
    assert repr(books.payments.record(invoice.id, "5.00", idempotency_key="k")) == repr(fixed)
    with pytest.raises(ik.ConflictError, match=re.escape("amount was '5.00', now '-5.00'")):
        books.payments.record(invoice.id, "-5.00", idempotency_key="k")  # the key is taken now
    assert kinds(books, invoice.id) == ["InvoiceIssued", "PaymentSucceeded"]


def test_a_refused_transition_is_not_memoised(books: ik.SellerBooks, customer: ik.Customer) -> None:
    draft = books.invoices.draft(customer.id, lines=[line()])
    with pytest.raises(ik.InvalidTransitionError):
        books.invoices.void(draft.id, idempotency_key="v")  # a draft cannot be voided
    invoice = books.invoices.issue(draft.id)
    voided = books.invoices.void(invoice.id, idempotency_key="v")
    assert voided.status is ik.Status.VOID


# --------------------------------------------------------------------------- (e) sellers


def test_the_same_key_under_another_seller_is_independent(billing: ik.Billing) -> None:
    results = {}
    for name, amount in (("A", "10.00"), ("B", "20.00")):
        seller = billing.sellers.create(name=name, country="DE", currency="EUR")
        books = billing.seller(seller.id)
        invoice = issued(books, books.customers.create("Globex").id)
        results[name] = (books, books.payments.record(invoice.id, amount, idempotency_key="k"))
    for name, amount in (("A", "10.00"), ("B", "20.00")):
        books, paid = results[name]
        assert paid.seller_id == books.seller_id
        assert [p.amount for p in paid.payments] == [Decimal(amount)]
        assert repr(books.payments.record(paid.id, amount, idempotency_key="k")) == repr(paid)
        assert kinds(books).count("PaymentSucceeded") == 1


# --------------------------------------------------------------------------- (f) every verb


@dataclass(frozen=True)
class World:
    """What the write verbs act on, in one seller."""

    billing: ik.Billing
    books: ik.SellerBooks
    clock: FixedClock
    customer_id: str
    draft_id: str
    invoice_id: str  # issued, nothing paid
    paid_id: str  # issued, a 50.00 payment and a 5.00 pending one
    payment_id: str
    pending_id: str


@pytest.fixture
def world(
    billing: ik.Billing, books: ik.SellerBooks, customer: ik.Customer, clock: FixedClock
) -> World:
    books.payments.record(issued(books, customer.id).id, "1200.00")  # 10.00 customer credit
    paid = issued(books, customer.id)
    paid = books.payments.record(paid.id, "50.00")
    pending = books.payments.record(paid.id, "5.00", pending=True)
    return World(
        billing=billing,
        books=books,
        clock=clock,
        customer_id=customer.id,
        draft_id=books.invoices.draft(customer.id, lines=[line()]).id,
        invoice_id=issued(books, customer.id).id,
        paid_id=paid.id,
        payment_id=paid.payments[0].id,
        pending_id=pending.payments[-1].id,
    )


Verb = Callable[[World, str], object]
Disturb = Callable[[World], object]


def _nothing(_: World) -> None:
    return None


#: Every write that takes an idempotency key: how to call it, and (where a second run
#: would look like a replay) a change made between the two calls that a re-run would show.
#: A saved card (``customers.save_payment_method``).
SAVED_METHOD: Final = SavedPaymentMethod(
    provider="sandbox",
    reference="sbx_pm_1",
    consent="Charge my card for future invoices.",
    consented_at=datetime(2026, 3, 2, tzinfo=UTC),
)

KEYED: Final[dict[str, tuple[Verb, Disturb]]] = {
    "Sellers.create": (
        lambda w, k: w.billing.sellers.create(
            name="Hooli", country="US", currency="USD", idempotency_key=k
        ),
        _nothing,
    ),
    "Sellers.update": (
        lambda w, k: w.billing.sellers.update(w.books.seller_id, name="NW", idempotency_key=k),
        lambda w: w.billing.sellers.update(w.books.seller_id, legal_name="Northwind GmbH"),
    ),
    "Customers.create": (
        lambda w, k: w.books.customers.create("Hooli", email="ap@hooli.example", idempotency_key=k),
        _nothing,
    ),
    "Customers.update": (
        lambda w, k: w.books.customers.update(w.customer_id, name="Globex AG", idempotency_key=k),
        lambda w: w.books.customers.update(w.customer_id, email="new@globex.example"),
    ),
    "Customers.save_payment_method": (
        lambda w, k: w.books.customers.save_payment_method(
            w.customer_id, SAVED_METHOD, idempotency_key=k
        ),
        lambda w: w.books.customers.update(w.customer_id, email="new@globex.example"),
    ),
    "Customers.apply_coupon": (
        lambda w, k: w.books.customers.apply_coupon(w.customer_id, _loyal(w), idempotency_key=k),
        # a re-run would apply it again from the later time
        lambda w: (w.books.customers.remove_coupon(w.customer_id), w.clock.advance(days=1)),
    ),
    "Invoices.draft": (
        lambda w, k: w.books.invoices.draft(w.customer_id, lines=[line()], idempotency_key=k),
        _nothing,
    ),
    "Invoices.draft_many": (
        lambda w, k: w.books.invoices.draft_many(
            [{"customer_id": w.customer_id, "lines": [line()]}] * 2, idempotency_key=k
        ),
        _nothing,
    ),
    "Invoices.edit": (
        lambda w, k: w.books.invoices.edit(w.draft_id, memo="March", idempotency_key=k),
        lambda w: w.books.invoices.edit(w.draft_id, footer="Thanks"),
    ),
    "Invoices.issue": (
        lambda w, k: w.books.invoices.issue(w.draft_id, idempotency_key=k),
        _nothing,
    ),
    "Invoices.delete": (
        lambda w, k: w.books.invoices.delete(w.draft_id, idempotency_key=k),
        # The id is reused for a new draft: a retried delete must not delete it.
        lambda w: w.books.invoices.draft(w.customer_id, lines=[line()], id=w.draft_id),
    ),
    "Invoices.mark_overdue": (
        lambda w, k: (
            w.clock.advance(days=20),
            w.books.invoices.mark_overdue(w.invoice_id, idempotency_key=k),
        )[1],
        _nothing,
    ),
    "Invoices.void": (
        lambda w, k: w.books.invoices.void(w.invoice_id, reason="typo", idempotency_key=k),
        _nothing,
    ),
    "Invoices.write_off": (
        lambda w, k: w.books.invoices.write_off(w.invoice_id, idempotency_key=k),
        _nothing,
    ),
    "Invoices.credit": (
        lambda w, k: w.books.invoices.credit(
            w.invoice_id, lines=[line("10.00")], idempotency_key=k
        ),
        _nothing,
    ),
    "Invoices.credit_standalone": (
        lambda w, k: w.books.invoices.credit_standalone(
            w.customer_id, lines=[line("10.00")], preceding="OLD-1", idempotency_key=k
        ),
        _nothing,
    ),
    "Payments.record": (
        lambda w, k: w.books.payments.record(w.invoice_id, "10.00", idempotency_key=k),
        _nothing,
    ),
    "Payments.settle": (
        lambda w, k: w.books.payments.settle(w.paid_id, w.pending_id, idempotency_key=k),
        _nothing,
    ),
    "Payments.fail": (
        lambda w, k: w.books.payments.fail(
            w.paid_id, w.pending_id, reason="returned", idempotency_key=k
        ),
        _nothing,
    ),
    "Payments.record_failure": (
        lambda w, k: w.books.payments.record_failure(
            w.invoice_id, reason="declined", code="card_declined", idempotency_key=k
        ),
        _nothing,
    ),
    "Payments.apply_credit": (
        lambda w, k: w.books.payments.apply_credit(w.invoice_id, "5.00", idempotency_key=k),
        _nothing,
    ),
    "Payments.refund": (
        lambda w, k: w.books.payments.refund(w.paid_id, w.payment_id, "5.00", idempotency_key=k),
        _nothing,
    ),
    "Recurring.create": (
        lambda w, k: w.books.recurring.create(
            w.customer_id,
            schedule=ik.Schedule.monthly(date(2026, 1, 1), "Europe/Berlin"),
            lines=[line("1500.00", description="Retainer {month_name}")],
            id="rec-1" if k else None,
            idempotency_key=k,
        ),
        _nothing,
    ),
    "Plans.create": (
        lambda w, k: w.books.plans.create(
            "Pro", frequency="monthly", prices=PRO_PRICES, idempotency_key=k
        ),
        _nothing,
    ),
    "Coupons.create": (
        lambda w, k: w.books.coupons.create("Launch", percent_off="10", idempotency_key=k),
        _nothing,
    ),
    "Subscriptions.create": (
        lambda w, k: w.books.subscriptions.create(
            w.customer_id, plan_id=pro_plan(w), idempotency_key=k
        ),
        _nothing,
    ),
    "Subscriptions.change_quantity": (
        lambda w, k: w.books.subscriptions.change_quantity(
            subscribed(w), 3, price_id="seats", idempotency_key=k
        ),
        # A change back: a re-run would set 3 seats again (and prorate again).
        lambda w: w.books.subscriptions.change_quantity(subscribed(w), 1, price_id="seats"),
    ),
    "Subscriptions.change_plan": (
        lambda w, k: w.books.subscriptions.change_plan(
            subscribed(w), basic_plan(w), idempotency_key=k
        ),
        _nothing,
    ),
}

#: A plan with a fixed fee and seats (``Plans.create``'s prices).
PRO_PRICES: Final = [
    {
        "id": "pro",
        "description": "Pro plan",
        "currency": "EUR",
        "kind": "fixed",
        "unit_amount": "60.00",
        "tax": ik.Vat("19"),
    },
    {
        "id": "seats",
        "description": "Seats",
        "currency": "EUR",
        "kind": "seats",
        "unit_amount": "10.00",
        "tax": ik.Vat("19"),
    },
]


def _plan(w: World, plan_id: str, prices: list[dict[str, Any]]) -> str:
    try:
        return w.books.plans.get(plan_id).id
    except ik.NotFoundError:
        return w.books.plans.create(plan_id, frequency="monthly", prices=prices, id=plan_id).id


def pro_plan(w: World) -> str:
    """The id of plan ``pro`` (created on first use)."""
    return _plan(w, "pro", PRO_PRICES)


def basic_plan(w: World) -> str:
    """The id of plan ``basic``: one fixed fee (created on first use)."""
    basic = [{**PRO_PRICES[0], "id": "basic", "unit_amount": "30.00"}]
    return _plan(w, "basic", basic)


def subscribed(w: World) -> str:
    """The id of subscription ``sub-1`` of the world's customer on ``pro`` (created on first use)."""
    try:
        return w.books.subscriptions.get("sub-1").id
    except ik.NotFoundError:
        return w.books.subscriptions.create(w.customer_id, plan_id=pro_plan(w), id="sub-1").id


Setup = Callable[[World], Any]
Repeat = Callable[[World, Any], object]


def _failed_message(w: World) -> str:
    """The key of a failed message (e-mail, but this Billing has no e-mail notifier)."""
    [message] = w.books.invoices.send(w.invoice_id)
    assert message.status is MessageStatus.FAILED
    return message.key


def _inbox_item(w: World) -> tuple[str, list[str]]:
    """A customer reached in the app, and the key of the invoice in their inbox."""
    reader = w.books.customers.create("Initech", channels=["in_app"])
    invoice = issued(w.books, reader.id)
    [message] = w.books.invoices.send(invoice.id)
    return reader.id, [message.key]


def _loyal(w: World) -> str:
    """The id of coupon ``loyal`` (10% off, created on first use)."""
    try:
        return w.books.coupons.get("loyal").id
    except ik.NotFoundError:
        return w.books.coupons.create("Loyal", percent_off="10", id="loyal").id


def _held_coupon(w: World) -> str:
    """The world's customer, holding coupon ``loyal``."""
    w.books.customers.apply_coupon(w.customer_id, _loyal(w))
    return w.customer_id


def _template(w: World) -> str:
    """A monthly template of the world's customer, billed since January."""
    return w.books.recurring.create(
        w.customer_id,
        schedule=ik.Schedule.monthly(date(2026, 1, 1), "Europe/Berlin"),
        lines=[line("1500.00")],
    ).id


def _metered(w: World) -> str:
    """A subscription of the world's customer to a plan with a metered price."""
    calls = {
        **PRO_PRICES[0],
        "id": "calls",
        "kind": "metered",
        "unit_amount": "0.01",
        "meter": "api_calls",
    }
    plan = _plan(w, "api", [calls])
    return w.books.subscriptions.create(w.customer_id, plan_id=plan).id


#: Public writes without an idempotency key: why a repeat is harmless, what to set up, and
#: the call that is made twice (``test_every_unkeyed_write_repeats_harmlessly``).
UNKEYED: Final[dict[str, tuple[str, Setup, Repeat]]] = {
    "Customers.archive": (
        "sets archived=True: repeating it changes nothing",
        lambda w: w.customer_id,
        lambda w, customer_id: w.books.customers.archive(customer_id),
    ),
    "Customers.remove_payment_method": (
        "sets payment_method=None: repeating it changes nothing",
        lambda w: w.customer_id,
        lambda w, customer_id: w.books.customers.remove_payment_method(customer_id),
    ),
    "Invoices.issue_many": (
        "already issued ids are returned as they are: a repeat issues nothing new",
        lambda w: [w.draft_id],
        lambda w, ids: w.books.invoices.issue_many(ids),
    ),
    "Invoices.send": (
        "each message has a key (invoice, kind, step, channel): a repeat queues nothing new",
        lambda w: w.invoice_id,
        lambda w, invoice_id: w.books.invoices.send(invoice_id),
    ),
    "Invoices.add_payment_link": (
        "does nothing when the invoice has a link (or there is no provider)",
        lambda w: w.invoice_id,
        lambda w, invoice_id: w.books.invoices.add_payment_link(invoice_id),
    ),
    "Messages.retry": (
        "re-queues a failed message; one already queued again is returned as it is",
        _failed_message,
        lambda w, key: w.books.messages.retry(key),
    ),
    "Messages.dispatch": (
        "delivers the messages due now; a repeat finds none left",
        _nothing,
        lambda w, _: w.books.messages.dispatch(),
    ),
    "Inbox.mark_read": (
        "read items keep their time: a repeat changes nothing (and returns 0)",
        _inbox_item,
        lambda w, item: w.books.inbox.mark_read(*item),
    ),
    "Recurring.pause": (
        "a paused template is returned as it is",
        _template,
        lambda w, template_id: w.books.recurring.pause(template_id),
    ),
    "Recurring.resume": (
        "an active template is returned as it is",
        _template,
        lambda w, template_id: w.books.recurring.resume(template_id),
    ),
    "Recurring.end": (
        "an ended template is returned as it is",
        _template,
        lambda w, template_id: w.books.recurring.end(template_id),
    ),
    "Customers.remove_coupon": (
        "a customer without a coupon is left as they are",
        _held_coupon,
        lambda w, customer_id: w.books.customers.remove_coupon(customer_id),
    ),
    "Subscriptions.pause": (
        "a paused subscription is returned as it is",
        subscribed,
        lambda w, sub_id: w.books.subscriptions.pause(sub_id),
    ),
    "Subscriptions.resume": (
        "an active subscription is returned as it is",
        subscribed,
        lambda w, sub_id: w.books.subscriptions.resume(sub_id),
    ),
    "Subscriptions.cancel": (
        "a canceled subscription is returned as it is",
        subscribed,
        lambda w, sub_id: w.books.subscriptions.cancel(sub_id),
    ),
    "Subscriptions.apply_coupon": (
        "a coupon the subscription holds is not added again",
        lambda w: (
            subscribed(w),
            w.books.coupons.create("Launch", percent_off="10", id="launch").id,
        ),
        lambda w, ids: w.books.subscriptions.apply_coupon(*ids),
    ),
    "Usage.record": (
        "each record has a key: the same key again is the same record, counted once",
        _metered,
        lambda w, sub_id: w.books.usage.record(sub_id, "api_calls", 5, key="u-1"),
    ),
    "Usage.record_many": (
        "each record has a key: the same keys again are reported as duplicates",
        _metered,
        lambda w, sub_id: w.books.usage.record_many(
            [{"subscription_id": sub_id, "meter": "api_calls", "quantity": 5, "key": "u-2"}]
        ),
    ),
    "Recurring.generate_due": (
        "each period's invoice has an id derived from it: a repeat generates nothing",
        _template,
        lambda w, _: w.books.recurring.generate_due(),
    ),
}

_READS: Final = {
    "get",
    "coupon",
    "get_by_number",
    "list",
    "credit_notes",
    "credit_note",
    "credit_balance",
    "failed",
    "unread_count",
    "progress",
    "preview",
}
_SERVICES: Final = (
    Sellers,
    Customers,
    Invoices,
    Payments,
    Messages,
    Inbox,
    Recurring,
    Plans,
    Coupons,
    Subscriptions,
    Usage,
)


def _write_verbs() -> set[str]:
    names = set()
    for cls in _SERVICES:
        for name, _ in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") and name not in _READS:
                names.add(f"{cls.__name__}.{name}")
    return names


def _takes_a_key(qualified: str) -> bool:
    cls_name, name = qualified.split(".")
    cls = {c.__name__: c for c in _SERVICES}[cls_name]
    return "idempotency_key" in inspect.signature(getattr(cls, name)).parameters


def test_every_write_verb_is_classified() -> None:
    verbs = _write_verbs()
    assert sorted(verbs - KEYED.keys() - UNKEYED.keys()) == [], "add new write verbs to KEYED"
    assert sorted((KEYED.keys() | UNKEYED.keys()) - verbs) == [], "remove stale entries"
    assert sorted(v for v in KEYED if not _takes_a_key(v)) == []
    assert sorted(v for v in UNKEYED if _takes_a_key(v)) == [], "a keyed verb belongs in KEYED"


def observe(w: World) -> tuple[str, ...]:
    """Everything a repeat could change, as text."""
    books = w.books
    invoices = books.invoices.list(limit=1000)
    notes = [n for i in invoices for n in books.invoices.credit_notes(i.id)]
    customers = books.customers.list(include_archived=True, limit=1000)
    return (
        repr(w.billing.sellers.list()),
        repr(customers),
        repr(invoices),
        repr(notes),
        repr(books.events.records()),
        repr(books.messages.list(limit=1000)),
        repr([books.inbox.list(c.id, limit=1000) for c in customers]),
    )


@pytest.mark.parametrize("verb", sorted(KEYED))
def test_every_keyed_write_replays_on_the_second_call(world: World, verb: str) -> None:
    call, disturb = KEYED[verb]
    first = call(world, "again")
    disturb(world)
    before = observe(world)
    second = call(world, "again")
    assert repr(second) == repr(first)
    assert observe(world) == before


@pytest.mark.parametrize("verb", sorted(UNKEYED))
def test_every_unkeyed_write_repeats_harmlessly(world: World, verb: str) -> None:
    _, setup, repeat = UNKEYED[verb]
    argument = setup(world)
    repeat(world, argument)
    before = observe(world)
    repeat(world, argument)
    assert observe(world) == before


# --------------------------------------------------------------------------- (g) expiry


def test_keys_never_expire_yet(
    books: ik.SellerBooks, invoice: ik.Invoice, clock: FixedClock, billing: ik.Billing
) -> None:
    """Documents today's behaviour: no retention window, a key replays forever.

    T16 in docs/explanation/reliability.md: keys do not expire today; a planned retention
    window would treat an older key as new. When it lands, this test must be changed on
    purpose, together with the documentation of the window.
    """
    paid = books.payments.record(invoice.id, "500.00", idempotency_key="pay-1")
    clock.advance(days=3650)
    assert repr(books.payments.record(invoice.id, "500.00", idempotency_key="pay-1")) == repr(paid)
    with pytest.raises(ik.ConflictError):
        books.payments.record(invoice.id, "1.00", idempotency_key="pay-1")
    with billing.storage.transaction(write=False) as tx:
        record = tx.idempotency.get(books.seller_id, "pay-1")
    assert record is not None
    assert record.created_at == AT
    assert books.invoices.get(invoice.id).payments == paid.payments
