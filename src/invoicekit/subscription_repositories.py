"""The storage ports of subscriptions: the seller's catalogue (plans, coupons), subscriptions, usage.

Every adapter (memory, SQLite, SQLAlchemy) implements them; ``invoicekit.testing``'s
storage contract suite says how they behave. Usage is append-only and built for volume:
records are added in batches and aggregated in the database, never loaded one by one.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from invoicekit.domain.coupons import Coupon
from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.domain.pricing import Plan
from invoicekit.domain.usage import Aggregation, Usage, UsageRecord
from invoicekit.subscription_records import SubscriptionRecord, UsageQuery

__all__ = [
    "CatalogRepository",
    "SubscriptionRepository",
    "UsageRepository",
]


class CatalogRepository(Protocol):
    """One seller's plans and coupons, and the coupon each customer holds."""

    def add_plan(self, seller_id: str, plan: Plan) -> None:
        """Store a new plan. Raises DuplicateError if the seller has its id."""

    def get_plan(self, seller_id: str, plan_id: str) -> Plan:
        """The plan. Raises NotFoundError, also for another seller's id."""

    def update_plan(self, seller_id: str, plan: Plan) -> None:
        """Replace the stored plan (subscriptions keep the prices they copied). NotFoundError."""

    def list_plans(self, seller_id: str) -> builtins.list[Plan]:
        """The seller's plans ordered by id."""

    def add_coupon(self, seller_id: str, coupon: Coupon) -> None:
        """Store a new coupon. Raises DuplicateError if the seller has its id."""

    def get_coupon(self, seller_id: str, coupon_id: str) -> Coupon:
        """The coupon. Raises NotFoundError, also for another seller's id."""

    def list_coupons(self, seller_id: str) -> builtins.list[Coupon]:
        """The seller's coupons ordered by id."""

    def put_customer_coupon(self, seller_id: str, applied: CustomerCoupon) -> None:
        """Store the coupon ``applied.customer_id`` holds, replacing the one it held."""

    def get_customer_coupon(self, seller_id: str, customer_id: str) -> CustomerCoupon | None:
        """The coupon the seller's customer holds (None without one, or for another seller's)."""

    def remove_customer_coupon(self, seller_id: str, customer_id: str) -> bool:
        """Forget the customer's coupon; False when they held none."""


class SubscriptionRepository(Protocol):
    """One seller's subscriptions, with optimistic concurrency on ``version``."""

    def add(self, record: SubscriptionRecord) -> None:
        """Store a new subscription. Raises DuplicateError if (seller, id) exists."""

    def get(
        self, seller_id: str, subscription_id: str, *, for_update: bool = False
    ) -> SubscriptionRecord:
        """The subscription; ``for_update`` locks its row until the transaction ends where it can.

        Raises NotFoundError, also for another seller's id.
        """

    def claim_many(
        self, seller_id: str, subscription_ids: Sequence[str]
    ) -> builtins.list[SubscriptionRecord]:
        """Lock many until the transaction ends (PostgreSQL: SKIP LOCKED), ordered by id.

        Those not stored or held by another worker are left out.
        """

    def save(self, record: SubscriptionRecord, *, expected_version: int) -> SubscriptionRecord:
        """Replace it if its version is ``expected_version``; returns it at +1.

        Raises ConcurrencyError (retryable) when someone saved it first, NotFoundError.
        """

    def save_many(self, records: Sequence[SubscriptionRecord]) -> None:
        """``save`` each at its own ``version`` (read in this transaction), in few statements."""

    def list(
        self,
        seller_id: str,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> builtins.list[SubscriptionRecord]:
        """The seller's subscriptions ordered by id, filtered, ``limit`` at a time after ``after``."""

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, subscription id) of every subscription not ``finished``, ordered."""


class UsageRepository(Protocol):
    """Usage records: appended in batches, deduplicated by (seller, key), aggregated in the store."""

    def add_many(self, records: Sequence[UsageRecord]) -> builtins.list[bool]:
        """Append the records; per record True when stored, False when its key was stored already.

        A key stored with other content (subscription, meter, quantity, time or properties)
        raises DuplicateError naming the key, and nothing of the batch is stored.
        """

    def aggregate(
        self, query: UsageQuery, aggregation: Aggregation, *, prop: str | None = None
    ) -> Usage:
        """The records matching ``query`` aggregated as ``aggregation`` (``domain.usage`` defines it).

        ``prop``: the property UNIQUE_COUNT counts distinct values of.
        """

    def aggregate_many(
        self, queries: Sequence[tuple[UsageQuery, Aggregation, str | None]]
    ) -> builtins.list[Usage]:
        """``[aggregate(q, a, prop=p) for q, a, p in queries]``, in far fewer round trips.

        For a page of subscriptions at once (``run_due``): one statement per group of
        queries sharing aggregation, property, seller and ``received_before``.
        """

    def late(
        self, seller_id: str, subscription_id: str, *, received_from: datetime, before: datetime
    ) -> builtins.list[tuple[str, datetime]]:
        """(meter, at) of records received at or after ``received_from`` stamped before ``before``."""
