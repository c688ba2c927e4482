"""Usage records and meters: what a metered price counts, and how a period's usage is aggregated.

A usage record is one event the host sends (idempotent by ``key``: the same record sent
twice counts once). A meter names the records it counts and how they aggregate over a
period. ``aggregate`` is the reference the storage adapters' SQL aggregates must equal.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

import attrs

__all__ = ["Aggregation", "Meter", "Usage", "UsageRecord"]

_ZERO: Final = Decimal(0)


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
    properties: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Usage:
    """A period's aggregated usage of one meter: the quantity priced, and the events counted."""

    quantity: Decimal = _ZERO
    events: int = 0
