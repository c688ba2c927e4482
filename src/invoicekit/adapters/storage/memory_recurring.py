"""Recurring templates in memory (``RecurringRepository``), in the one-writer MemoryStorage."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import attrs

from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.records import TemplateRecord

__all__ = ["MemoryRecurring"]


class MemoryRecurring:
    """Templates keyed by (seller id, template id)."""

    def __init__(self, table: Any) -> None:
        self._t = table

    def add(self, record: TemplateRecord) -> None:
        """Store a new template; DuplicateError when the seller has its id."""
        key = (record.seller_id, record.template.id)
        if self._t.get(key) is not None:
            raise DuplicateError(f"recurring template {record.template.id!r} already exists")
        self._t.put(key, attrs.evolve(record, version=1))

    def get(self, seller_id: str, template_id: str, *, for_update: bool = False) -> TemplateRecord:  # noqa: ARG002 - one writer at a time
        """The seller's template; NotFoundError otherwise."""
        found: TemplateRecord | None = self._t.get((seller_id, template_id))
        if found is None:
            raise NotFoundError("recurring template", template_id)
        return found

    def claim(self, seller_id: str, template_id: str) -> TemplateRecord | None:
        """The template (the write lock is held already), or None when it is not stored."""
        try:
            return self.get(seller_id, template_id)
        except NotFoundError:
            return None

    def claim_many(
        self, seller_id: str, template_ids: Sequence[str]
    ) -> builtins.list[TemplateRecord]:
        """The stored ones among ``template_ids``, ordered by id."""
        found = (self._t.get((seller_id, t)) for t in sorted(set(template_ids)))
        return [r for r in found if r is not None]

    def save(self, record: TemplateRecord, *, expected_version: int) -> TemplateRecord:
        """Replace it at ``expected_version``; returns it at the next version."""
        stored = self.get(record.seller_id, record.template.id)
        if stored.version != expected_version:
            raise ConcurrencyError(
                f"recurring template {record.template.id!r} was changed by someone else; retry",
                retryable=True,
            )
        saved = attrs.evolve(record, version=expected_version + 1)
        self._t.put((record.seller_id, record.template.id), saved)
        return saved

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
        found = sorted(
            (
                r
                for r in self._t.values()
                if r.seller_id == seller_id
                and (customer_id is None or r.template.customer_id == customer_id)
                and (status is None or r.template.status == status)
                and (after is None or r.template.id > after)
            ),
            key=lambda r: r.template.id,
        )
        return found[:limit]

    def billing(self, seller_id: str | None = None) -> builtins.list[tuple[str, str]]:
        """(seller id, template id) of every template (an ended one may owe periods before its end)."""
        return sorted(
            (r.seller_id, r.template.id)
            for r in self._t.values()
            if seller_id is None or r.seller_id == seller_id
        )
