"""Provider notifications, checkout sessions and pay-link tokens of ``MemoryStorage`` (the reference)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import attrs

from invoicekit.errors import DuplicateError
from invoicekit.payment_records import (
    CheckoutRecord,
    CheckoutState,
    PayTokenRecord,
    ProviderEventRecord,
)

__all__ = ["MemoryCheckouts", "MemoryPayTokens", "MemoryProviderEvents"]

K_contra = TypeVar("K_contra", contravariant=True)
V = TypeVar("V")


class Table(Protocol[K_contra, V]):
    """The part of ``MemoryStorage``'s transactional table these repositories use."""

    def get(self, key: K_contra) -> V | None: ...

    def put(self, key: K_contra, value: V) -> None: ...

    def values(self) -> Iterator[V]: ...


#: A stored row and its position (the order rows were added in).
Positioned = tuple[int, V]


class MemoryProviderEvents:
    """``ProviderEventRepository`` keyed by (provider, event_id)."""

    def __init__(
        self,
        table: Table[tuple[str, str], Positioned[ProviderEventRecord]],
        counter: Callable[[], int],
    ) -> None:
        self._t = table
        self._counter = counter

    def add(self, record: ProviderEventRecord) -> bool:
        """Store a notice under a (provider, event_id) not stored yet; False when it is."""
        where = (record.provider, record.event_id)
        if self._t.get(where) is not None:
            return False
        self._t.put(where, (self._counter(), record))
        return True

    def _ordered(self, seller_id: str) -> list[ProviderEventRecord]:
        return [
            r for _, r in sorted(self._t.values(), key=lambda p: p[0]) if r.seller_id == seller_id
        ]

    def for_payment(
        self, seller_id: str, provider: str, payment_ref: str
    ) -> list[ProviderEventRecord]:
        """The seller's notices about one provider payment, in the order stored."""
        return [
            r
            for r in self._ordered(seller_id)
            if r.provider == provider and r.payment_ref == payment_ref
        ]

    def list(
        self, seller_id: str, *, invoice_id: str | None = None, limit: int = 100
    ) -> list[ProviderEventRecord]:
        """The seller's notices (optionally one invoice's), in the order stored."""
        found = [
            r for r in self._ordered(seller_id) if invoice_id is None or r.invoice_id == invoice_id
        ]
        return found[: max(limit, 0)]


class MemoryCheckouts:
    """``CheckoutRepository`` keyed by (provider, ref)."""

    def __init__(
        self,
        table: Table[tuple[str, str], Positioned[CheckoutRecord]],
        counter: Callable[[], int],
    ) -> None:
        self._t = table
        self._counter = counter

    def add(self, record: CheckoutRecord) -> bool:
        """Store a session under a (provider, ref) not stored yet; False when it is."""
        where = (record.provider, record.ref)
        if self._t.get(where) is not None:
            return False
        self._t.put(where, (self._counter(), record))
        return True

    def _ordered(self, seller_id: str) -> list[CheckoutRecord]:
        return [
            r for _, r in sorted(self._t.values(), key=lambda p: p[0]) if r.seller_id == seller_id
        ]

    def open_for_invoice(self, seller_id: str, invoice_id: str) -> list[CheckoutRecord]:
        """The invoice's open sessions, in the order stored."""
        return [
            r
            for r in self._ordered(seller_id)
            if r.invoice_id == invoice_id and r.state is CheckoutState.OPEN
        ]

    def get_by_key(self, seller_id: str, key: str) -> CheckoutRecord | None:
        """The last session stored under ``key``, or None."""
        found = [r for r in self._ordered(seller_id) if r.key == key]
        return found[-1] if found else None

    def close(self, seller_id: str, provider: str, ref: str) -> bool:
        """Mark the seller's open session closed; False when unknown or closed already."""
        found = self._t.get((provider, ref))
        if found is None:
            return False
        position, record = found
        if record.seller_id != seller_id or record.state is CheckoutState.CLOSED:
            return False
        self._t.put((provider, ref), (position, attrs.evolve(record, state=CheckoutState.CLOSED)))
        return True


class MemoryPayTokens:
    """``PayTokenRepository`` keyed by the token's hash."""

    def __init__(self, table: Table[str, PayTokenRecord]) -> None:
        self._t = table

    def add(self, record: PayTokenRecord) -> None:
        """Store a token; DuplicateError when its hash is stored."""
        if self._t.get(record.token_hash) is not None:
            raise DuplicateError("this pay-link token is already stored; mint a new one")
        self._t.put(record.token_hash, record)

    def get(self, token_hash: str) -> PayTokenRecord | None:
        """The token stored under ``token_hash``, or None."""
        return self._t.get(token_hash)
