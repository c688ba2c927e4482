"""Plans, coupons and subscriptions of ``SqliteStorage`` (schema 8); they behave as ``MemoryStorage``'s do.

The write lock serialises writers, so a version check in the UPDATE is all the
optimistic concurrency needs.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Final

import attrs

from invoicekit.adapters.storage.sqlite_schema import Row, Session
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

_COLUMNS: Final = ", ".join(SUBSCRIPTION_COLUMNS)
_MARKS: Final = ", ".join("?" * len(SUBSCRIPTION_COLUMNS))
_SELECT: Final = f"SELECT {_COLUMNS} FROM subscriptions"  # noqa: S608 - constants only
_SAVE: Final = (
    "UPDATE subscriptions SET "  # noqa: S608 - constants only
    + ", ".join(f"{c} = ?" for c in SUBSCRIPTION_COLUMNS[2:])
    + " WHERE seller_id = ? AND id = ? AND version = ?"
)
#: Ids per statement (under SQLite's limit of bound parameters).
_SLICE: Final = 500


class SqliteCatalog:
    """``CatalogRepository`` on one ``Session``: plans and coupons as documents."""

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


class SqliteSubscriptions:
    """``SubscriptionRepository`` on one ``Session``."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._rows = SubscriptionRows(session.converter, session.path)

    def _record(self, row: Row) -> SubscriptionRecord:
        return self._rows.record(dict(zip(SUBSCRIPTION_COLUMNS, row, strict=True)))

    def _values(self, record: SubscriptionRecord, version: int) -> tuple[object, ...]:
        values = self._rows.values(record, version)
        values["finished"] = int(values["finished"])
        return tuple(values[c] for c in SUBSCRIPTION_COLUMNS)

    def add(self, record: SubscriptionRecord) -> None:
        """Store a new subscription; DuplicateError when the seller has its id."""
        sql = f"INSERT INTO subscriptions ({_COLUMNS}) VALUES ({_MARKS})"  # noqa: S608 - constants only
        try:
            self._s.run("store a subscription", sql, self._values(record, 1))
        except DuplicateError as exc:
            raise DuplicateError(f"subscription {record.subscription.id!r} already exists") from exc

    def get(
        self,
        seller_id: str,
        subscription_id: str,
        *,
        for_update: bool = False,  # noqa: ARG002 - the write lock is held already
    ) -> SubscriptionRecord:
        """The seller's subscription; NotFoundError otherwise."""
        sql = f"{_SELECT} WHERE seller_id = ? AND id = ?"
        row = self._s.one("read a subscription", sql, (seller_id, subscription_id))
        if row is None:
            raise NotFoundError("subscription", subscription_id)
        return self._record(row)

    def claim_many(
        self, seller_id: str, subscription_ids: Sequence[str]
    ) -> builtins.list[SubscriptionRecord]:
        """The stored ones among ``subscription_ids``, ordered by id (the write lock is held)."""
        ids = sorted(set(subscription_ids))
        found: builtins.list[SubscriptionRecord] = []
        for start in range(0, len(ids), _SLICE):
            part = ids[start : start + _SLICE]
            marks = ", ".join("?" * len(part))
            sql = f"{_SELECT} WHERE seller_id = ? AND id IN ({marks}) ORDER BY id"
            rows = self._s.rows("claim subscriptions", sql, (seller_id, *part))
            found += [self._record(row) for row in rows]
        return found

    def save(self, record: SubscriptionRecord, *, expected_version: int) -> SubscriptionRecord:
        """Replace it at ``expected_version``; returns it at the next version."""
        values = self._values(record, expected_version + 1)
        params = (*values[2:], record.seller_id, record.subscription.id, expected_version)
        if self._s.run("save a subscription", _SAVE, params) != 1:
            self.get(record.seller_id, record.subscription.id)  # NotFoundError when gone
            raise ConcurrencyError(
                f"subscription {record.subscription.id!r} was changed by someone else; retry",
                retryable=True,
            )
        return attrs.evolve(record, version=expected_version + 1)

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
        sql = f"{_SELECT} WHERE seller_id = ?"
        params: list[object] = [seller_id]
        for column, value in (("customer_id", customer_id), ("status", status)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(str(value))
        if after is not None:
            sql += " AND id > ?"
            params.append(after)
        rows = self._s.page("list subscriptions", f"{sql} ORDER BY id", params, limit)
        return [self._record(row) for row in rows]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, subscription id) of every subscription not ``finished``, ordered."""
        sql = "SELECT seller_id, id FROM subscriptions WHERE finished = 0"
        params: tuple[object, ...] = ()
        if seller_id is not None:
            sql += " AND seller_id = ?"
            params = (seller_id,)
        rows = self._s.rows("list billing subscriptions", f"{sql} ORDER BY seller_id, id", params)
        return [(row[0], row[1]) for row in rows]
