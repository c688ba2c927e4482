"""Plans and prices: what a subscription charges per period, and how usage is priced.

A plan offers prices, possibly in several currencies; a subscription picks one
currency and takes that currency's prices. A price is a fixed fee per period, a
per-seat price times the subscription's quantity, or a metered price rated from the
period's aggregated usage by a pricing model (per unit, package, graduated, volume,
percentage), with an optional minimum and maximum per period. Pure: no I/O.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Final

import attrs

from invoicekit.domain.schedule import Frequency
from invoicekit.domain.tax import Tax
from invoicekit.domain.usage import Meter

__all__ = [
    "Plan",
    "Price",
    "PriceKind",
    "PricingModel",
    "Tier",
]

_ZERO: Final = Decimal(0)


class PriceKind(StrEnum):
    """What a price charges for."""

    #: A fixed fee every period (billed in advance).
    FIXED = "fixed"
    #: A price per seat: the subscription item's quantity (billed in advance).
    SEATS = "seats"
    #: Usage aggregated over the period by the price's meter (billed in arrears).
    METERED = "metered"


class PricingModel(StrEnum):
    """How a quantity (seats or aggregated usage) becomes an amount."""

    #: ``quantity × unit_amount``.
    PER_UNIT = "per_unit"
    #: ``ceil(quantity / package_size) × unit_amount`` (per 1,000, rounded up).
    PACKAGE = "package"
    #: Each tier prices the units that fall in it (the first 1,000 at one price, the next...).
    GRADUATED = "graduated"
    #: The tier the whole quantity reaches prices every unit.
    VOLUME = "volume"
    #: ``percent`` of the summed amount plus ``fixed_fee`` per event.
    PERCENTAGE = "percentage"


@attrs.frozen(kw_only=True)
class Tier:
    """One tier: units up to and including ``up_to`` (None: no upper bound) at these amounts."""

    up_to: Decimal | None
    #: Per unit in this tier.
    unit_amount: Decimal = _ZERO
    #: Once, when the quantity reaches this tier.
    flat_amount: Decimal = _ZERO


@attrs.frozen(kw_only=True)
class Price:
    """One price of a plan, in one currency; build with ``Price.create`` (checks every field)."""

    id: str
    #: Shown on the invoice line ("Pro plan", "API calls").
    description: str
    currency: str
    kind: PriceKind
    model: PricingModel = PricingModel.PER_UNIT
    #: FIXED: the fee; SEATS and PER_UNIT: per unit; PACKAGE: per package.
    unit_amount: Decimal = _ZERO
    #: PACKAGE: units per package.
    package_size: Decimal | None = None
    #: GRADUATED and VOLUME: contiguous tiers, the last without ``up_to``.
    tiers: tuple[Tier, ...] = ()
    #: PERCENTAGE: percent of the summed amount.
    percent: Decimal | None = None
    #: PERCENTAGE: per event.
    fixed_fee: Decimal = _ZERO
    #: Per period, before tax: the rated amount is raised to the minimum...
    minimum: Decimal | None = None
    #: ...and capped at the maximum.
    maximum: Decimal | None = None
    #: METERED: which usage, and how it is aggregated over the period.
    meter: Meter | None = None
    #: As on lines (EN 16931 tax category and rate).
    taxes: tuple[Tax, ...] = attrs.field(alias="tax")
    #: UN/ECE Recommendation 20 unit code of the line.
    unit: str = "C62"


@attrs.frozen(kw_only=True)
class Plan:
    """A named set of prices billed on one schedule frequency; build with ``Plan.create``."""

    id: str
    name: str
    frequency: Frequency
    #: Every ``interval`` frequency units (2 with MONTHLY: every two months).
    interval: int = 1
    prices: tuple[Price, ...] = ()
    #: Days of free trial a new subscription gets unless it says otherwise.
    trial_days: int = 0

    def currencies(self) -> tuple[str, ...]:
        """The currencies the plan has prices in, sorted."""
        return tuple(sorted({p.currency for p in self.prices}))

    def prices_in(self, currency: str) -> tuple[Price, ...]:
        """The plan's prices in ``currency``, in the plan's order."""
        return tuple(p for p in self.prices if p.currency == currency)
