"""Versioned records of ``SqliteStorage``: what the template and subscription repositories share.

Both keep one row per (seller id, id) with an optimistic ``version``. The write lock
serialises writers, so a version check in the UPDATE is all the concurrency needs.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Final, Generic, TypeVar

import attrs

from invoicekit.adapters.storage.sqlite_schema import Row, Session
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.records import TemplateRecord
from invoicekit.subscription_records import SubscriptionRecord

__all__ = ["SqliteVersioned"]

#: Ids per statement (under SQLite's limit of bound parameters).
_SLICE: Final = 500

#: The record a repository stores: a recurring template's or a subscription's.
R = TypeVar("R", TemplateRecord, SubscriptionRecord)


class SqliteVersioned(ABC, Generic[R]):
    """One table of versioned records on one ``Session``; a subclass maps rows and records."""

    #: The table, its columns (``seller_id, id`` first) and the record's noun in messages.
    table: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    noun: ClassVar[str]
    #: The noun's plural in operation names, e.g. ``"subscriptions"``.
    plural: ClassVar[str]
    #: The operation name of ``billing()``, and the condition on the rows it lists.
    billing_operation: ClassVar[str]
    billable: ClassVar[str | None] = None

    def __init__(self, session: Session) -> None:
        self._s = session

    @abstractmethod
    def _record(self, row: Row) -> R:
        """The record a stored row holds."""

    @abstractmethod
    def _values(self, record: R, version: int) -> tuple[object, ...]:
        """The row of ``record`` at ``version``, in the order of ``columns``."""

    @staticmethod
    @abstractmethod
    def record_id(record: R) -> str:
        """The id of the record's template or subscription."""

    def _select(self) -> str:
        return f"SELECT {', '.join(self.columns)} FROM {self.table}"  # noqa: S608 - constants only

    def add(self, record: R) -> None:
        """Store a new record; DuplicateError when the seller has its id."""
        marks = ", ".join("?" * len(self.columns))
        sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})"  # noqa: S608 - constants only
        try:
            self._s.run(f"store a {self.noun}", sql, self._values(record, 1))
        except DuplicateError as exc:
            raise DuplicateError(f"{self.noun} {self.record_id(record)!r} already exists") from exc

    def get(self, seller_id: str, record_id: str, *, for_update: bool = False) -> R:  # noqa: ARG002 - the write lock is held already
        """The seller's record; NotFoundError otherwise."""
        sql = f"{self._select()} WHERE seller_id = ? AND id = ?"
        row = self._s.one(f"read a {self.noun}", sql, (seller_id, record_id))
        if row is None:
            raise NotFoundError(self.noun, record_id)
        return self._record(row)

    def claim_many(self, seller_id: str, record_ids: Sequence[str]) -> builtins.list[R]:
        """The stored ones among ``record_ids``, ordered by id (the write lock is held)."""
        ids = sorted(set(record_ids))
        found: builtins.list[R] = []
        for start in range(0, len(ids), _SLICE):
            part: builtins.list[str] = ids[start : start + _SLICE]
            marks = ", ".join("?" * len(part))
            sql = f"{self._select()} WHERE seller_id = ? AND id IN ({marks}) ORDER BY id"
            rows = self._s.rows(f"claim {self.plural}", sql, (seller_id, *part))
            found += [self._record(row) for row in rows]
        return found

    def save(self, record: R, *, expected_version: int) -> R:
        """Replace it at ``expected_version``; returns it at the next version."""
        values: tuple[object, ...] = self._values(record, expected_version + 1)
        sql = (
            f"UPDATE {self.table} SET "  # noqa: S608 - constants only
            + ", ".join(f"{c} = ?" for c in self.columns[2:])
            + " WHERE seller_id = ? AND id = ? AND version = ?"
        )
        record_id = self.record_id(record)
        params = (*values[2:], record.seller_id, record_id, expected_version)
        if self._s.run(f"save a {self.noun}", sql, params) != 1:
            self.get(record.seller_id, record_id)  # NotFoundError when gone
            raise ConcurrencyError(
                f"{self.noun} {record_id!r} was changed by someone else; retry",
                retryable=True,
            )
        saved: R = attrs.evolve(record, version=expected_version + 1)
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
        sql = f"{self._select()} WHERE seller_id = ?"
        params: builtins.list[object] = [seller_id]
        for column, value in (("customer_id", customer_id), ("status", status)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(str(value))
        if after is not None:
            sql += " AND id > ?"
            params.append(after)
        rows = self._s.page(f"list {self.plural}", f"{sql} ORDER BY id", params, limit)
        return [self._record(row) for row in rows]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, record id) of every billable record, ordered."""
        where = [] if self.billable is None else [self.billable]
        params: tuple[object, ...] = ()
        if seller_id is not None:
            where.append("seller_id = ?")
            params = (seller_id,)
        sql = f"SELECT seller_id, id FROM {self.table}"  # noqa: S608 - constants only
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._s.rows(self.billing_operation, f"{sql} ORDER BY seller_id, id", params)
        return [(row[0], row[1]) for row in rows]
