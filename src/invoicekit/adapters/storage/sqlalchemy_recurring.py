"""Recurring templates of ``SqlAlchemyStorage`` (0006); they behave as ``MemoryStorage``'s do.

``claim`` locks a template's row with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
workers generating at once each take different templates and never wait on each other.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import attrs
import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_tables import RECURRING_TEMPLATES, Context
from invoicekit.adapters.storage.times import utc_text
from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.records import TemplateRecord
from invoicekit.serialization.templates import template_from_text, template_text

__all__ = ["SqlRecurring"]

_b = sa.bindparam
_R = RECURRING_TEMPLATES
#: Ids per statement.
_SLICE: Final = 500
_ONE: Final = sa.select(_R).where(_R.c.seller_id == _b("seller_id"), _R.c.id == _b("id"))
_SAVED: Final = ("customer_id", "status", "version", "last_index", "to_issue", "created_at", "doc")
#: The guarded UPDATE of ``save_many``, one execution per template.
_SAVE_MANY: Final = (
    sa.update(_R)
    .where(
        _R.c.seller_id == _b("k_seller_id"),
        _R.c.id == _b("k_id"),
        _R.c.version == _b("k_version"),
    )
    .values({name: _b(f"v_{name}") for name in _SAVED})
)


class SqlRecurring:
    """``RecurringRepository`` on one transaction's ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx
        #: The stored text of each template read in this transaction, so that a save of
        #: progress alone (``run_due``) writes it back without encoding the template again.
        self._texts: dict[int, tuple[RecurringTemplate, str]] = {}

    def _record(self, row: Any) -> TemplateRecord:
        template = template_from_text(self._c.converter, row.doc, self._c.url)
        self._texts[id(template)] = (template, row.doc)
        return TemplateRecord(
            seller_id=row.seller_id,
            template=template,
            created_at=datetime.fromisoformat(row.created_at),
            version=row.version,
            last_index=row.last_index,
            to_issue=tuple(json.loads(row.to_issue)),
        )

    def _values(self, record: TemplateRecord, version: int) -> dict[str, Any]:
        t = record.template
        return {
            "seller_id": record.seller_id,
            "id": t.id,
            "customer_id": t.customer_id,
            "status": str(t.status),
            "version": version,
            "last_index": record.last_index,
            "to_issue": json.dumps(list(record.to_issue)),
            "created_at": utc_text(record.created_at, "created_at"),
            "doc": self._text(t),
        }

    def _text(self, template: RecurringTemplate) -> str:
        read = self._texts.get(id(template))
        if read is not None and read[0] is template:
            return read[1]
        return template_text(self._c.converter, template)

    def add(self, record: TemplateRecord) -> None:
        """Store a new template; DuplicateError when the seller has its id."""
        if not self._c.insert_new("store a recurring template", _R, self._values(record, 1)):
            raise DuplicateError(f"recurring template {record.template.id!r} already exists")

    def get(self, seller_id: str, template_id: str, *, for_update: bool = False) -> TemplateRecord:
        """The seller's template (its row locked with ``for_update``); NotFoundError otherwise."""
        query = _ONE.with_for_update() if for_update and self._c.write else _ONE
        params = {"seller_id": seller_id, "id": template_id}
        row = self._c.first("read a recurring template", query, params)
        if row is None:
            raise NotFoundError("recurring template", template_id)
        return self._record(row)

    def claim(self, seller_id: str, template_id: str) -> TemplateRecord | None:
        """The template with its row locked, or None when gone or another transaction holds it."""
        locking = self._c.postgres and self._c.write
        query = _ONE.with_for_update(skip_locked=True) if locking else _ONE
        params = {"seller_id": seller_id, "id": template_id}
        row = self._c.first("claim a recurring template", query, params)
        return None if row is None else self._record(row)

    def claim_many(
        self, seller_id: str, template_ids: Sequence[str]
    ) -> builtins.list[TemplateRecord]:
        """The stored ones among ``template_ids`` not held by another transaction, by id."""
        ids = sorted(set(template_ids))
        locking = self._c.postgres and self._c.write
        found: builtins.list[TemplateRecord] = []
        for start in range(0, len(ids), _SLICE):
            part = ids[start : start + _SLICE]
            query = (
                sa.select(_R)
                .where(_R.c.seller_id == seller_id, _R.c.id.in_(part))
                .order_by(_R.c.id)
            )
            if locking:
                query = query.with_for_update(skip_locked=True)
            rows = self._c.rows("claim recurring templates", query)
            found += [self._record(row) for row in rows]
        return found

    def save(self, record: TemplateRecord, *, expected_version: int) -> TemplateRecord:
        """Replace it at ``expected_version``; returns it at the next version."""
        values = self._values(record, expected_version + 1)
        statement = (
            sa.update(_R)
            .where(
                _R.c.seller_id == record.seller_id,
                _R.c.id == record.template.id,
                _R.c.version == expected_version,
            )
            .values({k: v for k, v in values.items() if k not in {"seller_id", "id"}})
        )
        if self._c.count("save a recurring template", statement) != 1:
            self.get(record.seller_id, record.template.id)  # NotFoundError when gone
            raise ConcurrencyError(
                f"recurring template {record.template.id!r} was changed by someone else; retry",
                retryable=True,
            )
        return attrs.evolve(record, version=expected_version + 1)

    def save_many(self, records: Sequence[TemplateRecord]) -> None:
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
                    **{f"v_{k}": v for k, v in values.items() if k not in {"seller_id", "id"}},
                    "k_seller_id": record.seller_id,
                    "k_id": record.template.id,
                    "k_version": record.version,
                }
            )
        if self._c.count("save recurring templates", _SAVE_MANY, rows) == len(records):
            return
        for record in records:  # which one: save() raises NotFoundError or ConcurrencyError
            stored = self.get(record.seller_id, record.template.id)
            if stored.version != record.version + 1:
                self.save(record, expected_version=record.version)
        raise ConcurrencyError("a recurring template was saved twice in one batch; retry")

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
        query = sa.select(_R).where(_R.c.seller_id == seller_id)
        if customer_id is not None:
            query = query.where(_R.c.customer_id == customer_id)
        if status is not None:
            query = query.where(_R.c.status == str(status))
        if after is not None:
            query = query.where(_R.c.id > after)
        rows = self._c.rows("list recurring templates", query.order_by(_R.c.id).limit(limit))
        return [self._record(row) for row in rows]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, template id) of every template, ordered."""
        query = sa.select(_R.c.seller_id, _R.c.id)
        if seller_id is not None:
            query = query.where(_R.c.seller_id == seller_id)
        rows = self._c.rows("list billing templates", query.order_by(_R.c.seller_id, _R.c.id))
        return [(row.seller_id, row.id) for row in rows]
