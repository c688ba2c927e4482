"""Plans and prices: what a subscription charges per period, and how usage is priced.

A plan offers prices, possibly in several currencies; a subscription picks one
currency and takes that currency's prices. A price is a fixed fee per period, a
per-seat price times the subscription's quantity, or a metered price rated from the
period's aggregated usage by a pricing model (per unit, package, graduated, volume,
percentage), with an optional minimum and maximum per period. ``Price.create`` and
``Plan.create`` check every field; ``domain.pricing_rate.rate`` prices a period. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, cast

import attrs

from invoicekit.domain import checks
from invoicekit.domain import pricing_checks as pc
from invoicekit.domain.line import MAX_PLACES, _taxes, _taxes_problems
from invoicekit.domain.schedule import Frequency
from invoicekit.domain.tax import Tax
from invoicekit.domain.usage import Meter
from invoicekit.errors import Problem, ValidationError, problem

__all__ = [
    "MAX_INTERVAL",
    "MAX_TRIAL_DAYS",
    "MODELS",
    "Plan",
    "Price",
    "PriceKind",
    "PricingModel",
    "Tier",
]

_ZERO: Final = Decimal(0)
_MAX_TEXT: Final = 1000
_MAX_UNIT: Final = 20
#: Longest trial a plan offers (two years).
MAX_TRIAL_DAYS: Final = 730
#: Most frequency units between bills (every 12 months, every 52 weeks...).
MAX_INTERVAL: Final = 520


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

    @classmethod
    def create(
        cls,
        *,
        id: str,
        description: str,
        currency: str,
        kind: PriceKind | str,
        model: PricingModel | str = PricingModel.PER_UNIT,
        unit_amount: Decimal | int | str = 0,
        package_size: Decimal | int | str | None = None,
        tiers: Iterable[Tier | Mapping[str, Any]] = (),
        percent: Decimal | int | str | None = None,
        fixed_fee: Decimal | int | str = 0,
        minimum: Decimal | int | str | None = None,
        maximum: Decimal | int | str | None = None,
        meter: Meter | str | None = None,
        tax: Tax | Iterable[Tax],
        unit: str = "C62",
    ) -> Price:
        """Check every field at once; one ValidationError lists each problem with its path.

        ``tiers`` take Tier values or mappings of their fields; ``meter`` a Meter or the key of
        one that sums its records. Amounts are Decimal, int or decimal strings (a float raises
        TypeError); ``minimum`` and ``maximum`` fit the currency's minor unit.
        """
        found = checks.identifier("id", id)
        found += checks.text("description", description, limit=_MAX_TEXT, one_line=False)
        code = pc.currency(found, "currency", currency)
        the_kind = pc.choice(found, "kind", kind, PriceKind)
        the_model = pc.choice(found, "model", model, PricingModel)
        if the_kind is not None and the_model is not None and the_model not in MODELS[the_kind]:
            allowed = ", ".join(repr(m.value) for m in MODELS[the_kind])
            found.append(problem("model", f"a {the_kind.value} price takes {allowed}", model))
        fields = _model_fields(
            found,
            the_model,
            unit_amount=unit_amount,
            package_size=package_size,
            tiers=tiers,
            percent=percent,
            fixed_fee=fixed_fee,
        )
        digits = pc.amount_places(code)
        low = pc.number(found, "minimum", minimum, most_places=digits)
        high = pc.number(found, "maximum", maximum, most_places=digits)
        if low is not None and high is not None and low > high:
            found.append(problem("maximum", f"must not be below the minimum {low}", high))
        the_meter = _meter(found, the_kind, meter)
        taxes = _taxes(tax)
        found += _taxes_problems("tax", taxes, required=True)
        if not isinstance(unit, str) or not 1 <= len(unit) <= _MAX_UNIT or not unit.isprintable():
            found.append(problem("unit", "must be a unit code of 1-20 characters", unit))
        checks.refuse(found, "price")
        return cls(
            id=id,
            description=description,
            currency=str(code),
            kind=cast(PriceKind, the_kind),
            model=cast(PricingModel, the_model),
            meter=the_meter,
            minimum=low,
            maximum=high,
            tax=taxes,
            unit=unit,
            **fields,
        )


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

    @classmethod
    def create(
        cls,
        *,
        id: str,
        name: str,
        frequency: Frequency | str,
        prices: Iterable[Price | Mapping[str, Any]],
        interval: int = 1,
        trial_days: int = 0,
    ) -> Plan:
        """Check every field at once; one ValidationError lists each problem with its path.

        ``prices`` take Price values or mappings of ``Price.create``'s arguments. Price ids are
        unique within a currency (the same id in two currencies is one price offered in both).
        """
        found = checks.identifier("id", id)
        found += checks.text("name", name, limit=pc.MAX_NAME)
        the_frequency = pc.choice(found, "frequency", frequency, Frequency, _FREQUENCIES)
        pc.count(found, "interval", interval, low=1, high=MAX_INTERVAL)
        pc.count(found, "trial_days", trial_days, low=0, high=MAX_TRIAL_DAYS)
        built = _prices(found, prices)
        checks.refuse(found, "plan")
        return cls(
            id=id,
            name=name,
            frequency=cast(Frequency, the_frequency),
            interval=interval,
            prices=built,
            trial_days=trial_days,
        )

    def currencies(self) -> tuple[str, ...]:
        """The currencies the plan has prices in, sorted."""
        return tuple(sorted({p.currency for p in self.prices}))

    def prices_in(self, currency: str) -> tuple[Price, ...]:
        """The plan's prices in ``currency``, in the plan's order."""
        return tuple(p for p in self.prices if p.currency == currency)


#: The pricing models each kind of price takes.
MODELS: Final[Mapping[PriceKind, tuple[PricingModel, ...]]] = {
    PriceKind.FIXED: (PricingModel.PER_UNIT,),
    PriceKind.SEATS: (
        PricingModel.PER_UNIT,
        PricingModel.PACKAGE,
        PricingModel.GRADUATED,
        PricingModel.VOLUME,
    ),
    PriceKind.METERED: tuple(PricingModel),
}
_FREQUENCIES: Final = (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.YEARLY, Frequency.WEEKLY)
_TIERED: Final = (PricingModel.GRADUATED, PricingModel.VOLUME)


def _model_fields(
    found: list[Problem],
    model: PricingModel | None,
    *,
    unit_amount: object,
    package_size: object,
    tiers: object,
    percent: object,
    fixed_fee: object,
) -> dict[str, Any]:
    """The fields the pricing model uses, checked; a field it does not use must be left unset."""
    out: dict[str, Any] = {}
    if model in _TIERED:
        pc.forbidden(found, "unit_amount", unit_amount, f"a {model} price is priced by its tiers")
    elif model is PricingModel.PERCENTAGE:
        why = "a percentage price is priced by percent and fixed_fee"
        pc.forbidden(found, "unit_amount", unit_amount, why)
    else:
        out["unit_amount"] = pc.number(found, "unit_amount", unit_amount, required=True)
    if model is PricingModel.PACKAGE:
        out["package_size"] = pc.number(
            found,
            "package_size",
            package_size,
            required=True,
            low_inclusive=False,
            high=pc.MAX_QUANTITY_BOUND,
            most_places=6,
        )
    else:
        pc.forbidden(found, "package_size", package_size, "only a package price has one")
    rows = pc.tier_rows(found, "tiers", tiers)
    if model in _TIERED:
        if not rows and not any(p.path.startswith("tiers") for p in found):
            found.append(problem("tiers", f"a {model} price needs at least one tier"))
        out["tiers"] = tuple(Tier(up_to=u, unit_amount=a, flat_amount=f) for u, a, f in rows)
    elif rows or (tiers is not None and not _empty(tiers)):
        found.append(problem("tiers", "only graduated and volume prices have tiers"))
    if model is PricingModel.PERCENTAGE:
        # percent / 100 is a line's unit price: it keeps at most MAX_PLACES places.
        out["percent"] = pc.number(
            found, "percent", percent, required=True, high=Decimal(100), most_places=MAX_PLACES - 2
        )
        out["fixed_fee"] = pc.number(found, "fixed_fee", fixed_fee, required=True)
    else:
        pc.forbidden(found, "percent", percent, "only a percentage price has a percent")
        pc.forbidden(found, "fixed_fee", fixed_fee, "only a percentage price has a fee per event")
    return {k: v for k, v in out.items() if v is not None}


def _empty(value: object) -> bool:
    return isinstance(value, tuple | list) and not value


def _meter(found: list[Problem], kind: PriceKind | None, meter: object) -> Meter | None:
    """The meter of a metered price (a key str stands for a summing meter); none for the rest."""
    if kind is not PriceKind.METERED:
        if meter is not None and kind is not None:
            found.append(problem("meter", f"only a metered price has a meter (this is {kind})"))
        return None
    if isinstance(meter, str):
        meter = Meter(key=meter)
    if not isinstance(meter, Meter):
        found.append(problem("meter", "a metered price needs a Meter (or a meter key str)", meter))
        return None
    found += checks.identifier("meter.key", meter.key)
    return meter


def _prices(found: list[Problem], prices: object) -> tuple[Price, ...]:
    """The plan's prices, built from Price values or mappings; ids unique per currency."""
    items = checks.plural(prices)
    if not isinstance(items, tuple) or not items:
        found.append(problem("prices", "needs at least one Price (or mapping of its fields)"))
        return ()
    built: list[Price] = []
    seen: set[tuple[str, str]] = set()
    for i, given in enumerate(items):
        item = given
        if isinstance(given, Mapping):
            try:
                item = Price.create(**given)
            except ValidationError as exc:
                found.extend(exc.prefixed(f"prices[{i}]").problems)
                continue
            except TypeError as exc:
                if "float" in str(exc):
                    raise
                found.append(problem(f"prices[{i}]", f"bad fields: {exc}"))
                continue
        if not isinstance(item, Price):
            found.append(
                problem(f"prices[{i}]", "must be a Price or a mapping of its fields", item)
            )
            continue
        if (item.id, item.currency) in seen:
            found.append(
                problem(f"prices[{i}].id", f"two prices with this id in {item.currency}", item.id)
            )
        seen.add((item.id, item.currency))
        built.append(item)
    return tuple(built)
