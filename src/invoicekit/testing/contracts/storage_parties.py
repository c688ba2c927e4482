"""The contract of the seller and customer repositories."""

# ruff: noqa: S101
# (a contract suite checks with assert, as tests do; pytest rewrites these modules)

from __future__ import annotations

import attrs
import pytest

from invoicekit.errors import DuplicateError, NotFoundError
from invoicekit.ports import Storage
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import Reopen, fresh

__all__ = ["PartiesContract"]


class PartiesContract(StorageFixtures):
    """Sellers and customers: round trips, unique ids, NotFound, ordering and paging."""

    def test_seller_round_trips(self, storage: Storage, reopen: Reopen) -> None:
        """A stored seller reads back equal from a fresh instance, and an update replaces it."""
        seller = b.seller("s-1")
        with storage.transaction() as tx:
            tx.sellers.add(seller)
        with fresh(reopen, storage) as tx:
            assert tx.sellers.get("s-1") == seller
        renamed = attrs.evolve(seller, name="Northwind GmbH", metadata={"plan": "team"})
        with storage.transaction() as tx:
            tx.sellers.update(renamed)
        with fresh(reopen, storage) as tx:
            assert tx.sellers.get("s-1") == renamed
            assert tx.sellers.list() == [renamed]

    def test_seller_id_is_unique(self, storage: Storage, reopen: Reopen) -> None:
        """Adding a seller id twice raises DuplicateError and keeps the first seller."""
        first = b.seller("s-1")
        with storage.transaction() as tx:
            tx.sellers.add(first)
        with pytest.raises(DuplicateError), storage.transaction() as tx:
            tx.sellers.add(b.seller("s-1", name="Impostor"))
        with fresh(reopen, storage) as tx:
            assert tx.sellers.list() == [first]

    def test_unknown_seller_is_not_found(self, storage: Storage) -> None:
        """``get`` and ``update`` of an unknown seller raise NotFoundError(kind 'seller', key id)."""
        with storage.transaction() as tx:
            with pytest.raises(NotFoundError) as got:
                tx.sellers.get("nobody")
            assert (got.value.kind, got.value.key) == ("seller", "nobody")
            with pytest.raises(NotFoundError) as updated:
                tx.sellers.update(b.seller("nobody"))
            assert (updated.value.kind, updated.value.key) == ("seller", "nobody")
            assert tx.sellers.list() == []

    def test_sellers_are_listed_by_id(self, storage: Storage, reopen: Reopen) -> None:
        """``sellers.list`` returns every seller ordered by id, whatever the insertion order."""
        ids = ["s-c", "s-a", "s-d", "s-b"]
        with storage.transaction() as tx:
            for seller_id in ids:
                tx.sellers.add(b.seller(seller_id))
        with fresh(reopen, storage) as tx:
            assert [s.id for s in tx.sellers.list()] == sorted(ids)

    def test_customer_round_trips(self, storage: Storage, reopen: Reopen) -> None:
        """A stored customer reads back equal from a fresh instance, and an update replaces it."""
        customer = b.customer("s-1", "c-1")
        with storage.transaction() as tx:
            tx.sellers.add(b.seller("s-1"))
            tx.customers.add(customer)
        with fresh(reopen, storage) as tx:
            assert tx.customers.get("s-1", "c-1") == customer
        changed = attrs.evolve(customer, name="Globex AG", email="billing@globex.example")
        with storage.transaction() as tx:
            tx.customers.update(changed)
        with fresh(reopen, storage) as tx:
            assert tx.customers.get("s-1", "c-1") == changed
            assert tx.customers.list("s-1") == [changed]

    def test_customer_id_is_unique_per_seller(self, storage: Storage, reopen: Reopen) -> None:
        """A second customer with the same (seller, id) raises DuplicateError; the first stays."""
        first = b.customer("s-1", "c-1")
        with storage.transaction() as tx:
            tx.sellers.add(b.seller("s-1"))
            tx.customers.add(first)
        with pytest.raises(DuplicateError), storage.transaction() as tx:
            tx.customers.add(b.customer("s-1", "c-1", name="Impostor"))
        with fresh(reopen, storage) as tx:
            assert tx.customers.list("s-1", include_archived=True) == [first]

    def test_get_many_reads_the_sellers_customers_by_id(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``get_many`` is ``get`` for many ids at once; another seller's id is NotFound."""
        with storage.transaction() as tx:
            tx.sellers.add(b.seller("s-1"))
            tx.sellers.add(b.seller("s-2"))
            for cid in ("c-1", "c-2"):
                tx.customers.add(b.customer("s-1", cid))
            tx.customers.add(b.customer("s-2", "c-3"))
        with fresh(reopen, storage) as tx:
            got = tx.customers.get_many("s-1", ["c-2", "c-1", "c-2"])
            assert got == {
                "c-2": tx.customers.get("s-1", "c-2"),
                "c-1": tx.customers.get("s-1", "c-1"),
            }
            assert tx.customers.get_many("s-1", []) == {}
            with pytest.raises(NotFoundError) as missing:
                tx.customers.get_many("s-1", ["c-1", "c-3"])
            assert (missing.value.kind, missing.value.key) == ("customer", "c-3")

    def test_unknown_customer_is_not_found(self, storage: Storage) -> None:
        """``get`` and ``update`` of an unknown customer raise NotFoundError(kind 'customer')."""
        with storage.transaction() as tx:
            tx.sellers.add(b.seller("s-1"))
            with pytest.raises(NotFoundError) as got:
                tx.customers.get("s-1", "c-x")
            assert (got.value.kind, got.value.key) == ("customer", "c-x")
            with pytest.raises(NotFoundError) as updated:
                tx.customers.update(b.customer("s-1", "c-x"))
            assert (updated.value.kind, updated.value.key) == ("customer", "c-x")
            assert tx.customers.list("s-1", include_archived=True) == []

    def test_customers_are_listed_by_id_without_archived(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``customers.list`` orders by id and leaves archived customers out unless asked."""
        with storage.transaction() as tx:
            tx.sellers.add(b.seller("s-1"))
            for customer_id in ("c-3", "c-1", "c-4", "c-2"):
                tx.customers.add(b.customer("s-1", customer_id, archived=customer_id == "c-2"))
        with fresh(reopen, storage) as tx:
            assert [c.id for c in tx.customers.list("s-1")] == ["c-1", "c-3", "c-4"]
            every = tx.customers.list("s-1", include_archived=True)
            assert [c.id for c in every] == ["c-1", "c-2", "c-3", "c-4"]
            assert every[1].archived

    def test_customers_page_by_limit_and_after(self, storage: Storage, reopen: Reopen) -> None:
        """Pages of ``limit`` customers after the last id seen cover the list once, in order."""
        ids = [f"c-{n:02d}" for n in range(11)]
        with storage.transaction() as tx:
            tx.sellers.add(b.seller("s-1"))
            for customer_id in reversed(ids):
                tx.customers.add(b.customer("s-1", customer_id))
        with fresh(reopen, storage) as tx:
            for size in (1, 3, 4, 11, 20):
                pages: list[list[str]] = []
                after: str | None = None
                while True:
                    page = [c.id for c in tx.customers.list("s-1", limit=size, after=after)]
                    if not page:
                        break
                    assert len(page) <= size
                    pages.append(page)
                    after = page[-1]
                assert [i for page in pages for i in page] == ids, size
                assert all(len(page) == size for page in pages[:-1]), size
