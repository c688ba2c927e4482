"""The reference repositories of the parties: sellers and customers, kept in dicts.

Split from memory.py (which wires them into its transaction) so that each module
has one job. Sellers and customers are frozen values, stored as they are; customers
are keyed by (seller_id, id) and listed by id, as the SQL stores do.
"""

from __future__ import annotations

from collections.abc import Sequence

from invoicekit.adapters.storage.memory_table import _Table
from invoicekit.domain.parties import Customer, Seller
from invoicekit.errors import DuplicateError, NotFoundError

#: Shared with memory.py, which wires them into its transaction (private to the adapter).
__all__ = ["_Customers", "_Sellers"]


class _Sellers:
    def __init__(self, table: _Table[str, Seller]) -> None:
        self._t = table

    def add(self, seller: Seller) -> None:
        if self._t.get(seller.id) is not None:
            raise DuplicateError(f"seller {seller.id!r} already exists")
        self._t.put(seller.id, seller)

    def get(self, seller_id: str) -> Seller:
        found = self._t.get(seller_id)
        if found is None:
            raise NotFoundError("seller", seller_id)
        return found

    def update(self, seller: Seller) -> None:
        self.get(seller.id)
        self._t.put(seller.id, seller)

    def list(self) -> list[Seller]:
        return sorted(self._t.values(), key=lambda s: s.id)


class _Customers:
    def __init__(self, table: _Table[tuple[str, str], Customer]) -> None:
        self._t = table

    def add(self, customer: Customer) -> None:
        key = (customer.seller_id, customer.id)
        if self._t.get(key) is not None:
            raise DuplicateError(f"customer {customer.id!r} already exists")
        self._t.put(key, customer)

    def get(self, seller_id: str, customer_id: str) -> Customer:
        found = self._t.get((seller_id, customer_id))
        if found is None:
            raise NotFoundError("customer", customer_id)
        return found

    def get_many(self, seller_id: str, customer_ids: Sequence[str]) -> dict[str, Customer]:
        return {cid: self.get(seller_id, cid) for cid in customer_ids}

    def update(self, customer: Customer) -> None:
        self.get(customer.seller_id, customer.id)
        self._t.put((customer.seller_id, customer.id), customer)

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        found = sorted(
            (
                c
                for c in self._t.values()
                if c.seller_id == seller_id
                and (include_archived or not c.archived)
                and (after is None or c.id > after)
            ),
            key=lambda c: c.id,
        )
        return found[:limit]
