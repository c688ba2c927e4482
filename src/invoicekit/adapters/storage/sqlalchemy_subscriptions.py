"""Plans, coupons and subscriptions of ``SqlAlchemyStorage`` (0009); they behave as ``MemoryStorage``'s do.

``claim_many`` locks rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers
billing at once each take different subscriptions and never wait on each other.
"""

from __future__ import annotations

import builtins
from typing import Any

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_customer_coupons import SqlCustomerCoupons
from invoicekit.adapters.storage.sqlalchemy_tables import (
    COUPONS,
    PLANS,
    SUBSCRIPTIONS,
    Context,
)
from invoicekit.adapters.storage.sqlalchemy_versioned import SqlVersioned
from invoicekit.adapters.storage.subscription_rows import SubscriptionRows
from invoicekit.domain.coupons import Coupon
from invoicekit.domain.pricing import Plan
from invoicekit.errors import DuplicateError, NotFoundError
from invoicekit.serialization.subscriptions import (
    coupon_from_text,
    coupon_text,
    plan_from_text,
    plan_text,
)
from invoicekit.subscription_records import SubscriptionRecord

__all__ = ["SqlCatalog", "SqlSubscriptions"]


class SqlCatalog(SqlCustomerCoupons):
    """``CatalogRepository`` on one transaction's ``Context``: plans, coupons, customers' coupons."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx

    def add_plan(self, seller_id: str, plan: Plan) -> None:
        """Store a new plan; DuplicateError when the seller has its id."""
        values = {"seller_id": seller_id, "id": plan.id, "doc": plan_text(self._c.converter, plan)}
        if not self._c.insert_new("store a plan", PLANS, values):
            raise DuplicateError(f"plan {plan.id!r} already exists")

    def get_plan(self, seller_id: str, plan_id: str) -> Plan:
        """The seller's plan; NotFoundError otherwise."""
        query = sa.select(PLANS.c.doc).where(PLANS.c.seller_id == seller_id, PLANS.c.id == plan_id)
        row = self._c.first("read a plan", query)
        if row is None:
            raise NotFoundError("plan", plan_id)
        return plan_from_text(self._c.converter, row.doc, self._c.url)

    def update_plan(self, seller_id: str, plan: Plan) -> None:
        """Replace the stored plan; NotFoundError when it is not stored."""
        statement = (
            sa.update(PLANS)
            .where(PLANS.c.seller_id == seller_id, PLANS.c.id == plan.id)
            .values(doc=plan_text(self._c.converter, plan))
        )
        if self._c.count("update a plan", statement) != 1:
            raise NotFoundError("plan", plan.id)

    def list_plans(self, seller_id: str) -> builtins.list[Plan]:
        """The seller's plans ordered by id."""
        query = sa.select(PLANS.c.doc).where(PLANS.c.seller_id == seller_id).order_by(PLANS.c.id)
        rows = self._c.rows("list plans", query)
        return [plan_from_text(self._c.converter, row.doc, self._c.url) for row in rows]

    def add_coupon(self, seller_id: str, coupon: Coupon) -> None:
        """Store a new coupon; DuplicateError when the seller has its id."""
        doc = coupon_text(self._c.converter, coupon)
        values = {"seller_id": seller_id, "id": coupon.id, "doc": doc}
        if not self._c.insert_new("store a coupon", COUPONS, values):
            raise DuplicateError(f"coupon {coupon.id!r} already exists")

    def get_coupon(self, seller_id: str, coupon_id: str) -> Coupon:
        """The seller's coupon; NotFoundError otherwise."""
        query = sa.select(COUPONS.c.doc).where(
            COUPONS.c.seller_id == seller_id, COUPONS.c.id == coupon_id
        )
        row = self._c.first("read a coupon", query)
        if row is None:
            raise NotFoundError("coupon", coupon_id)
        return coupon_from_text(self._c.converter, row.doc, self._c.url)

    def list_coupons(self, seller_id: str) -> builtins.list[Coupon]:
        """The seller's coupons ordered by id."""
        query = (
            sa.select(COUPONS.c.doc).where(COUPONS.c.seller_id == seller_id).order_by(COUPONS.c.id)
        )
        rows = self._c.rows("list coupons", query)
        return [coupon_from_text(self._c.converter, row.doc, self._c.url) for row in rows]


class SqlSubscriptions(SqlVersioned[SubscriptionRecord]):
    """``SubscriptionRepository`` on one transaction's ``Context``."""

    table = SUBSCRIPTIONS
    noun = "subscription"
    plural = "subscriptions"
    billing_operation = "list billing subscriptions"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._rows = SubscriptionRows(ctx.converter, ctx.url)

    def _record(self, row: Any) -> SubscriptionRecord:
        return self._rows.record(row._mapping)  # noqa: SLF001 - SQLAlchemy's public row mapping

    def _values(self, record: SubscriptionRecord, version: int) -> dict[str, Any]:
        return self._rows.values(record, version)

    @staticmethod
    def record_id(record: SubscriptionRecord) -> str:
        """The subscription's id."""
        return record.subscription.id

    def _billable(self) -> sa.ColumnElement[bool]:
        """Every subscription not ``finished``."""
        return SUBSCRIPTIONS.c.finished.is_(False)
