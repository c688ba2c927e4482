"""The coupon each customer holds in ``SqlAlchemyStorage`` (Alembic 0012; part of ``SqlCatalog``).

One row per (seller, customer): the ``CustomerCoupon`` as a document.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from invoicekit.adapters.storage.sqlalchemy_tables import METADATA, Context, key_type
from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.serialization.subscriptions import (
    customer_coupon_from_text,
    customer_coupon_text,
)

__all__ = ["CUSTOMER_COUPONS", "SqlCustomerCoupons"]

#: Customers' coupons as documents (Alembic 0012).
CUSTOMER_COUPONS: Final = sa.Table(
    "customer_coupons",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), primary_key=True),
    sa.Column("doc", sa.Text(), nullable=False),
)
_T: Final = CUSTOMER_COUPONS.c


class SqlCustomerCoupons:
    """Customers' coupons on one transaction's ``Context``."""

    _c: Context

    def put_customer_coupon(self, seller_id: str, applied: CustomerCoupon) -> None:
        """Store the customer's coupon, replacing the one they held (one upsert)."""
        doc = customer_coupon_text(self._c.converter, applied)
        insert = postgresql.insert if self._c.postgres else sqlite.insert
        statement = insert(CUSTOMER_COUPONS).values(
            seller_id=seller_id, customer_id=applied.customer_id, doc=doc
        )
        statement = statement.on_conflict_do_update(
            index_elements=[_T.seller_id, _T.customer_id], set_={"doc": statement.excluded.doc}
        )
        self._c.run("store a customer's coupon", statement)

    def get_customer_coupon(self, seller_id: str, customer_id: str) -> CustomerCoupon | None:
        """The seller's customer's coupon, or None."""
        query = sa.select(_T.doc).where(_T.seller_id == seller_id, _T.customer_id == customer_id)
        row = self._c.first("read a customer's coupon", query)
        if row is None:
            return None
        return customer_coupon_from_text(self._c.converter, row.doc, self._c.url)

    def remove_customer_coupon(self, seller_id: str, customer_id: str) -> bool:
        """Forget the customer's coupon; False when they held none."""
        statement = sa.delete(CUSTOMER_COUPONS).where(
            _T.seller_id == seller_id, _T.customer_id == customer_id
        )
        return self._c.count("remove a customer's coupon", statement) == 1
