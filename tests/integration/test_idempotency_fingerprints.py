# ruff: noqa: F811 - the tests take the ``world`` fixture imported from test_idempotency
"""Every parameter of every keyed write is part of its idempotency fingerprint (issue 11, item 6).

The keyed writes and their parameters are found by introspection: a new write
with ``idempotency_key``, or a new parameter of one, fails here until it has a
base call (``BASE``) and another value (``OTHER``). Each case makes the base
call under a key, then the same call with one parameter changed under the same
key, which must be a ``ConflictError`` naming that parameter (not a replay of
the first result).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Final

import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    billing_fixture,
    clock_fixture,
    line,
    make_billing_fixture,
    storage_kind_fixture,
)
from integration.test_idempotency import (  # noqa: F401 - fixtures, found by their names
    _SERVICES,
    PRO_PRICES,
    World,
    _loyal,
    basic_plan,
    books,
    customer,
    pro_plan,
    subscribed,
    world,
)

Base = Callable[[World], tuple[Callable[..., object], dict[str, Any]]]


def _card(last4: str) -> ik.SavedPaymentMethod:
    return ik.SavedPaymentMethod(
        provider="sandbox",
        reference=f"sbx_pm_{last4}",
        consent="Charge this card for later invoices.",
        consented_at=datetime(2026, 1, 1, tzinfo=UTC),
        brand="visa",
        last4=last4,
    )


def _overdue(w: World) -> tuple[Callable[..., object], dict[str, Any]]:
    w.clock.advance(days=20)  # past the invoice's due date
    return w.books.invoices.mark_overdue, {"invoice_id": w.invoice_id}


#: The first call of each keyed write: the method and its arguments.
BASE: Final[dict[str, Base]] = {
    "Sellers.create": lambda w: (
        w.billing.sellers.create,
        {"name": "Hooli", "country": "US", "currency": "USD"},
    ),
    "Sellers.update": lambda w: (
        w.billing.sellers.update,
        {"seller_id": w.books.seller_id, "name": "NW"},
    ),
    "Customers.create": lambda w: (w.books.customers.create, {"name": "Hooli"}),
    "Customers.update": lambda w: (
        w.books.customers.update,
        {"customer_id": w.customer_id, "name": "Globex AG"},
    ),
    "Invoices.draft": lambda w: (
        w.books.invoices.draft,
        {"customer_id": w.customer_id, "lines": [line()]},
    ),
    "Invoices.draft_many": lambda w: (
        w.books.invoices.draft_many,
        {"drafts": [{"customer_id": w.customer_id, "lines": [line()]}]},
    ),
    "Invoices.edit": lambda w: (w.books.invoices.edit, {"invoice_id": w.draft_id, "memo": "M"}),
    "Invoices.delete": lambda w: (w.books.invoices.delete, {"invoice_id": w.draft_id}),
    "Invoices.issue": lambda w: (w.books.invoices.issue, {"invoice_id": w.draft_id}),
    "Invoices.void": lambda w: (w.books.invoices.void, {"invoice_id": w.invoice_id}),
    "Invoices.write_off": lambda w: (w.books.invoices.write_off, {"invoice_id": w.invoice_id}),
    "Invoices.mark_overdue": _overdue,
    "Invoices.credit": lambda w: (
        w.books.invoices.credit,
        {"invoice_id": w.invoice_id, "lines": [line("10.00")]},
    ),
    "Invoices.credit_standalone": lambda w: (
        w.books.invoices.credit_standalone,
        {"customer_id": w.customer_id, "lines": [line("10.00")]},
    ),
    "Payments.record": lambda w: (
        w.books.payments.record,
        {"invoice_id": w.invoice_id, "amount": "10.00"},
    ),
    "Payments.settle": lambda w: (
        w.books.payments.settle,
        {"invoice_id": w.paid_id, "payment_id": w.pending_id},
    ),
    "Payments.fail": lambda w: (
        w.books.payments.fail,
        {"invoice_id": w.paid_id, "payment_id": w.pending_id, "reason": "returned"},
    ),
    "Payments.record_failure": lambda w: (
        w.books.payments.record_failure,
        {"invoice_id": w.invoice_id, "reason": "declined"},
    ),
    "Payments.refund": lambda w: (
        w.books.payments.refund,
        {"invoice_id": w.paid_id, "payment_id": w.payment_id, "amount": "5.00"},
    ),
    "Payments.apply_credit": lambda w: (  # the world holds 10.00 customer credit
        w.books.payments.apply_credit,
        {"invoice_id": w.invoice_id, "amount": "5.00"},
    ),
    "Customers.save_payment_method": lambda w: (
        w.books.customers.save_payment_method,
        {"customer_id": w.customer_id, "method": _card("4242")},
    ),
    "Customers.apply_coupon": lambda w: (
        w.books.customers.apply_coupon,
        {"customer_id": w.customer_id, "coupon_id": _loyal(w)},
    ),
    "Recurring.create": lambda w: (
        w.books.recurring.create,
        {
            "customer_id": w.customer_id,
            "schedule": ik.Schedule.monthly(date(2026, 1, 1), "Europe/Berlin"),
            "lines": [line()],
        },
    ),
    "Plans.create": lambda w: (
        w.books.plans.create,
        {"name": "Pro", "frequency": "monthly", "prices": PRO_PRICES},
    ),
    "Coupons.create": lambda w: (
        w.books.coupons.create,
        {"name": "Launch", "amount_off": "5.00", "currency": "EUR"},
    ),
    "Subscriptions.create": lambda w: (
        w.books.subscriptions.create,
        {"customer_id": w.customer_id, "plan_id": pro_plan(w)},
    ),
    "Subscriptions.change_quantity": lambda w: (
        w.books.subscriptions.change_quantity,
        {"subscription_id": subscribed(w), "quantity": 3, "price_id": "seats"},
    ),
    "Subscriptions.change_plan": lambda w: (
        w.books.subscriptions.change_plan,
        {"subscription_id": subscribed(w), "plan_id": basic_plan(w)},
    ),
}

#: Another valid value for each parameter name (for ``**fields``: one more field).
OTHER: Final[dict[str, Any]] = {
    "id": "other-id",
    "name": "Other",
    "country": "FR",
    "currency": "CHF",
    "email": "other@example.com",
    "phone": "+493012345678",
    "address": ik.Address("DE", city="Berlin"),
    "channels": ["in_app"],
    "customer_id": "cus_other",
    "invoice_id": "inv_other",
    "lines": [line("20.00")],
    "drafts": [{"customer_id": "cus_other", "lines": [line()]}],
    "terms": ik.NetDays(7),
    "discounts": [ik.Discount(percent="5")],
    "charges": [ik.Charge(amount="1.00", reason="Packing")],
    "prices": "inclusive",
    "memo": "other",
    "footer": "other",
    "reason": "other",
    "metadata": {"other": "1"},
    "series": "other",
    "buyer_reference": "other",
    "order_reference": "other",
    "contract_reference": "other",
    "project_reference": "other",
    "expected_version": 99,
    "amount": "7.00",
    "pending": True,
    "method": "card",
    "reference": "other",
    "payment_id": "pay_other",
    "refund_id": "ref_other",
    "code": "other",
    "fields": {"locale": "fr_FR"},
    "changes": {"timezone": "Europe/Paris"},
    "schedule": ik.Schedule.weekly(date(2026, 1, 5), "Europe/Berlin"),
    "issue_mode": "draft",
    "start": date(2026, 2, 1),
    "end": date(2027, 1, 1),
    "count": 5,
    "service_periods": False,
    "preceding": "OLD-1",
    "preceding_date": date(2019, 1, 2),
    "frequency": "yearly",
    "interval": 2,
    "trial_days": 14,
    "percent_off": "10",
    "amount_off": "7.00",
    "duration": "forever",
    "periods": 3,
    "plan_id": "plan_other",
    "quantities": {"seats": 4},
    "trial_end": datetime(2026, 4, 1, tzinfo=UTC),
    "trial_lines": [line("5.00")],
    "coupon_id": "coupon_other",
    "subscription_id": "sub_other",
    "quantity": 5,
    "price_id": "price_other",
    "proration": "none",
    "at": datetime(2026, 3, 5, tzinfo=UTC),
}


#: Another value for a parameter whose type differs from the verb's namesake in OTHER.
OTHER_FOR: Final[dict[tuple[str, str], Any]] = {
    ("Customers.save_payment_method", "method"): _card("0341"),
    ("Plans.create", "prices"): PRO_PRICES[:1],
    ("Subscriptions.create", "start"): datetime(2026, 3, 5, tzinfo=UTC),
}

#: Parameters that are the scope of the key (keys belong to a seller), not part of the request.
SCOPES: Final = {("Sellers.update", "seller_id")}


def _keyed_writes() -> dict[str, inspect.Signature]:
    found = {}
    for cls in _SERVICES:
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            signature = inspect.signature(method)
            if not name.startswith("_") and "idempotency_key" in signature.parameters:
                found[f"{cls.__name__}.{name}"] = signature
    return found


KEYED: Final = _keyed_writes()
CASES: Final = sorted(
    (verb, name)
    for verb, signature in KEYED.items()
    for name in signature.parameters
    if name not in {"self", "idempotency_key"}
)


def test_every_keyed_write_and_parameter_has_values() -> None:
    assert sorted(KEYED.keys() - BASE.keys()) == [], "add a base call to BASE"
    assert sorted(BASE.keys() - KEYED.keys()) == [], "remove stale entries from BASE"
    names = {name for verb, name in CASES if (verb, name) not in SCOPES}
    assert sorted(names - OTHER.keys()) == [], "add a value to OTHER"


def _changed(
    verb: str, kwargs: dict[str, Any], name: str, spread: bool
) -> tuple[dict[str, Any], list[str]]:
    """``kwargs`` with parameter ``name`` changed, and the names the conflict must report."""
    if (verb, name) in OTHER_FOR:
        return {**kwargs, name: OTHER_FOR[verb, name]}, [name]
    if spread:  # **fields: one more field
        extra = OTHER[name]
        return {**kwargs, **extra}, list(extra)
    assert kwargs.get(name) != OTHER[name]
    return {**kwargs, name: OTHER[name]}, [name]


@pytest.mark.parametrize(("verb", "name"), CASES)
def test_every_parameter_changes_the_fingerprint(world: World, verb: str, name: str) -> None:
    method, kwargs = BASE[verb](world)
    first = method(**kwargs, idempotency_key="k")
    before = repr(first)
    if (verb, name) in SCOPES:
        # A key belongs to a seller: under another seller it is another key, so it runs.
        other = world.billing.sellers.create(name="Hooli", country="US", currency="USD")
        updated = method(**{**kwargs, "seller_id": other.id}, idempotency_key="k")
        assert isinstance(updated, ik.Seller)
        assert (updated.id, updated.name) == (other.id, "NW")
        return
    spread = KEYED[verb].parameters[name].kind is inspect.Parameter.VAR_KEYWORD
    changed, reported = _changed(verb, kwargs, name, spread)
    with pytest.raises(ik.ConflictError) as caught:
        method(**changed, idempotency_key="k")
    for field in reported:
        assert f"{field} was " in str(caught.value)
    assert repr(method(**kwargs, idempotency_key="k")) == before  # the key keeps the first


@pytest.mark.parametrize("spread_field", ["country", "currency"])
def test_every_field_given_as_a_keyword_changes_the_fingerprint(
    world: World, spread_field: str
) -> None:
    sellers = world.billing.sellers
    kwargs = {"name": "Hooli", "country": "US", "currency": "USD"}
    sellers.create(**kwargs, idempotency_key="k")
    with pytest.raises(ik.ConflictError, match=f"{spread_field} was "):
        sellers.create(**{**kwargs, spread_field: OTHER[spread_field]}, idempotency_key="k")


def test_terms_of_another_kind_with_the_same_fields_change_the_fingerprint(world: World) -> None:
    # NetDays(14) and EndOfMonth(14) both have ``days``: their type tag tells them apart.
    invoices = world.books.invoices
    invoices.draft(world.customer_id, lines=[line()], terms=ik.NetDays(14), idempotency_key="t")
    with pytest.raises(ik.ConflictError, match="terms was"):
        invoices.draft(
            world.customer_id, lines=[line()], terms=ik.EndOfMonth(14), idempotency_key="t"
        )
