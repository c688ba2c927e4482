"""Shared fixtures of the subscription tests: a Billing on memory, SQLite and PostgreSQL, and an agency.

Import the fixtures a test module uses (``tests`` is on ``sys.path``)::

    from subscription_fixtures import sub_billing_fixture, sub_clock_fixture  # noqa: F401

``sub_billing`` is parametrized over the three storages (PostgreSQL: a new schema per
test on the server ``pg_url`` finds); ``agency(billing)`` creates a seller in Berlin with
one customer and the plans the tests share.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import attrs
import pytest

import invoicekit as ik
from invoicekit.testing import FixedClock
from pg import admin_connect, schema_url

__all__ = [
    "START",
    "VAT",
    "Agency",
    "agency",
    "sub_billing_fixture",
    "sub_clock_fixture",
    "sub_store_fixture",
]

#: Every subscription test starts here: Thursday 2026-01-01 09:00 UTC (10:00 in Berlin).
START: Final = datetime(2026, 1, 1, 9, tzinfo=UTC)
VAT: Final = ik.Vat("19")
STORES: Final = ("memory", "sqlite", "postgresql")


@pytest.fixture(name="sub_clock")
def sub_clock_fixture() -> FixedClock:
    """A clock standing at ``START`` until a test moves it."""
    return FixedClock(START)


@pytest.fixture(name="sub_store", params=STORES)
def sub_store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's URL: memory, a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "memory":
        yield "memory://"
        return
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/subscriptions.db"
        return
    url: str = request.getfixturevalue("pg_url")
    schema = f"subs_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin_connect(url) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    yield schema_url(url, schema)
    with admin_connect(url) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(name="sub_billing")
def sub_billing_fixture(sub_store: str, sub_clock: FixedClock) -> Iterator[ik.Billing]:
    """A Billing on the parametrized store with the test's clock."""
    billing = ik.Billing.from_url(sub_store, clock=sub_clock)
    yield billing
    billing.close()


@attrs.frozen
class Agency:
    """A seller with a customer and two plans: Basic and Pro (monthly; Pro has seats and usage)."""

    books: ik.SellerBooks
    customer_id: str


def _fixed(id: str, description: str, amount: str) -> dict[str, Any]:
    return {
        "id": id,
        "description": description,
        "currency": "EUR",
        "kind": "fixed",
        "unit_amount": amount,
        "tax": VAT,
    }


def agency(billing: ik.Billing, **seller: Any) -> Agency:
    """Northwind (Berlin, EUR) with customer Globex and plans ``basic``, ``pro`` and ``api``."""
    created = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin", **seller
    )
    books = billing.seller(created.id)
    customer = books.customers.create("Globex", email="ap@globex.example")
    books.plans.create(
        "Basic", frequency="monthly", prices=[_fixed("basic", "Basic plan", "30.00")], id="basic"
    )
    books.plans.create(
        "Pro",
        frequency="monthly",
        prices=[
            _fixed("pro", "Pro plan", "60.00"),
            {
                "id": "seats",
                "description": "Seats",
                "currency": "EUR",
                "kind": "seats",
                "unit_amount": "10.00",
                "tax": VAT,
            },
        ],
        id="pro",
    )
    books.plans.create(
        "API",
        frequency="monthly",
        prices=[
            _fixed("platform", "Platform fee", "20.00"),
            {
                "id": "calls",
                "description": "API calls",
                "currency": "EUR",
                "kind": "metered",
                "model": "graduated",
                "tiers": [
                    {"up_to": 1000, "unit_amount": "0"},
                    {"up_to": 10000, "unit_amount": "0.01"},
                    {"up_to": None, "unit_amount": "0.005"},
                ],
                "meter": "api_calls",
                "tax": VAT,
            },
        ],
        id="api",
    )
    return Agency(books, customer.id)
