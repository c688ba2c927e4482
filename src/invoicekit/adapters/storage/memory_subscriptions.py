"""Plans, coupons and subscriptions in memory (``CatalogRepository``, ``SubscriptionRepository``)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import attrs

from invoicekit.domain.coupons import Coupon
from invoicekit.domain.pricing import Plan
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.subscription_records import SubscriptionRecord

__all__ = ["MemoryCatalog", "MemorySubscriptions"]


class MemoryCatalog:
    """Plans and coupons keyed by (seller id, id)."""

    def __init__(self, plans: Any, coupons: Any) -> None:
        self._plans = plans
        self._coupons = coupons

    def add_plan(self, seller_id: str, plan: Plan) -> None:
        """Store a new plan; DuplicateError when the seller has its id."""
        if self._plans.get((seller_id, plan.id)) is not None:
            raise DuplicateError(f"plan {plan.id!r} already exists")
        self._plans.put((seller_id, plan.id), plan)

    def get_plan(self, seller_id: str, plan_id: str) -> Plan:
        """The seller's plan; NotFoundError otherwise."""
        found: Plan | None = self._plans.get((seller_id, plan_id))
        if found is None:
            raise NotFoundError("plan", plan_id)
        return found

    def update_plan(self, seller_id: str, plan: Plan) -> None:
        """Replace the stored plan; NotFoundError when it is not stored."""
        self.get_plan(seller_id, plan.id)
        self._plans.put((seller_id, plan.id), plan)

    def list_plans(self, seller_id: str) -> builtins.list[Plan]:
        """The seller's plans ordered by id."""
        return [p for (s, _), p in sorted(self._items(self._plans)) if s == seller_id]

    def add_coupon(self, seller_id: str, coupon: Coupon) -> None:
        """Store a new coupon; DuplicateError when the seller has its id."""
        if self._coupons.get((seller_id, coupon.id)) is not None:
            raise DuplicateError(f"coupon {coupon.id!r} already exists")
        self._coupons.put((seller_id, coupon.id), coupon)

    def get_coupon(self, seller_id: str, coupon_id: str) -> Coupon:
        """The seller's coupon; NotFoundError otherwise."""
        found: Coupon | None = self._coupons.get((seller_id, coupon_id))
        if found is None:
            raise NotFoundError("coupon", coupon_id)
        return found

    def list_coupons(self, seller_id: str) -> builtins.list[Coupon]:
        """The seller's coupons ordered by id."""
        return [c for (s, _), c in sorted(self._items(self._coupons)) if s == seller_id]

    @staticmethod
    def _items(table: Any) -> builtins.list[tuple[tuple[str, str], Any]]:
        return [((seller, value.id), value) for seller, value in _seller_values(table)]


def _seller_values(table: Any) -> builtins.list[tuple[str, Any]]:
    """(seller id, value) of every row; the key's seller is kept beside each value."""
    keys = [k for k in table.rows if k not in table.changes] + list(table.changes)
    return [(k[0], v) for k in keys if (v := table.get(k)) is not None]


class MemorySubscriptions:
    """Subscription records keyed by (seller id, subscription id)."""

    def __init__(self, table: Any) -> None:
        self._t = table

    def add(self, record: SubscriptionRecord) -> None:
        """Store a new subscription; DuplicateError when the seller has its id."""
        key = (record.seller_id, record.subscription.id)
        if self._t.get(key) is not None:
            raise DuplicateError(f"subscription {record.subscription.id!r} already exists")
        self._t.put(key, attrs.evolve(record, version=1))

    def get(
        self,
        seller_id: str,
        subscription_id: str,
        *,
        for_update: bool = False,  # noqa: ARG002 - one writer at a time
    ) -> SubscriptionRecord:
        """The seller's subscription; NotFoundError otherwise."""
        found: SubscriptionRecord | None = self._t.get((seller_id, subscription_id))
        if found is None:
            raise NotFoundError("subscription", subscription_id)
        return found

    def claim_many(
        self, seller_id: str, subscription_ids: Sequence[str]
    ) -> builtins.list[SubscriptionRecord]:
        """The stored ones among ``subscription_ids``, ordered by id."""
        found = (self._t.get((seller_id, s)) for s in sorted(set(subscription_ids)))
        return [r for r in found if r is not None]

    def save(self, record: SubscriptionRecord, *, expected_version: int) -> SubscriptionRecord:
        """Replace it at ``expected_version``; returns it at the next version."""
        stored = self.get(record.seller_id, record.subscription.id)
        if stored.version != expected_version:
            raise ConcurrencyError(
                f"subscription {record.subscription.id!r} was changed by someone else; retry",
                retryable=True,
            )
        saved = attrs.evolve(record, version=expected_version + 1)
        self._t.put((record.seller_id, record.subscription.id), saved)
        return saved

    def save_many(self, records: Sequence[SubscriptionRecord]) -> None:
        """``save`` each at its own version."""
        for record in records:
            self.save(record, expected_version=record.version)

    def list(
        self,
        seller_id: str,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> builtins.list[SubscriptionRecord]:
        """The seller's subscriptions ordered by id, filtered."""
        found = sorted(
            (
                r
                for r in self._t.values()
                if r.seller_id == seller_id
                and (customer_id is None or r.subscription.customer_id == customer_id)
                and (status is None or r.subscription.status == status)
                and (after is None or r.subscription.id > after)
            ),
            key=lambda r: r.subscription.id,
        )
        return found[:limit]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, subscription id) of every subscription not ``finished``, ordered."""
        return sorted(
            (r.seller_id, r.subscription.id)
            for r in self._t.values()
            if not r.finished and (seller_id is None or r.seller_id == seller_id)
        )
