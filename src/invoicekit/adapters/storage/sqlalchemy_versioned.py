"""Versioned records of ``SqlAlchemyStorage``: what the template and subscription repositories share.

Both keep one row per (seller id, id) with an optimistic ``version``. ``claim_many``
locks rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers at once each take
different records and never wait on each other.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Final, Generic, TypeVar

import attrs
import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_tables import Context
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.records import TemplateRecord
from invoicekit.subscription_records import SubscriptionRecord

__all__ = ["SqlVersioned"]

_b = sa.bindparam
#: Ids per statement.
_SLICE: Final = 500
#: The key columns: what an UPDATE matches on and never sets.
_KEY: Final = frozenset({"seller_id", "id"})

#: The record a repository stores: a recurring template's or a subscription's.
R = TypeVar("R", TemplateRecord, SubscriptionRecord)


class SqlVersioned(ABC, Generic[R]):
    """One table of versioned records on one transaction's ``Context``."""

    #: The table and the record's noun in messages (``"subscription"``).
    table: ClassVar[sa.Table]
    noun: ClassVar[str]
    #: The noun's plural in operation names, e.g. ``"subscriptions"``.
    plural: ClassVar[str]
    #: The operation name of ``billing()``.
    billing_operation: ClassVar[str]
    #: The columns a save sets, the one-row SELECT and the guarded UPDATE of ``save_many``.
    _saved: ClassVar[tuple[str, ...]]
    _one: ClassVar[sa.Select[Any]]
    _save_many: ClassVar[sa.Update]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        t = cls.table
        cls._saved = tuple(c.name for c in t.c if c.name not in _KEY)
        cls._one = sa.select(t).where(t.c.seller_id == _b("seller_id"), t.c.id == _b("id"))
        cls._save_many = (
            sa.update(t)
            .where(
                t.c.seller_id == _b("k_seller_id"),
                t.c.id == _b("k_id"),
                t.c.version == _b("k_version"),
            )
            .values({name: _b(f"v_{name}") for name in cls._saved})
        )

    def __init__(self, ctx: Context) -> None:
        self._c = ctx

    @abstractmethod
    def _record(self, row: Any) -> R:
        """The record a stored row holds."""

    @abstractmethod
    def _values(self, record: R, version: int) -> dict[str, Any]:
        """The row of ``record`` at ``version``, by column name."""

    @staticmethod
    @abstractmethod
    def record_id(record: R) -> str:
        """The id of the record's template or subscription."""

    def _billable(self) -> sa.ColumnElement[bool] | None:
        """The condition on the rows ``billing()`` lists; None for every row."""
        return None

    def add(self, record: R) -> None:
        """Store a new record; DuplicateError when the seller has its id."""
        if not self._c.insert_new(f"store a {self.noun}", self.table, self._values(record, 1)):
            raise DuplicateError(f"{self.noun} {self.record_id(record)!r} already exists")

    def get(self, seller_id: str, record_id: str, *, for_update: bool = False) -> R:
        """The seller's record (its row locked with ``for_update``); NotFoundError otherwise."""
        query = self._one.with_for_update() if for_update and self._c.write else self._one
        params = {"seller_id": seller_id, "id": record_id}
        row = self._c.first(f"read a {self.noun}", query, params)
        if row is None:
            raise NotFoundError(self.noun, record_id)
        return self._record(row)

    def claim_many(self, seller_id: str, record_ids: Sequence[str]) -> builtins.list[R]:
        """The stored ones among ``record_ids`` not held by another transaction, by id."""
        t = self.table
        ids = sorted(set(record_ids))
        locking = self._c.postgres and self._c.write
        found: builtins.list[R] = []
        for start in range(0, len(ids), _SLICE):
            part = ids[start : start + _SLICE]
            query = (
                sa.select(t).where(t.c.seller_id == seller_id, t.c.id.in_(part)).order_by(t.c.id)
            )
            if locking:
                query = query.with_for_update(skip_locked=True)
            rows = self._c.rows(f"claim {self.plural}", query)
            found += [self._record(row) for row in rows]
        return found

    def save(self, record: R, *, expected_version: int) -> R:
        """Replace it at ``expected_version``; returns it at the next version."""
        t = self.table
        record_id = self.record_id(record)
        values = self._values(record, expected_version + 1)
        statement = (
            sa.update(t)
            .where(
                t.c.seller_id == record.seller_id,
                t.c.id == record_id,
                t.c.version == expected_version,
            )
            .values({k: v for k, v in values.items() if k not in _KEY})
        )
        if self._c.count(f"save a {self.noun}", statement) != 1:
            self.get(record.seller_id, record_id)  # NotFoundError when gone
            raise ConcurrencyError(
                f"{self.noun} {record_id!r} was changed by someone else; retry",
                retryable=True,
            )
        saved: R = attrs.evolve(record, version=expected_version + 1)
        return saved

    def save_many(self, records: Sequence[R]) -> None:
        """``save`` each at its own version: one executemany (psycopg pipelines it)."""
        if len(records) <= 1:
            for record in records:
                self.save(record, expected_version=record.version)
            return
        rows = []
        for record in records:
            values = self._values(record, record.version + 1)
            rows.append(
                {
                    **{f"v_{k}": values[k] for k in self._saved},
                    "k_seller_id": record.seller_id,
                    "k_id": self.record_id(record),
                    "k_version": record.version,
                }
            )
        if self._c.count(f"save {self.plural}", self._save_many, rows) == len(records):
            return
        for record in records:  # which one: save() raises NotFoundError or ConcurrencyError
            stored = self.get(record.seller_id, self.record_id(record))
            if stored.version != record.version + 1:
                self.save(record, expected_version=record.version)
        raise ConcurrencyError(f"a {self.noun} was saved twice in one batch; retry")

    def list(
        self,
        seller_id: str,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> builtins.list[R]:
        """The seller's records ordered by id, filtered; ``limit`` cuts as ``[:limit]`` would."""
        t = self.table
        query = sa.select(t).where(t.c.seller_id == seller_id)
        if customer_id is not None:
            query = query.where(t.c.customer_id == customer_id)
        if status is not None:
            query = query.where(t.c.status == str(status))
        if after is not None:
            query = query.where(t.c.id > after)
        if limit >= 0:
            query = query.limit(limit)
        rows = self._c.rows(f"list {self.plural}", query.order_by(t.c.id))
        return [self._record(row) for row in (rows if limit >= 0 else rows[:limit])]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, record id) of every billable record, ordered."""
        t = self.table
        query = sa.select(t.c.seller_id, t.c.id)
        billable = self._billable()
        if billable is not None:
            query = query.where(billable)
        if seller_id is not None:
            query = query.where(t.c.seller_id == seller_id)
        rows = self._c.rows(self.billing_operation, query.order_by(t.c.seller_id, t.c.id))
        return [(row.seller_id, row.id) for row in rows]
