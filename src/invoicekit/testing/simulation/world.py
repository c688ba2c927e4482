"""The simulated world: sellers with dunning policies, their customers and recurring templates.

Everything is drawn from one ``random.Random`` seeded by the run's seed, and every id
is given explicitly, so the same seed builds the same world on any store.
"""

from __future__ import annotations

import random
from datetime import datetime, time
from decimal import Decimal
from typing import Final

import attrs

from invoicekit.domain.dunning import DunningPolicy, QuietHours, Step
from invoicekit.domain.late_fee import LateFee
from invoicekit.domain.line import Line
from invoicekit.domain.schedule import Schedule
from invoicekit.domain.tax import Vat
from invoicekit.domain.terms import NetDays
from invoicekit.services.billing import Billing
from invoicekit.testing.simulation.config import SimulationConfig

__all__ = ["BEHAVIOURS", "Customer", "World", "build_world"]

#: (country, currency, time zone) of the simulated sellers, taken in turn.
_SELLERS: Final = (
    ("DE", "EUR", "Europe/Berlin"),
    ("US", "USD", "America/New_York"),
    ("NZ", "NZD", "Pacific/Auckland"),
    ("GB", "GBP", "UTC"),
)


def _policies(currency: str) -> tuple[DunningPolicy, ...]:
    """Dunning policies a seller chooses from: reminders before and after, a fee, a final notice."""
    return (
        DunningPolicy(
            steps=[
                Step(days=-3),
                Step(days=3),
                Step(days=7, late_fee=LateFee(fixed={currency: "40.00"})),
                Step(days=14, kind="final_notice"),
            ],
            send_at=time(9),
            quiet_hours=QuietHours(start=time(20), end=time(8)),
        ),
        DunningPolicy(steps=[Step(days=1), Step(days=10, kind="final_notice")], send_at=time(8)),
        DunningPolicy(steps=[Step(days=0), Step(days=5), Step(days=20, kind="final_notice")]),
    )


#: How a customer pays: on time, late, in two parts, after a failed card, never, or pays and
#: gets part back. The first is the untroubled customer; the others are drawn for the rest.
BEHAVIOURS: Final = ("prompt", "late", "partial", "card_fails", "declined", "never", "refunds")


@attrs.frozen
class Customer:
    """One simulated customer: whose, who, and how they pay."""

    seller_id: str
    id: str
    behaviour: str
    currency: str


@attrs.frozen
class World:
    """What ``build_world`` made: the sellers and their customers, in a fixed order."""

    sellers: tuple[str, ...]
    customers: tuple[Customer, ...]
    templates: tuple[str, ...]


def build_world(
    billing: Billing, rng: random.Random, config: SimulationConfig, start: datetime
) -> World:
    """Create the sellers, customers and monthly templates of a run (ids from their order)."""
    sellers: list[str] = []
    customers: list[Customer] = []
    templates: list[str] = []
    for s in range(config.sellers):
        country, currency, zone = _SELLERS[s % len(_SELLERS)]
        seller = billing.sellers.create(
            id=f"s{s}",
            name=f"Seller {s}",
            country=country,
            currency=currency,
            timezone=zone,
            dunning=rng.choice(_policies(currency)),
        )
        sellers.append(seller.id)
        books = billing.seller(seller.id)
        for c in range(config.customers):
            troubled = rng.random() < config.troubled_share
            behaviour = rng.choice(BEHAVIOURS[1:]) if troubled else BEHAVIOURS[0]
            customer = books.customers.create(
                f"Customer {s}-{c}", id=f"s{s}c{c}", email=f"c{c}@s{s}.example"
            )
            customers.append(Customer(seller.id, customer.id, behaviour, currency))
            if rng.random() < config.retainer_share:
                template = books.recurring.create(
                    customer.id,
                    id=f"{customer.id}r",
                    schedule=Schedule.monthly(start.date().replace(day=1), zone),
                    lines=[retainer_line(rng)],
                    terms=NetDays(14),
                )
                templates.append(template.id)
    return World(tuple(sellers), tuple(customers), tuple(templates))


def retainer_line(rng: random.Random) -> Line:
    """A monthly retainer of 100 to 5,000 with 19 % VAT, its month in the description."""
    price = Decimal(rng.randrange(10_000, 500_000)) / 100
    return Line("Retainer {month_name} {year}", quantity=1, unit_price=price, tax=Vat("19"))


def project_line(rng: random.Random, n: int) -> Line:
    """A one-off project line: 1 to 40 hours at 60 to 150."""
    return Line(
        f"Project work {n}",
        quantity=Decimal(rng.randrange(1, 41)),
        unit_price=Decimal(rng.randrange(60, 151)),
        tax=Vat("19"),
    )
