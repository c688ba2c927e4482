"""Plans, coupons and subscriptions in memory (``CatalogRepository``, ``SubscriptionRepository``)."""

from __future__ import annotations

import builtins
from typing import Any

from invoicekit.adapters.storage.memory_customer_coupons import MemoryCustomerCoupons
from invoicekit.adapters.storage.memory_versioned import MemoryVersioned
from invoicekit.domain.coupons import Coupon
from invoicekit.domain.pricing import Plan
from invoicekit.domain.subscription import Subscription
from invoicekit.errors import DuplicateError, NotFoundError
from invoicekit.subscription_records import SubscriptionRecord

__all__ = ["MemoryCatalog", "MemorySubscriptions"]


class MemoryCatalog(MemoryCustomerCoupons):
    """Plans and coupons keyed by (seller id, id); customers' coupons by (seller id, customer id)."""

    def __init__(self, plans: Any, coupons: Any, customer_coupons: Any) -> None:
        self._plans = plans
        self._coupons = coupons
        self._customer_coupons = customer_coupons

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


class MemorySubscriptions(MemoryVersioned[SubscriptionRecord]):
    """Subscription records keyed by (seller id, subscription id)."""

    noun = "subscription"

    @staticmethod
    def item(record: SubscriptionRecord) -> Subscription:
        """The subscription the record holds."""
        return record.subscription

    @staticmethod
    def billable(record: SubscriptionRecord) -> bool:
        """Every subscription not ``finished``."""
        return not record.finished
