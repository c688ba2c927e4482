"""Recurring templates of ``SqliteStorage`` (schema 5); they behave as ``MemoryStorage``'s do.

The write lock serialises writers, so a version check in the UPDATE is all the
optimistic concurrency needs.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Final

from invoicekit.adapters.storage.sqlite_schema import Row, Session
from invoicekit.adapters.storage.sqlite_versioned import SqliteVersioned
from invoicekit.adapters.storage.times import utc_text
from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.errors import NotFoundError
from invoicekit.records import TemplateRecord
from invoicekit.serialization.templates import template_from_text, template_text

__all__ = ["SqliteRecurring"]

_COLUMNS: Final = (
    "seller_id",
    "id",
    "customer_id",
    "status",
    "version",
    "last_index",
    "to_issue",
    "created_at",
    "doc",
)


class SqliteRecurring(SqliteVersioned[TemplateRecord]):
    """``RecurringRepository`` on one ``Session``."""

    table = "recurring_templates"
    columns = _COLUMNS
    noun = "recurring template"
    plural = "recurring templates"
    billing_operation = "list billing templates"

    def __init__(self, session: Session) -> None:
        super().__init__(session)
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

    @staticmethod
    def record_id(record: TemplateRecord) -> str:
        """The template's id."""
        return record.template.id

    def _text(self, template: RecurringTemplate) -> str:
        read = self._texts.get(id(template))
        if read is not None and read[0] is template:
            return read[1]
        return template_text(self._s.converter, template)

    def claim(self, seller_id: str, template_id: str) -> TemplateRecord | None:
        """The template (the write lock is held already), or None when it is not stored."""
        try:
            return self.get(seller_id, template_id)
        except NotFoundError:
            return None
