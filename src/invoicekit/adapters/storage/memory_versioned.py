"""Versioned records in memory: what the template and subscription repositories share.

Both keep one record per (seller id, id) with an optimistic ``version``; a subclass
names the record's noun and how to reach its domain value, this class does the rest.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import attrs

from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.records import TemplateRecord
from invoicekit.subscription_records import SubscriptionRecord

__all__ = ["Item", "MemoryVersioned"]


class Item(Protocol):
    """The domain value inside a record: a template or a subscription."""

    @property
    def id(self) -> str:
        """Its id, unique per seller."""
        ...

    @property
    def customer_id(self) -> str:
        """The customer it bills."""
        ...

    @property
    def status(self) -> Any:
        """Its status, compared with a ``list`` filter."""
        ...


#: The record a repository stores: a recurring template's or a subscription's.
R = TypeVar("R", TemplateRecord, SubscriptionRecord)


class MemoryVersioned(ABC, Generic[R]):
    """Records keyed by (seller id, record id) in one MemoryStorage table."""

    #: The record's noun in messages, e.g. ``"subscription"``.
    noun: ClassVar[str]

    def __init__(self, table: Any) -> None:
        self._t = table

    @staticmethod
    @abstractmethod
    def item(record: R) -> Item:
        """The domain value the record holds (its id, customer and status)."""

    @staticmethod
    def billable(record: R) -> bool:  # noqa: ARG004 - a hook: every record by default
        """Whether ``billing()`` lists the record."""
        return True

    def add(self, record: R) -> None:
        """Store a new record; DuplicateError when the seller has its id."""
        key = (record.seller_id, self.item(record).id)
        if self._t.get(key) is not None:
            raise DuplicateError(f"{self.noun} {self.item(record).id!r} already exists")
        self._t.put(key, attrs.evolve(record, version=1))

    def get(self, seller_id: str, record_id: str, *, for_update: bool = False) -> R:  # noqa: ARG002 - one writer at a time
        """The seller's record; NotFoundError otherwise."""
        found: R | None = self._t.get((seller_id, record_id))
        if found is None:
            raise NotFoundError(self.noun, record_id)
        return found

    def claim_many(self, seller_id: str, record_ids: Sequence[str]) -> builtins.list[R]:
        """The stored ones among ``record_ids``, ordered by id."""
        found = (self._t.get((seller_id, r)) for r in sorted(set(record_ids)))
        return [r for r in found if r is not None]

    def save(self, record: R, *, expected_version: int) -> R:
        """Replace it at ``expected_version``; returns it at the next version."""
        record_id = self.item(record).id
        stored = self.get(record.seller_id, record_id)
        if stored.version != expected_version:
            raise ConcurrencyError(
                f"{self.noun} {record_id!r} was changed by someone else; retry",
                retryable=True,
            )
        saved: R = attrs.evolve(record, version=expected_version + 1)
        self._t.put((record.seller_id, record_id), saved)
        return saved

    def save_many(self, records: Sequence[R]) -> None:
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
    ) -> builtins.list[R]:
        """The seller's records ordered by id, filtered."""
        found = sorted(
            (
                r
                for r in self._t.values()
                if r.seller_id == seller_id
                and (customer_id is None or self.item(r).customer_id == customer_id)
                and (status is None or self.item(r).status == status)
                and (after is None or self.item(r).id > after)
            ),
            key=lambda r: self.item(r).id,
        )
        return found[:limit]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, record id) of every billable record, ordered."""
        return sorted(
            (r.seller_id, self.item(r).id)
            for r in self._t.values()
            if self.billable(r) and (seller_id is None or r.seller_id == seller_id)
        )
