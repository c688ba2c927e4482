"""Usage records and meters: what a metered price counts, and how a period's usage is aggregated.

A usage record is one event the host sends (idempotent by ``key``: the same record sent
twice counts once). A meter names the records it counts and how they aggregate over a
period. ``aggregate`` is the reference the storage adapters' SQL aggregates must equal.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from typing import Final

import attrs

from invoicekit.domain.checks import MAX_ID, MAX_KEY, identifier, refuse, text
from invoicekit.domain.frozen import FrozenMapping
from invoicekit.errors import Problem, problem

__all__ = [
    "DEFAULT_USAGE_GRACE",
    "MAX_PROPERTIES",
    "MAX_PROPERTY_KEY",
    "MAX_PROPERTY_TEXT",
    "MAX_USAGE_GRACE",
    "MAX_USAGE_QUANTITY",
    "ON_DUNNING_END",
    "PROPERTY_KEY",
    "USAGE_PLACES",
    "Aggregation",
    "Meter",
    "Usage",
    "UsageRecord",
    "aggregate",
    "level_before",
    "quantity_units",
    "subscription_setting_problems",
    "weighted_quantity",
]

_ZERO: Final = Decimal(0)
#: How long a closed period's invoice waits for late usage unless the seller says otherwise.
DEFAULT_USAGE_GRACE: Final = timedelta(hours=1)
#: The longest usage grace a seller may set.
MAX_USAGE_GRACE: Final = timedelta(days=7)
#: What a subscription may become when dunning ends without payment (the first is the default).
ON_DUNNING_END: Final = ("canceled", "unpaid")
#: Usage quantities have at most this many decimal places (stored exactly, scaled by 10**6).
USAGE_PLACES: Final = 6
#: The largest usage quantity of one record.
MAX_USAGE_QUANTITY: Final = Decimal(10**12)
#: Properties limits: keys, key length (letters, digits, ``_ - . :``), value length.
MAX_PROPERTIES: Final = 20
MAX_PROPERTY_KEY: Final = 40
MAX_PROPERTY_TEXT: Final = 200
_SCALE: Final = 10**USAGE_PLACES
_QUANTUM: Final = Decimal(1).scaleb(-USAGE_PLACES)
#: Microseconds in an hour: WEIGHTED_SUM integrates levels over hours.
_HOUR_US: Final = 3_600_000_000
#: What a property key may be.
PROPERTY_KEY: Final = re.compile(r"[A-Za-z0-9_.:\-]{1,40}")


class Aggregation(StrEnum):
    """How a meter's records aggregate over a period."""

    #: The sum of the quantities.
    SUM = "sum"
    #: The number of records.
    COUNT = "count"
    #: The largest quantity.
    MAX = "max"
    #: The number of distinct values of the meter's ``property``.
    UNIQUE_COUNT = "unique_count"
    #: The quantity of the latest record in the period.
    LAST = "last"
    #: Quantities are changes of a level; the level integrated over time (seat-hours).
    WEIGHTED_SUM = "weighted_sum"


@attrs.frozen(kw_only=True)
class Meter:
    """Which usage records a metered price counts (by ``key``), and how they aggregate."""

    #: The name records are sent under ("api_calls").
    key: str
    aggregation: Aggregation = Aggregation.SUM
    #: UNIQUE_COUNT: the property whose distinct values are counted.
    property: str | None = None


@attrs.frozen(kw_only=True)
class UsageRecord:
    """One usage event of a subscription, as stored."""

    seller_id: str
    subscription_id: str
    #: The meter key it counts for.
    meter: str
    #: The idempotency key: unique per seller; the same key again is the same record.
    key: str
    quantity: Decimal
    #: When the usage happened (aware); decides the period it belongs to.
    at: datetime
    #: When invoicekit received it (aware, the clock's); decides late-usage handling.
    received_at: datetime
    properties: Mapping[str, str] = attrs.field(factory=FrozenMapping)

    @classmethod
    def create(
        cls,
        *,
        seller_id: str,
        subscription_id: str,
        meter: str,
        key: str,
        quantity: Decimal | int | str,
        at: datetime,
        received_at: datetime,
        properties: Mapping[str, str] | None = None,
    ) -> UsageRecord:
        """A checked record: one ValidationError lists every bad field with its path.

        ``quantity`` is a Decimal, int or decimal str (never a float): 0 to 10**12 with at
        most 6 decimal places. Times are timezone-aware. ``properties`` maps at most 20
        keys (letters, digits, ``_ - . :``, at most 40) to str values of at most 200.
        """
        found = [
            *identifier("seller_id", seller_id),
            *identifier("subscription_id", subscription_id),
            *identifier("meter", meter, limit=MAX_ID),
            *identifier("key", key, limit=MAX_KEY),
            *_aware("at", at),
            *_aware("received_at", received_at),
            *_properties("properties", properties),
        ]
        amount, bad = _quantity("quantity", quantity)
        found += bad
        refuse(found, "usage record")
        return cls(
            seller_id=seller_id,
            subscription_id=subscription_id,
            meter=meter,
            key=key,
            quantity=amount,
            at=at,
            received_at=received_at,
            properties=FrozenMapping(properties or {}),
        )


