"""The storage ports of the parties: sellers (tenants) and their customers.

Part of the storage port (:mod:`invoicekit.repositories` re-exports these names);
every adapter implements them and the storage contract suite says how they behave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from invoicekit.domain.parties import Customer, Seller

__all__ = [
    "CustomerRepository",
    "SellerRepository",
]


class SellerRepository(Protocol):
    """Sellers (tenants)."""

    def add(self, seller: Seller) -> None:
        """Store a new seller. Raises DuplicateError if the id exists."""

    def get(self, seller_id: str) -> Seller:
        """The seller. Raises NotFoundError."""

    def update(self, seller: Seller) -> None:
        """Replace a stored seller. Raises NotFoundError."""

    def list(self) -> list[Seller]:
        """Every seller, ordered by id."""


class CustomerRepository(Protocol):
    """One seller's customers; a customer of another seller is NotFound, never visible."""

    def add(self, customer: Customer) -> None:
        """Store a new customer. Raises DuplicateError if (seller, id) exists."""

    def get(self, seller_id: str, customer_id: str) -> Customer:
        """The customer. Raises NotFoundError, also when it belongs to another seller."""

    def get_many(self, seller_id: str, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """The customers by id, one read; NotFoundError for the first id not the seller's."""

    def update(self, customer: Customer) -> None:
        """Replace a stored customer. Raises NotFoundError."""

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        """The seller's customers ordered by id, ``limit`` at a time after id ``after``."""
