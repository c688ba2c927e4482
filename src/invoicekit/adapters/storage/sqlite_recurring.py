"""Recurring templates of ``SqliteStorage`` (schema 5); they behave as ``MemoryStorage``'s do.

The write lock serialises writers, so a version check in the UPDATE is all the
optimistic concurrency needs.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Final

import attrs

from invoicekit.adapters.storage.sqlite_schema import Row, Session
from invoicekit.adapters.storage.times import utc_text
from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.records import TemplateRecord
from invoicekit.serialization.templates import template_from_text, template_text

__all__ = ["SqliteRecurring"]

_COLUMNS: Final = (
    "seller_id, id, customer_id, status, version, last_index, to_issue, created_at, doc"
)
#: Ids per statement (under SQLite's limit of bound parameters).
_SLICE: Final = 500
_SELECT: Final = f"SELECT {_COLUMNS} FROM recurring_templates"  # noqa: S608 - constants only


class SqliteRecurring:
    """``RecurringRepository`` on one ``Session``."""

    def __init__(self, session: Session) -> None:
        self._s = session
        #: The stored text of each template read in this transaction, so that a save of
        #: progress alone (``run_due``) writes it back without encoding the template again.
        self._texts: dict[int, tuple[RecurringTemplate, str]] = {}

    def _record(self, row: Row) -> TemplateRecord:
        seller_id, _, _, _, version, last_index, to_issue, created_at, doc = row
        template = template_from_text(self._s.converter, doc, self._s.path)
        self._texts[id(template)] = (template, doc)
        return TemplateRecord(
            seller_id=seller_id,
            template=template,
            created_at=datetime.fromisoformat(created_at),
            version=version,
            last_index=last_index,
            to_issue=tuple(json.loads(to_issue)),
        )

    def _values(self, record: TemplateRecord, version: int) -> tuple[object, ...]:
        t = record.template
        return (
            record.seller_id,
            t.id,
            t.customer_id,
            str(t.status),
            version,
            record.last_index,
            json.dumps(list(record.to_issue)),
            utc_text(record.created_at, "created_at"),
            self._text(t),
        )

    def _text(self, template: RecurringTemplate) -> str:
        read = self._texts.get(id(template))
        if read is not None and read[0] is template:
            return read[1]
        return template_text(self._s.converter, template)

    def add(self, record: TemplateRecord) -> None:
        """Store a new template; DuplicateError when the seller has its id."""
        sql = f"INSERT INTO recurring_templates ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - constants only
        try:
            self._s.run("store a recurring template", sql, self._values(record, 1))
        except DuplicateError as exc:
            raise DuplicateError(
                f"recurring template {record.template.id!r} already exists"
            ) from exc

    def get(self, seller_id: str, template_id: str, *, for_update: bool = False) -> TemplateRecord:  # noqa: ARG002 - the write lock is held already
        """The seller's template; NotFoundError otherwise."""
        sql = f"{_SELECT} WHERE seller_id = ? AND id = ?"
        row = self._s.one("read a recurring template", sql, (seller_id, template_id))
        if row is None:
            raise NotFoundError("recurring template", template_id)
        return self._record(row)

    def claim(self, seller_id: str, template_id: str) -> TemplateRecord | None:
        """The template (the write lock is held already), or None when it is not stored."""
        try:
            return self.get(seller_id, template_id)
        except NotFoundError:
            return None

    def claim_many(
        self, seller_id: str, template_ids: Sequence[str]
    ) -> builtins.list[TemplateRecord]:
        """The stored ones among ``template_ids``, ordered by id (the write lock is held)."""
        ids = sorted(set(template_ids))
        found: builtins.list[TemplateRecord] = []
        for start in range(0, len(ids), _SLICE):
            part = ids[start : start + _SLICE]
            marks = ", ".join("?" * len(part))
            sql = f"{_SELECT} WHERE seller_id = ? AND id IN ({marks}) ORDER BY id"
            rows = self._s.rows("claim recurring templates", sql, (seller_id, *part))
            found += [self._record(row) for row in rows]
        return found

    def save(self, record: TemplateRecord, *, expected_version: int) -> TemplateRecord:
        """Replace it at ``expected_version``; returns it at the next version."""
        values = self._values(record, expected_version + 1)
        sql = (
            "UPDATE recurring_templates SET customer_id = ?, status = ?, version = ?, "
            "last_index = ?, to_issue = ?, created_at = ?, doc = ? "
            "WHERE seller_id = ? AND id = ? AND version = ?"
        )
        params = (*values[2:], record.seller_id, record.template.id, expected_version)
        if self._s.run("save a recurring template", sql, params) != 1:
            self.get(record.seller_id, record.template.id)  # NotFoundError when gone
            raise ConcurrencyError(
                f"recurring template {record.template.id!r} was changed by someone else; retry",
                retryable=True,
            )
        return attrs.evolve(record, version=expected_version + 1)

    def save_many(self, records: Sequence[TemplateRecord]) -> None:
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
    ) -> builtins.list[TemplateRecord]:
        """The seller's templates ordered by id, filtered."""
        sql = f"{_SELECT} WHERE seller_id = ?"
        params: list[object] = [seller_id]
        for column, value in (("customer_id", customer_id), ("status", status)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(str(value))
        if after is not None:
            sql += " AND id > ?"
            params.append(after)
        rows = self._s.page("list recurring templates", f"{sql} ORDER BY id", params, limit)
        return [self._record(row) for row in rows]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, template id) of every template, ordered."""
        sql = "SELECT seller_id, id FROM recurring_templates"
        params: tuple[object, ...] = ()
        if seller_id is not None:
            sql += " WHERE seller_id = ?"
            params = (seller_id,)
        rows = self._s.rows("list billing templates", f"{sql} ORDER BY seller_id, id", params)
        return [(row[0], row[1]) for row in rows]
