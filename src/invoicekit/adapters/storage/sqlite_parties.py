"""SQLite repositories of the parties: sellers and customers (one JSON document per row).

Split from sqlite.py (which wires them into its transaction) so that each module
has one job; customers are keyed by (seller_id, id) and listed by id, as in
``MemoryStorage``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from invoicekit.adapters.storage.sqlite_schema import Session
from invoicekit.domain.parties import Customer, Seller
from invoicekit.errors import DuplicateError, NotFoundError

#: Shared with sqlite.py, which wires them into a transaction (private to the adapter).
__all__ = ["_Customers", "_Sellers"]


class _Sellers:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, seller: Seller) -> None:
        try:
            self._s.run(
                "add a seller",
                "INSERT INTO sellers (id, doc) VALUES (?, ?)",
                (seller.id, self._s.dump(seller)),
            )
        except DuplicateError as exc:
            raise DuplicateError(f"seller {seller.id!r} already exists") from exc

    def get(self, seller_id: str) -> Seller:
        row = self._s.one("read a seller", "SELECT doc FROM sellers WHERE id = ?", (seller_id,))
        if row is None:
            raise NotFoundError("seller", seller_id)
        return self._s.load(row[0], Seller, f"seller {seller_id!r}")

    def update(self, seller: Seller) -> None:
        sql = "UPDATE sellers SET doc = ? WHERE id = ?"
        if not self._s.run("update a seller", sql, (self._s.dump(seller), seller.id)):
            raise NotFoundError("seller", seller.id)

    def list(self) -> list[Seller]:
        rows = self._s.rows("list sellers", "SELECT id, doc FROM sellers ORDER BY id")
        return [self._s.load(doc, Seller, f"seller {key!r}") for key, doc in rows]


class _Customers:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, customer: Customer) -> None:
        sql = "INSERT INTO customers (seller_id, id, archived, doc) VALUES (?, ?, ?, ?)"
        params = (customer.seller_id, customer.id, customer.archived, self._s.dump(customer))
        try:
            self._s.run("add a customer", sql, params)
        except DuplicateError as exc:
            raise DuplicateError(f"customer {customer.id!r} already exists") from exc

    def get(self, seller_id: str, customer_id: str) -> Customer:
        sql = "SELECT doc FROM customers WHERE seller_id = ? AND id = ?"
        row = self._s.one("read a customer", sql, (seller_id, customer_id))
        if row is None:
            raise NotFoundError("customer", customer_id)
        return self._s.load(row[0], Customer, f"customer {customer_id!r}")

    def get_many(self, seller_id: str, customer_ids: Sequence[str]) -> dict[str, Customer]:
        sql = (
            "SELECT id, doc FROM customers WHERE seller_id = ? "
            "AND id IN (SELECT value FROM json_each(?))"
        )
        rows = self._s.rows("read customers", sql, (seller_id, json.dumps(list(customer_ids))))
        docs = {row[0]: row[1] for row in rows}
        found: dict[str, Customer] = {}
        for cid in customer_ids:
            if cid not in docs:
                raise NotFoundError("customer", cid)
            found[cid] = self._s.load(docs[cid], Customer, f"customer {cid!r}")
        return found

    def update(self, customer: Customer) -> None:
        sql = "UPDATE customers SET archived = ?, doc = ? WHERE seller_id = ? AND id = ?"
        params = (customer.archived, self._s.dump(customer), customer.seller_id, customer.id)
        if not self._s.run("update a customer", sql, params):
            raise NotFoundError("customer", customer.id)

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        sql, params = "SELECT id, doc FROM customers WHERE seller_id = ?", [seller_id]
        if after is not None:
            sql, params = f"{sql} AND id > ?", [seller_id, after]
        if not include_archived:
            sql += " AND NOT archived"
        rows = self._s.page("list customers", f"{sql} ORDER BY id", params, limit)
        return [self._s.load(doc, Customer, f"customer {key!r}") for key, doc in rows]
