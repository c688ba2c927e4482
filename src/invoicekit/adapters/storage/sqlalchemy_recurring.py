"""Recurring templates of ``SqlAlchemyStorage`` (0006); they behave as ``MemoryStorage``'s do.

``claim`` locks a template's row with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
workers generating at once each take different templates and never wait on each other.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from invoicekit.adapters.storage.sqlalchemy_tables import RECURRING_TEMPLATES, Context
from invoicekit.adapters.storage.sqlalchemy_versioned import SqlVersioned
from invoicekit.adapters.storage.times import utc_text
from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.records import TemplateRecord
from invoicekit.serialization.templates import template_from_text, template_text

__all__ = ["SqlRecurring"]


class SqlRecurring(SqlVersioned[TemplateRecord]):
    """``RecurringRepository`` on one transaction's ``Context``."""

    table = RECURRING_TEMPLATES
    noun = "recurring template"
    plural = "recurring templates"
    billing_operation = "list billing templates"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
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

    @staticmethod
    def record_id(record: TemplateRecord) -> str:
        """The template's id."""
        return record.template.id

    def _text(self, template: RecurringTemplate) -> str:
        read = self._texts.get(id(template))
        if read is not None and read[0] is template:
            return read[1]
        return template_text(self._c.converter, template)

    def claim(self, seller_id: str, template_id: str) -> TemplateRecord | None:
        """The template with its row locked, or None when gone or another transaction holds it."""
        locking = self._c.postgres and self._c.write
        query = self._one.with_for_update(skip_locked=True) if locking else self._one
        params = {"seller_id": seller_id, "id": template_id}
        row = self._c.first("claim a recurring template", query, params)
        return None if row is None else self._record(row)