@attrs.frozen
class Usage:
    """A period's aggregated usage of one meter: the quantity priced, and the events counted."""

    quantity: Decimal = _ZERO
    events: int = 0


def _aware(path: str, value: object) -> list[Problem]:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return []
    return [problem(path, "must be a timezone-aware datetime", value)]


def _quantity(path: str, value: object) -> tuple[Decimal, list[Problem]]:
    allowed = f"a Decimal, int or decimal str from 0 to 10**12 with at most {USAGE_PLACES} places"
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        return _ZERO, [problem(path, f"must be {allowed} (never a float)", value)]
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        return _ZERO, [problem(path, f"must be {allowed}", value)]
    if not amount.is_finite() or not _ZERO <= amount <= MAX_USAGE_QUANTITY:
        return _ZERO, [problem(path, f"must be {allowed}", value)]
    if amount != amount.quantize(_QUANTUM, rounding=ROUND_HALF_UP):
        return _ZERO, [problem(path, f"must be {allowed}", value)]
    return amount, []


def _properties(path: str, value: object) -> list[Problem]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [problem(path, "must be a dict of str keys to str values", value)]
    if len(value) > MAX_PROPERTIES:
        return [problem(path, f"at most {MAX_PROPERTIES} keys (got {len(value)})")]
    found: list[Problem] = []
    for key, item in value.items():
        where = f"{path}[{key!r}]"
        if not isinstance(key, str) or not PROPERTY_KEY.fullmatch(key):
            found.append(
                problem(
                    where,
                    f"keys are 1 to {MAX_PROPERTY_KEY} letters, digits or _ - . :",
                    key,
                )
            )
        found += text(where, item, limit=MAX_PROPERTY_TEXT)
    return found


def quantity_units(quantity: Decimal) -> int:
    """A usage quantity as the integer stored for it: scaled by 10**6 (exact sums)."""
    return int(quantity.scaleb(USAGE_PLACES))


def weighted_quantity(level_microhours: int) -> Decimal:
    """Σ level × microseconds (levels scaled by 10**6) as level-hours, half-up to 6 places."""
    with localcontext() as ctx:
        ctx.prec = 60
        hours = Decimal(level_microhours) / (_SCALE * _HOUR_US)
        return hours.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


def _order(record: UsageRecord) -> tuple[datetime, str]:
    return (record.at, record.key)


def aggregate(
    meter: Meter,
    records: Iterable[UsageRecord],
    start: datetime,
    end: datetime,
    *,
    level_before: Decimal | int = 0,
) -> Usage:
    """The reference aggregate of the records with ``start <= at < end``; adapters' SQL equals it.

    ``events`` counts those records. SUM, COUNT and MAX (0 with none) as named;
    UNIQUE_COUNT counts distinct values of ``meter.property`` (records without it are
    not counted); LAST is the quantity of the latest ``at`` (ties: the greatest key; 0
    with none). WEIGHTED_SUM: each quantity is the level from its ``at`` on (before the
    first, ``level_before``, the level of the last record before ``start``), integrated
    over [start, end) in hours, rounded half-up to 6 places.
    """
    inside = sorted((r for r in records if start <= r.at < end), key=_order)
    events = len(inside)
    kind = meter.aggregation
    if kind is Aggregation.SUM:
        return Usage(sum((r.quantity for r in inside), _ZERO), events)
    if kind is Aggregation.COUNT:
        return Usage(Decimal(events), events)
    if kind is Aggregation.MAX:
        return Usage(max((r.quantity for r in inside), default=_ZERO), events)
    if kind is Aggregation.UNIQUE_COUNT:
        prop = meter.property or ""
        values = {r.properties[prop] for r in inside if prop in r.properties}
        return Usage(Decimal(len(values)), events)
    if kind is Aggregation.LAST:
        return Usage(inside[-1].quantity if inside else _ZERO, events)
    total = 0
    level, since = quantity_units(Decimal(level_before)), start
    for record in inside:
        total += level * _microseconds(since, record.at)
        level, since = quantity_units(record.quantity), record.at
    total += level * _microseconds(since, end)
    return Usage(weighted_quantity(total), events)


def _microseconds(since: datetime, until: datetime) -> int:
    delta = until - since
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def level_before(records: Iterable[UsageRecord], start: datetime) -> Decimal:
    """WEIGHTED_SUM: the quantity of the last record (by ``at``, then key) before ``start``, or 0."""
    before = [r for r in records if r.at < start]
    return max(before, key=_order).quantity if before else _ZERO


def subscription_setting_problems(usage_grace: object, on_dunning_end: object) -> list[Problem]:
    """The seller's ``usage_grace`` and ``subscription_on_dunning_end`` settings."""
    found: list[Problem] = []
    if not isinstance(usage_grace, timedelta) or not (
        timedelta(0) <= usage_grace <= MAX_USAGE_GRACE
    ):
        found.append(
            problem(
                "usage_grace",
                "must be a timedelta from 0 to 7 days (1 hour by default)",
                usage_grace,
            )
        )
    if on_dunning_end not in ON_DUNNING_END:
        found.append(
            problem(
                "subscription_on_dunning_end",
                f"allowed: {', '.join(ON_DUNNING_END)}",
                on_dunning_end,
            )
        )
    return found
