"""Static check: a misspelt keyword on the facade is a mypy error (checked by mypy --strict, never run).

Each ``# type: ignore[call-arg]`` marks a typo mypy must catch; strict mode warns
about an ignore that is not needed, so a signature that stops catching it fails CI.
"""

from __future__ import annotations

from datetime import UTC, datetime

from invoicekit import Billing, FixedClock, NetDays


def _constructors() -> None:
    clock = FixedClock(datetime(2026, 5, 1, tzinfo=UTC))
    Billing.in_memory(clock=clock, dispatch="worker")
    Billing.in_memory(clokc=clock)  # type: ignore[call-arg]
    Billing.sqlite("books.db", notifier=None)  # type: ignore[call-arg]
    Billing.from_url("memory://", atach_pdf=True)  # type: ignore[call-arg]
    Billing.in_memory(dispatch="later")  # type: ignore[arg-type]


def _sellers(billing: Billing) -> None:
    seller = billing.sellers.create(name="Acme", country="DE", currency="EUR", locale="de_DE")
    billing.sellers.create(name="Acme", country="DE", currency="EUR", timezon="UTC")  # type: ignore[call-arg]
    billing.sellers.create(name="Acme", country="DE")  # type: ignore[call-arg]
    billing.sellers.update(seller.id, terms=NetDays(14), send_on_issue=True)
    billing.sellers.update(seller.id, send_on_isue=True)  # type: ignore[call-arg]
    billing.sellers.update(seller.id, send_on_issue="yes")  # type: ignore[arg-type]


def _customers(billing: Billing) -> None:
    customers = billing.seller("sel_1").customers
    customer = customers.create("Hooli", email="ap@example.com", tax_id="DE811234567")
    customers.create("Hooli", emial="ap@example.com")  # type: ignore[call-arg]
    customers.update(customer.id, name="Hooli AG", archived=True)
    customers.update(customer.id, nmae="Hooli AG")  # type: ignore[call-arg]
