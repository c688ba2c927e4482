"""Plans, coupons and subscriptions of ``SqlAlchemyStorage`` (0009); they behave as ``MemoryStorage``'s do.

``claim_many`` locks rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers
billing at once each take different subscriptions and never wait on each other.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Final

import attrs
import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_tables import (
    COUPONS,
    PLANS,
    SUBSCRIPTIONS,
    Context,
)
from invoicekit.adapters.storage.subscription_rows import SubscriptionRows
from invoicekit.domain.coupons import Coupon
from invoicekit.domain.pricing import Plan
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.serialization.subscriptions import (
    coupon_from_text,
    coupon_text,
    plan_from_text,
    plan_text,
)
from invoicekit.subscription_records import SubscriptionRecord

__all__ = ["SqlCatalog", "SqlSubscriptions"]

_b = sa.bindparam
_S = SUBSCRIPTIONS
#: Ids per statement.
_SLICE: Final = 500
_ONE: Final = sa.select(_S).where(_S.c.seller_id == _b("seller_id"), _S.c.id == _b("id"))
_SAVED: Final = tuple(c.name for c in _S.c if c.name not in {"seller_id", "id"})
#: The guarded UPDATE of ``save_many``, one execution per subscription.
_SAVE_MANY: Final = (
    sa.update(_S)
    .where(
        _S.c.seller_id == _b("k_seller_id"),
        _S.c.id == _b("k_id"),
        _S.c.version == _b("k_version"),
    )
    .values({name: _b(f"v_{name}") for name in _SAVED})
)


class SqlCatalog:
    """``CatalogRepository`` on one transaction's ``Context``: plans and coupons as documents."""

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


class SqlSubscriptions:
    """``SubscriptionRepository`` on one transaction's ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx
        self._rows = SubscriptionRows(ctx.converter, ctx.url)

    def _record(self, row: Any) -> SubscriptionRecord:
        return self._rows.record(row._mapping)  # noqa: SLF001 - SQLAlchemy's public row mapping

    def add(self, record: SubscriptionRecord) -> None:
        """Store a new subscription; DuplicateError when the seller has its id."""
        values = self._rows.values(record, 1)
        if not self._c.insert_new("store a subscription", _S, values):
            raise DuplicateError(f"subscription {record.subscription.id!r} already exists")

    def get(
        self, seller_id: str, subscription_id: str, *, for_update: bool = False
    ) -> SubscriptionRecord:
        """The seller's subscription (its row locked with ``for_update``); NotFoundError otherwise."""
        query = _ONE.with_for_update() if for_update and self._c.write else _ONE
        params = {"seller_id": seller_id, "id": subscription_id}
        row = self._c.first("read a subscription", query, params)
        if row is None:
            raise NotFoundError("subscription", subscription_id)
        return self._record(row)

    def claim_many(
        self, seller_id: str, subscription_ids: Sequence[str]
    ) -> builtins.list[SubscriptionRecord]:
        """The stored ones among ``subscription_ids`` not held by another transaction, by id."""
        ids = sorted(set(subscription_ids))
        locking = self._c.postgres and self._c.write
        found: builtins.list[SubscriptionRecord] = []
        for start in range(0, len(ids), _SLICE):
            part = ids[start : start + _SLICE]
            query = (
                sa.select(_S)
                .where(_S.c.seller_id == seller_id, _S.c.id.in_(part))
                .order_by(_S.c.id)
            )
            if locking:
                query = query.with_for_update(skip_locked=True)
            rows = self._c.rows("claim subscriptions", query)
            found += [self._record(row) for row in rows]
        return found

    def save(self, record: SubscriptionRecord, *, expected_version: int) -> SubscriptionRecord:
        """Replace it at ``expected_version``; returns it at the next version."""
        values = self._rows.values(record, expected_version + 1)
        statement = (
            sa.update(_S)
            .where(
                _S.c.seller_id == record.seller_id,
                _S.c.id == record.subscription.id,
                _S.c.version == expected_version,
            )
            .values({k: v for k, v in values.items() if k not in {"seller_id", "id"}})
        )
        if self._c.count("save a subscription", statement) != 1:
            self.get(record.seller_id, record.subscription.id)  # NotFoundError when gone
            raise ConcurrencyError(
                f"subscription {record.subscription.id!r} was changed by someone else; retry",
                retryable=True,
            )
        return attrs.evolve(record, version=expected_version + 1)

    def save_many(self, records: Sequence[SubscriptionRecord]) -> None:
        """``save`` each at its own version: one executemany (psycopg pipelines it)."""
        if len(records) <= 1:
            for record in records:
                self.save(record, expected_version=record.version)
            return
        rows = []
        for record in records:
            values = self._rows.values(record, record.version + 1)
            rows.append(
                {
                    **{f"v_{k}": values[k] for k in _SAVED},
                    "k_seller_id": record.seller_id,
                    "k_id": record.subscription.id,
                    "k_version": record.version,
                }
            )
        if self._c.count("save subscriptions", _SAVE_MANY, rows) == len(records):
            return
        for record in records:  # which one: save() raises NotFoundError or ConcurrencyError
            stored = self.get(record.seller_id, record.subscription.id)
            if stored.version != record.version + 1:
                self.save(record, expected_version=record.version)
        raise ConcurrencyError("a subscription was saved twice in one batch; retry")

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
        query = sa.select(_S).where(_S.c.seller_id == seller_id)
        if customer_id is not None:
            query = query.where(_S.c.customer_id == customer_id)
        if status is not None:
            query = query.where(_S.c.status == str(status))
        if after is not None:
            query = query.where(_S.c.id > after)
        if limit >= 0:
            query = query.limit(limit)
        rows = self._c.rows("list subscriptions", query.order_by(_S.c.id))
        return [self._record(row) for row in (rows if limit >= 0 else rows[:limit])]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, subscription id) of every subscription not ``finished``, ordered."""
        query = sa.select(_S.c.seller_id, _S.c.id).where(_S.c.finished.is_(False))
        if seller_id is not None:
            query = query.where(_S.c.seller_id == seller_id)
        rows = self._c.rows("list billing subscriptions", query.order_by(_S.c.seller_id, _S.c.id))
        return [(row.seller_id, row.id) for row in rows]
