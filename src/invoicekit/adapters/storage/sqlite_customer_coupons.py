"""The coupon each customer holds in ``SqliteStorage`` (schema 11; part of ``SqliteCatalog``).

One row per (seller, customer): the ``CustomerCoupon`` as a document.
"""

from __future__ import annotations

from invoicekit.adapters.storage.sqlite_schema import Session
from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.serialization.subscriptions import (
    customer_coupon_from_text,
    customer_coupon_text,
)

__all__ = ["SqliteCustomerCoupons"]


class SqliteCustomerCoupons:
    """Customers' coupons on one ``Session``."""

    _s: Session

    def put_customer_coupon(self, seller_id: str, applied: CustomerCoupon) -> None:
        """Store the customer's coupon, replacing the one they held."""
        doc = customer_coupon_text(self._s.converter, applied)
        sql = (
            "INSERT INTO customer_coupons (seller_id, customer_id, doc) VALUES (?, ?, ?) "
            "ON CONFLICT (seller_id, customer_id) DO UPDATE SET doc = excluded.doc"
        )
        self._s.run("store a customer's coupon", sql, (seller_id, applied.customer_id, doc))

    def get_customer_coupon(self, seller_id: str, customer_id: str) -> CustomerCoupon | None:
        """The seller's customer's coupon, or None."""
        sql = "SELECT doc FROM customer_coupons WHERE seller_id = ? AND customer_id = ?"
        row = self._s.one("read a customer's coupon", sql, (seller_id, customer_id))
        if row is None:
            return None
        return customer_coupon_from_text(self._s.converter, row[0], self._s.path)

    def remove_customer_coupon(self, seller_id: str, customer_id: str) -> bool:
        """Forget the customer's coupon; False when they held none."""
        sql = "DELETE FROM customer_coupons WHERE seller_id = ? AND customer_id = ?"
        return self._s.run("remove a customer's coupon", sql, (seller_id, customer_id)) == 1
