"""Recurring templates in memory (``RecurringRepository``), in the one-writer MemoryStorage."""

from __future__ import annotations

from invoicekit.adapters.storage.memory_versioned import MemoryVersioned
from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.errors import NotFoundError
from invoicekit.records import TemplateRecord

__all__ = ["MemoryRecurring"]


class MemoryRecurring(MemoryVersioned[TemplateRecord]):
    """Templates keyed by (seller id, template id); an ended one may owe periods before its end."""

    noun = "recurring template"

    @staticmethod
    def item(record: TemplateRecord) -> RecurringTemplate:
        """The template the record holds."""
        return record.template

    def claim(self, seller_id: str, template_id: str) -> TemplateRecord | None:
        """The template (the write lock is held already), or None when it is not stored."""
        try:
            return self.get(seller_id, template_id)
        except NotFoundError:
            return None
