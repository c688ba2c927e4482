"""Subscriptions through the facade on memory, SQLite and PostgreSQL (issue 16).

Plans, changes with proration, trials, cancellation, pause, coupons, the preview and
the invoices ``run_due`` makes of them: one per subscription and period (I2).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

import invoicekit as ik
from invoicekit.testing import FixedClock
from pg import pg_url  # noqa: F401 - a fixture, found by its name
from subscription_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    START,
    agency,
    sub_billing_fixture,
    sub_clock_fixture,
    sub_store_fixture,
)


def _invoices(books: ik.SellerBooks) -> list[ik.Invoice]:
    return sorted(
        books.invoices.list(limit=1000), key=lambda i: (i.issue_date or START.date(), i.id)
    )


def _of(books: ik.SellerBooks, sub_id: str) -> list[ik.Invoice]:
    mine = [i for i in _invoices(books) if i.metadata.get("subscription") == sub_id]
    return sorted(mine, key=lambda i: int(i.metadata.get("period", -2)))


def _described(invoice: ik.Invoice) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.description, line.quantity, line.unit_price) for line in invoice.lines]


def test_a_month_with_a_plan_change_mid_month_prorates_on_the_next_invoice(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    sub_billing.run_due()
    sub_clock.advance(days=15)  # 16 January: 16 of 31 days left
    a.books.subscriptions.change_plan(sub.id, "pro", quantities={"seats": 2})
    preview = a.books.subscriptions.preview(sub.id)
    sub_clock.advance(days=17)
    sub_billing.run_due()
    first, second = _of(a.books, sub.id)
    assert _described(first) == [("Basic plan (1–31 Jan 2026)", 1, Decimal("30.00"))]
    assert _described(second) == [
        ("Pro plan (1–28 Feb 2026)", 1, Decimal("60.00")),
        ("Seats (1–28 Feb 2026)", 2, Decimal("10.00")),
        ("Unused time on Basic plan (16–31 Jan 2026)", -1, Decimal("15.48")),  # 30 × 16/31
        ("Remaining time on Pro plan (16–31 Jan 2026)", 1, Decimal("30.97")),  # 60 × 16/31
        ("Remaining time on Seats × 2 (16–31 Jan 2026)", 1, Decimal("10.32")),  # 20 × 16/31
    ]
    assert second.status is ik.Status.PENDING
    assert preview.totals == second.totals  # the preview was the real invoice
    assert preview.id == second.id


def test_run_due_again_or_later_makes_no_second_invoice_for_a_period(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="pro", quantities={"seats": 3})
    for _ in range(3):
        sub_billing.run_due()
    sub_clock.advance(days=95)  # an outage: three missed periods come back once each
    sub_billing.run_due()
    sub_billing.run_due()
    invoices = _of(a.books, sub.id)
    assert [i.metadata["period"] for i in invoices] == [0, 1, 2, 3]
    assert len({i.id for i in invoices}) == 4
    assert a.books.subscriptions.progress(sub.id).last_index == 3


def test_a_seat_change_undone_the_same_day_nets_zero(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="pro", quantities={"seats": 2})
    sub_billing.run_due()
    sub_clock.advance(days=9, hours=3)
    a.books.subscriptions.change_quantity(sub.id, 7)
    sub_clock.advance(hours=2)
    changed = a.books.subscriptions.change_quantity(sub.id, 2)
    assert sum(line.quantity * line.unit_price for line in changed.pending) == 0
    sub_clock.advance(days=25)
    sub_billing.run_due()
    second = _of(a.books, sub.id)[1]
    assert second.totals.tax_exclusive == Decimal("80.00")  # 60 + 2 × 10, the changes net 0


def test_invoice_now_bills_the_difference_at_once(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="pro", quantities={"seats": 1})
    sub_billing.run_due()
    sub_clock.advance(days=15)
    changed = a.books.subscriptions.change_quantity(sub.id, 4, proration="invoice_now")
    now = [i for i in _invoices(a.books) if i.metadata.get("change") == "invoice_now"]
    assert len(now) == 1
    assert now[0].status is ik.Status.PENDING
    # 4 seats for 16 of 31 days (20.65) less 1 seat's unused 16 days (5.16)
    assert now[0].totals.tax_exclusive == Decimal("15.49")
    assert (changed.change_invoice_id, changed.change_credit_note_id) == (now[0].id, None)
    assert a.books.subscriptions.get(sub.id) == changed
    assert changed.pending == ()
    later = a.books.subscriptions.change_quantity(sub.id, 5)  # prorated: nothing billed at once
    assert (later.change_invoice_id, later.change_credit_note_id) == (None, None)


def test_a_trial_ends_into_billing_with_a_card(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing, collection="charge_automatically")
    a.books.customers.save_payment_method(
        a.customer_id,
        ik.SavedPaymentMethod(
            provider="sandbox",
            reference="sbx_pm_1",
            consent="Charge my card.",
            consented_at=START,
        ),
    )
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic", trial_days=14)
    assert sub.status is ik.SubscriptionStatus.TRIALING
    sub_billing.run_due()
    assert _of(a.books, sub.id) == []  # the trial bills nothing
    sub_clock.advance(days=14)
    sub_billing.run_due()
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.ACTIVE
    (first,) = _of(a.books, sub.id)
    assert _described(first) == [("Basic plan (15 Jan–14 Feb 2026)", 1, Decimal("30.00"))]


def test_a_trial_without_a_payment_method_ends_canceled(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing, collection="charge_automatically")
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic", trial_days=14)
    sub_clock.advance(days=20)
    sub_billing.run_due()
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.CANCELED
    assert _of(a.books, sub.id) == []


def test_cancel_at_period_end_bills_the_period_and_nothing_after(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    sub_billing.run_due()
    sub_clock.advance(days=10)
    canceled = a.books.subscriptions.cancel(sub.id, at_period_end=True)
    assert canceled.cancel_at_period_end
    assert a.books.subscriptions.cancel(sub.id, at_period_end=True) == canceled  # a repeat
    sub_clock.advance(days=80)
    sub_billing.run_due()
    assert len(_of(a.books, sub.id)) == 1
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.CANCELED
    assert a.books.subscriptions.progress(sub.id).finished  # run_due looks at it no more
    with sub_billing.storage.transaction(write=False) as tx:
        assert tx.subscriptions.billing(a.books.seller_id) == []


def test_pause_skips_periods_and_resume_bills_again(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    sub_billing.run_due()
    sub_clock.advance(days=20)
    a.books.subscriptions.pause(sub.id)
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.PAUSED
    sub_clock.advance(days=30)  # February's bill falls in the pause
    report = sub_billing.run_due()
    assert [e.reason for e in report.entries if e.action == "generate"] in ([], ["paused"])
    a.books.subscriptions.resume(sub.id)
    sub_billing.run_due()
    sub_clock.advance(days=30)  # March bills again
    sub_billing.run_due()
    periods = [i.metadata["period"] for i in _of(a.books, sub.id)]
    assert periods == [0, 2]


def test_pause_marking_uncollectible_issues_and_writes_off(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    sub_billing.run_due()
    sub_clock.advance(days=20)
    a.books.subscriptions.pause(sub.id, behavior="mark_uncollectible")
    sub_clock.advance(days=15)
    a.books.subscriptions.resume(sub.id)
    sub_billing.run_due()
    invoices = _of(a.books, sub.id)
    assert [i.metadata["period"] for i in invoices] == [0, 1]
    assert invoices[1].status is ik.Status.UNCOLLECTIBLE


def test_a_coupon_for_three_periods_discounts_three_invoices(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    coupon = a.books.coupons.create(
        "Launch", percent_off="50", duration="repeating", periods=3, id="launch"
    )
    assert a.books.coupons.get("launch") == coupon
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic", coupon_id="launch")
    sub_billing.run_due()
    for _ in range(4):
        sub_clock.advance(days=31)
        sub_billing.run_due()
    nets = [i.totals.tax_exclusive for i in _of(a.books, sub.id)]
    assert nets == [Decimal("15.00")] * 3 + [Decimal("30.00")] * 2


def test_collection_failure_makes_it_past_due_and_dunning_end_cancels(
    sub_billing: ik.Billing,
) -> None:
    a = agency(sub_billing, dunning=ik.DunningPolicy(retry_days=(1,)))
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    sub_billing.run_due()
    (invoice,) = _of(a.books, sub.id)
    a.books.payments.record_failure(invoice.id, reason="declined", code="card_declined")
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.PAST_DUE
    a.books.payments.record_failure(invoice.id, reason="declined again")
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.CANCELED


def test_paid_after_a_failure_it_is_active_again(sub_billing: ik.Billing) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    sub_billing.run_due()
    (invoice,) = _of(a.books, sub.id)
    a.books.payments.record_failure(invoice.id, reason="declined")
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.PAST_DUE
    a.books.payments.record(invoice.id, invoice.amount_due)
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.ACTIVE


def test_the_preview_writes_nothing_and_proposes_a_change(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    sub_billing.run_due()
    sub_clock.advance(days=15)
    before = (
        repr(a.books.subscriptions.progress(sub.id)),
        repr(a.books.invoices.list(limit=1000)),
    )
    plain = a.books.subscriptions.preview(sub.id)
    moved = a.books.subscriptions.preview(sub.id, change_plan="pro", quantities={"seats": 1})
    after = (
        repr(a.books.subscriptions.progress(sub.id)),
        repr(a.books.invoices.list(limit=1000)),
    )
    assert before == after
    assert plain.totals.tax_exclusive == Decimal("30.00")
    # Pro from 16 Jan: 70 for February, 16/31 of (70 - 30) for January's rest.
    assert moved.totals.tax_exclusive == Decimal("70.00") + Decimal("30.97") + Decimal(
        "5.16"
    ) - Decimal("15.48")


def test_lists_and_gets(sub_billing: ik.Billing) -> None:
    a = agency(sub_billing)
    one = a.books.subscriptions.create(a.customer_id, plan_id="basic", id="sub-1")
    two = a.books.subscriptions.create(a.customer_id, plan_id="pro", id="sub-2", trial_days=7)
    assert [p.id for p in a.books.plans.list()] == ["api", "basic", "pro"]
    assert a.books.subscriptions.list() == [one, two]
    assert a.books.subscriptions.list(status="trialing") == [two]
    assert a.books.subscriptions.list(after="sub-1") == [two]
    with pytest.raises(ik.NotFoundError):
        a.books.subscriptions.get("sub-404")
    with pytest.raises(ik.NotFoundError):
        a.books.plans.get("nope")
    with pytest.raises(ik.NotFoundError):
        a.books.coupons.get("nope")


def test_another_sellers_objects_are_not_found(sub_billing: ik.Billing) -> None:
    a = agency(sub_billing)
    b = agency(sub_billing)
    theirs = b.books.subscriptions.create(b.customer_id, plan_id="basic", id="sub-b")
    b.books.coupons.create("B", amount_off="5.00", currency="EUR", id="coupon-b")
    for call in (
        lambda: a.books.subscriptions.get(theirs.id),
        lambda: a.books.subscriptions.cancel(theirs.id),
        lambda: a.books.subscriptions.preview(theirs.id),
        lambda: a.books.subscriptions.change_quantity(theirs.id, 2, price_id="basic"),
        lambda: a.books.coupons.get("coupon-b"),
        lambda: a.books.subscriptions.create(a.customer_id, plan_id="basic", coupon_id="coupon-b"),
        lambda: a.books.subscriptions.create(b.customer_id, plan_id="basic"),
    ):
        with pytest.raises(ik.NotFoundError):
            call()
    assert a.books.subscriptions.list() == []


def test_idempotency_keys_replay_creates_and_changes(sub_billing: ik.Billing) -> None:
    a = agency(sub_billing)
    first = a.books.subscriptions.create(a.customer_id, plan_id="pro", idempotency_key="s1")
    again = a.books.subscriptions.create(a.customer_id, plan_id="pro", idempotency_key="s1")
    assert again == first
    with pytest.raises(ik.ConflictError, match="plan_id was"):
        a.books.subscriptions.create(a.customer_id, plan_id="basic", idempotency_key="s1")
    changed = a.books.subscriptions.change_quantity(first.id, 3, idempotency_key="q1")
    assert a.books.subscriptions.change_quantity(first.id, 3, idempotency_key="q1") == changed
    with pytest.raises(ik.ConflictError, match="quantity was"):
        a.books.subscriptions.change_quantity(first.id, 4, idempotency_key="q1")
    tiny = [
        {"id": "t", "description": "Tiny", "currency": "EUR", "kind": "fixed", "tax": ik.Vat("19")}
    ]
    plan = a.books.plans.create("Tiny", frequency="monthly", prices=tiny, idempotency_key="p1")
    again = a.books.plans.create("Tiny", frequency="monthly", prices=tiny, idempotency_key="p1")
    assert again == plan
    assert len(a.books.subscriptions.list()) == 1


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda b, _c: b.plans.create("", frequency="monthly", prices=[]), "name"),
        (lambda b, _c: b.plans.create("X", frequency="hourly", prices=[]), "frequency"),
        (
            lambda b, _c: b.plans.create(
                "X",
                frequency="monthly",
                prices=[{"id": "p", "description": "P", "currency": "EUR", "kind": "fixed"}],
            ),
            "prices[0]",
        ),
        (lambda b, _c: b.coupons.create("X", percent_off="150"), "percent_off"),
        (lambda b, _c: b.coupons.create("X", amount_off="5"), "currency"),
        (
            lambda b, c: b.subscriptions.create(c, plan_id="basic", quantities={"x": -1}),
            "quantities",
        ),
        (lambda b, c: b.subscriptions.create(c, plan_id="basic", currency="USD"), "currency"),
        (
            lambda b, c: b.subscriptions.create(
                c, plan_id="basic", start=START.replace(tzinfo=None)
            ),
            "start",
        ),
        (lambda b, c: b.subscriptions.create(c, plan_id="basic", trial_days=-1), "trial_days"),
        (lambda b, _c: b.subscriptions.create(["c"], plan_id="basic"), "customer_id"),
        (lambda b, _c: b.subscriptions.list(status="gone"), "status"),
        (lambda b, _c: b.subscriptions.list(limit=0), "limit"),
        (lambda b, _c: b.subscriptions.change_quantity("s", -1), "quantity"),
        (lambda b, _c: b.subscriptions.change_quantity("s", 1, proration="later"), "proration"),
        (lambda b, _c: b.subscriptions.change_plan("s", "pro", proration="x"), "proration"),
        (lambda b, _c: b.subscriptions.pause("s", behavior="stop"), "behavior"),
        (lambda b, _c: b.subscriptions.resume("s", at=START.replace(tzinfo=None)), "at"),
        (lambda b, _c: b.subscriptions.cancel("s", at_period_end="yes"), "at_period_end"),
        (lambda b, _c: b.subscriptions.apply_coupon("s", 7), "coupon_id"),
        (lambda b, _c: b.subscriptions.preview("s", at="tomorrow"), "at"),
        (lambda b, _c: b.subscriptions.get(None), "subscription_id"),
    ],
)
def test_bad_input_is_one_validation_error_with_its_path(
    sub_billing: ik.Billing, call: object, path: str
) -> None:
    a = agency(sub_billing)
    before = repr(a.books.subscriptions.list())
    with pytest.raises(ik.ValidationError) as caught:
        call(a.books, a.customer_id)  # type: ignore[operator]
    assert any(p.path.startswith(path) for p in caught.value.problems), caught.value.problems
    assert repr(a.books.subscriptions.list()) == before


def test_a_quantity_change_on_a_subscription_without_seats_names_price_id(
    sub_billing: ik.Billing,
) -> None:
    a = agency(sub_billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    with pytest.raises(ik.ValidationError) as caught:
        a.books.subscriptions.change_quantity(sub.id, 2)
    assert caught.value.problems[0].path == "price_id"


def test_the_grace_and_dunning_settings_are_the_seller_s(sub_billing: ik.Billing) -> None:
    a = agency(sub_billing)
    with pytest.raises(ik.ValidationError) as caught:
        sub_billing.sellers.update(
            a.books.seller_id,
            usage_grace=timedelta(days=-1),
            subscription_on_dunning_end="deleted",
        )
    assert [p.path for p in caught.value.problems] == [
        "usage_grace",
        "subscription_on_dunning_end",
    ]
    seller = sub_billing.sellers.get(a.books.seller_id)
    assert (seller.usage_grace, seller.subscription_on_dunning_end) == (
        timedelta(hours=1),
        "canceled",
    )
    changed = sub_billing.sellers.update(
        a.books.seller_id, usage_grace=timedelta(days=7), subscription_on_dunning_end="unpaid"
    )
    assert sub_billing.sellers.get(a.books.seller_id) == changed
    assert changed.usage_grace == timedelta(days=7)


def _recording(store: str, clock: FixedClock) -> tuple[ik.Billing, list[str]]:
    """A Billing on ``store`` whose new ids are recorded (to find standalone credit notes)."""
    made: list[str] = []

    def new_id(prefix: str) -> str:
        made.append(f"{prefix}_{uuid.uuid4().hex}")
        return made[-1]

    return ik.Billing.from_url(store, clock=clock, new_id=new_id), made


def _notes(billing: ik.Billing, seller_id: str, made: list[str]) -> list[ik.CreditNote]:
    books = billing.seller(seller_id)
    return [books.invoices.credit_note(i) for i in made if i.startswith("cn_")]


def test_cancel_now_with_a_prorated_credit_issues_a_credit_note(
    sub_store: str, sub_clock: FixedClock
) -> None:
    billing, made = _recording(sub_store, sub_clock)
    a = agency(billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    billing.run_due()
    sub_clock.advance(days=15)  # 16 of 31 days unused
    canceled = a.books.subscriptions.cancel(sub.id, prorate=True)
    assert canceled.status is ik.SubscriptionStatus.CANCELED
    (note,) = _notes(billing, a.books.seller_id, made)
    assert (canceled.change_invoice_id, canceled.change_credit_note_id) == (None, note.id)
    assert note.totals.tax_exclusive == Decimal("15.48")  # 30 × 16/31
    assert sub.id in (note.reason or "")
    sub_clock.advance(days=40)
    billing.run_due()
    assert len(_of(a.books, sub.id)) == 1  # nothing billed after the cancellation
    with pytest.raises(ik.ValidationError):
        a.books.usage.record(sub.id, "api_calls", 1, key="late")
    billing.close()


def test_invoice_now_below_zero_is_a_standalone_credit_note(
    sub_store: str, sub_clock: FixedClock
) -> None:
    billing, made = _recording(sub_store, sub_clock)
    a = agency(billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="pro", quantities={"seats": 4})
    billing.run_due()
    sub_clock.advance(days=15)
    before = len(a.books.invoices.list(limit=1000))
    changed = a.books.subscriptions.change_quantity(sub.id, 1, proration="invoice_now")
    assert len(a.books.invoices.list(limit=1000)) == before  # nothing to charge
    (note,) = _notes(billing, a.books.seller_id, made)
    assert changed.change_credit_note_id == note.id
    assert a.books.invoices.credit_note(changed.change_credit_note_id) == note
    assert a.books.subscriptions.get(sub.id).change_credit_note_id == note.id
    # 4 seats' unused 16 of 31 days (20.65) less 1 seat's remaining days (5.16)
    assert note.totals.tax_exclusive == Decimal("15.49")
    billing.close()


def test_dunning_end_leaves_it_unpaid_when_the_seller_says_so(
    sub_store: str, sub_clock: FixedClock
) -> None:
    billing = ik.Billing.from_url(sub_store, clock=sub_clock)
    a = agency(
        billing, dunning=ik.DunningPolicy(retry_days=()), subscription_on_dunning_end="unpaid"
    )
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    billing.run_due()
    (invoice,) = _of(a.books, sub.id)
    a.books.payments.record_failure(invoice.id, reason="declined")
    assert a.books.subscriptions.get(sub.id).status is ik.SubscriptionStatus.UNPAID
    sub_clock.advance(days=31)
    billing.run_due()  # an unpaid subscription still bills
    assert len(_of(a.books, sub.id)) == 2
    billing.close()
