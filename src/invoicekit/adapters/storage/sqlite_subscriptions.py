"""Plans, coupons and subscriptions of ``SqliteStorage`` (schema 8); they behave as ``MemoryStorage``'s do.

The write lock serialises writers, so a version check in the UPDATE is all the
optimistic concurrency needs.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from invoicekit.adapters.storage.sqlite_customer_coupons import SqliteCustomerCoupons
from invoicekit.adapters.storage.sqlite_schema import Row, Session
from invoicekit.adapters.storage.sqlite_versioned import SqliteVersioned
from invoicekit.adapters.storage.subscription_rows import SUBSCRIPTION_COLUMNS, SubscriptionRows
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

__all__ = ["SqliteCatalog", "SqliteSubscriptions"]


class SqliteCatalog(SqliteCustomerCoupons):
    """``CatalogRepository`` on one ``Session``: plans, coupons and customers' coupons as documents."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add_plan(self, seller_id: str, plan: Plan) -> None:
        """Store a new plan; DuplicateError when the seller has its id."""
        doc = plan_text(self._s.converter, plan)
        sql = "INSERT INTO plans (seller_id, id, doc) VALUES (?, ?, ?)"
        try:
            self._s.run("store a plan", sql, (seller_id, plan.id, doc))
        except DuplicateError as exc:
            raise DuplicateError(f"plan {plan.id!r} already exists") from exc

    def get_plan(self, seller_id: str, plan_id: str) -> Plan:
        """The seller's plan; NotFoundError otherwise."""
        sql = "SELECT doc FROM plans WHERE seller_id = ? AND id = ?"
        row = self._s.one("read a plan", sql, (seller_id, plan_id))
        if row is None:
            raise NotFoundError("plan", plan_id)
        return plan_from_text(self._s.converter, row[0], self._s.path)

    def update_plan(self, seller_id: str, plan: Plan) -> None:
        """Replace the stored plan; NotFoundError when it is not stored."""
        doc = plan_text(self._s.converter, plan)
        sql = "UPDATE plans SET doc = ? WHERE seller_id = ? AND id = ?"
        if self._s.run("update a plan", sql, (doc, seller_id, plan.id)) != 1:
            raise NotFoundError("plan", plan.id)

    def list_plans(self, seller_id: str) -> builtins.list[Plan]:
        """The seller's plans ordered by id."""
        sql = "SELECT doc FROM plans WHERE seller_id = ? ORDER BY id"
        rows = self._s.rows("list plans", sql, (seller_id,))
        return [plan_from_text(self._s.converter, row[0], self._s.path) for row in rows]

    def add_coupon(self, seller_id: str, coupon: Coupon) -> None:
        """Store a new coupon; DuplicateError when the seller has its id."""
        doc = coupon_text(self._s.converter, coupon)
        sql = "INSERT INTO coupons (seller_id, id, doc) VALUES (?, ?, ?)"
        try:
            self._s.run("store a coupon", sql, (seller_id, coupon.id, doc))
        except DuplicateError as exc:
            raise DuplicateError(f"coupon {coupon.id!r} already exists") from exc

    def get_coupon(self, seller_id: str, coupon_id: str) -> Coupon:
        """The seller's coupon; NotFoundError otherwise."""
        sql = "SELECT doc FROM coupons WHERE seller_id = ? AND id = ?"
        row = self._s.one("read a coupon", sql, (seller_id, coupon_id))
        if row is None:
            raise NotFoundError("coupon", coupon_id)
        return coupon_from_text(self._s.converter, row[0], self._s.path)

    def list_coupons(self, seller_id: str) -> builtins.list[Coupon]:
        """The seller's coupons ordered by id."""
        sql = "SELECT doc FROM coupons WHERE seller_id = ? ORDER BY id"
        rows = self._s.rows("list coupons", sql, (seller_id,))
        return [coupon_from_text(self._s.converter, row[0], self._s.path) for row in rows]


class SqliteSubscriptions(SqliteVersioned[SubscriptionRecord]):
    """``SubscriptionRepository`` on one ``Session``."""

    table = "subscriptions"
    columns = SUBSCRIPTION_COLUMNS
    noun = "subscription"
    plural = "subscriptions"
    billing_operation = "list billing subscriptions"
    billable = "finished = 0"

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._rows = SubscriptionRows(session.converter, session.path)

    def save_many(self, records: Sequence[SubscriptionRecord]) -> None:
        """``save`` each at its own version: one ``executemany`` (a page of ``run_due``).

        When fewer rows than records changed, ``save`` finds the one that was gone or
        saved by someone else and raises as it would; the transaction is then rolled back.
        """
        if len(records) <= 1:
            super().save_many(records)
            return
        sql = (
            "UPDATE subscriptions SET "  # noqa: S608 - constants only
            + ", ".join(f"{c} = ?" for c in SUBSCRIPTION_COLUMNS[2:])
            + " WHERE seller_id = ? AND id = ? AND version = ?"
        )
        params = [
            (*self._values(r, r.version + 1)[2:], r.seller_id, r.subscription.id, r.version)
            for r in records
        ]
        if self._s.run_many("save subscriptions", sql, params) == len(records):
            return
        for record in records:  # which one: save() raises NotFoundError or ConcurrencyError
            stored = self.get(record.seller_id, record.subscription.id)
            if stored.version != record.version + 1:
                self.save(record, expected_version=record.version)
        raise ConcurrencyError("a subscription was saved twice in one batch; retry")

    def _record(self, row: Row) -> SubscriptionRecord:
        return self._rows.record(dict(zip(SUBSCRIPTION_COLUMNS, row, strict=True)))

    def _values(self, record: SubscriptionRecord, version: int) -> tuple[object, ...]:
        values = self._rows.values(record, version)
        values["finished"] = int(values["finished"])
        return tuple(values[c] for c in SUBSCRIPTION_COLUMNS)

    @staticmethod
    def record_id(record: SubscriptionRecord) -> str:
        """The subscription's id."""
        return record.subscription.id
