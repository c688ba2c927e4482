"""The coupon each customer holds, in memory (part of ``MemoryCatalog``)."""

from __future__ import annotations

from typing import Any

from invoicekit.domain.customer_coupons import CustomerCoupon

__all__ = ["MemoryCustomerCoupons"]


class MemoryCustomerCoupons:
    """Customers' coupons keyed by (seller id, customer id)."""

    _customer_coupons: Any

    def put_customer_coupon(self, seller_id: str, applied: CustomerCoupon) -> None:
        """Store the customer's coupon, replacing the one they held."""
        self._customer_coupons.put((seller_id, applied.customer_id), applied)

    def get_customer_coupon(self, seller_id: str, customer_id: str) -> CustomerCoupon | None:
        """The seller's customer's coupon, or None."""
        found: CustomerCoupon | None = self._customer_coupons.get((seller_id, customer_id))
        return found

    def remove_customer_coupon(self, seller_id: str, customer_id: str) -> bool:
        """Forget the customer's coupon; False when they held none."""
        if self._customer_coupons.get((seller_id, customer_id)) is None:
            return False
        self._customer_coupons.delete((seller_id, customer_id))
        return True
