"""The SQLAlchemy repositories of the parties: sellers and customers.

Split from sqlalchemy_repos.py (which wires them into ``SqlTransaction``) so that
each module has one job. Their statements are built once, at import, so that
SQLAlchemy reuses their compiled form; each behaves as ``MemoryStorage``'s does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_repository import _b, _Repository, _where
from invoicekit.adapters.storage.sqlalchemy_tables import CUSTOMERS, SELLERS
from invoicekit.domain.parties import Customer, Seller
from invoicekit.errors import DuplicateError, NotFoundError

#: Shared with sqlalchemy_repos.py, which wires them into SqlTransaction (private to the adapter).
__all__ = ["_Customers", "_Sellers"]


_SELLER = sa.select(SELLERS.c.doc).where(*_where(SELLERS, "id"))
_SELLERS = sa.select(SELLERS).order_by(SELLERS.c.id)
_CUSTOMER = sa.select(CUSTOMERS.c.doc).where(*_where(CUSTOMERS, "seller_id", "id"))


_SAVE_SELLER = sa.update(SELLERS).where(SELLERS.c.id == _b("k_id")).values(doc=_b("doc"))
_SAVE_CUSTOMER = (
    sa.update(CUSTOMERS)
    .where(CUSTOMERS.c.seller_id == _b("k_seller_id"), CUSTOMERS.c.id == _b("k_id"))
    .values(archived=_b("archived"), doc=_b("doc"))
)


@functools.cache
def _customers(include_archived: bool, after: bool) -> sa.Select[Any]:
    t = CUSTOMERS
    query = sa.select(t.c.id, t.c.doc).where(t.c.seller_id == _b("seller_id"))
    if not include_archived:
        query = query.where(t.c.archived == sa.false())
    if after:
        query = query.where(t.c.id > _b("after"))
    return query.order_by(t.c.id).limit(_b("limit"))


class _Sellers(_Repository):
    def add(self, seller: Seller) -> None:
        if not self._c.insert_new(
            "add seller", SELLERS, {"id": seller.id, "doc": self._c.dump(seller)}
        ):
            raise DuplicateError(f"seller {seller.id!r} already exists")

    def get(self, seller_id: str) -> Seller:
        row = self._c.first("get seller", _SELLER, {"id": seller_id})
        if row is None:
            raise NotFoundError("seller", seller_id)
        return self._c.load(row.doc, Seller, f"seller {seller_id!r}")

    def update(self, seller: Seller) -> None:
        params = {"k_id": seller.id, "doc": self._c.dump(seller)}
        if not self._c.count("update seller", _SAVE_SELLER, params):
            raise NotFoundError("seller", seller.id)

    def list(self) -> list[Seller]:
        rows = self._c.rows("list sellers", _SELLERS)
        return [self._c.load(r.doc, Seller, f"seller {r.id!r}") for r in rows]


class _Customers(_Repository):
    def add(self, customer: Customer) -> None:
        values = {
            "seller_id": customer.seller_id,
            "id": customer.id,
            "archived": customer.archived,
            "doc": self._c.dump(customer),
        }
        if not self._c.insert_new("add customer", CUSTOMERS, values):
            raise DuplicateError(f"customer {customer.id!r} already exists")

    def get(self, seller_id: str, customer_id: str) -> Customer:
        row = self._c.first("get customer", _CUSTOMER, {"seller_id": seller_id, "id": customer_id})
        if row is None:
            raise NotFoundError("customer", customer_id)
        return self._c.load(row.doc, Customer, f"customer {customer_id!r}")

    def get_many(self, seller_id: str, customer_ids: Sequence[str]) -> dict[str, Customer]:
        query = sa.select(CUSTOMERS.c.id, CUSTOMERS.c.doc).where(
            CUSTOMERS.c.seller_id == seller_id, CUSTOMERS.c.id.in_(list(set(customer_ids)))
        )
        docs = {row.id: row.doc for row in self._c.rows("get customers", query)}
        found: dict[str, Customer] = {}
        for cid in customer_ids:
            if cid not in docs:
                raise NotFoundError("customer", cid)
            found[cid] = self._c.load(docs[cid], Customer, f"customer {cid!r}")
        return found

    def update(self, customer: Customer) -> None:
        params = {
            "k_seller_id": customer.seller_id,
            "k_id": customer.id,
            "archived": customer.archived,
            "doc": self._c.dump(customer),
        }
        if not self._c.count("update customer", _SAVE_CUSTOMER, params):
            raise NotFoundError("customer", customer.id)

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        query = _customers(include_archived, after is not None)
        params = {"seller_id": seller_id, "after": after, "limit": max(limit, 0)}
        rows = self._c.rows("list customers", query, params)
        return [self._c.load(r.doc, Customer, f"customer {r.id!r}") for r in rows]
