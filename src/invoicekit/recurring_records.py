"""What the store keeps of a recurring template: the template and how far it has billed."""

from __future__ import annotations

import hashlib
from datetime import datetime

import attrs

from invoicekit.domain.recurring import RecurringTemplate

__all__ = ["TemplateRecord", "occurrence_invoice_id"]


@attrs.frozen(kw_only=True)
class TemplateRecord:
    """A stored template; ``version`` is its optimistic-concurrency counter (1 when added)."""

    seller_id: str
    template: RecurringTemplate
    created_at: datetime
    version: int = 1
    #: The index of the last period handled (billed or skipped); None: none yet.
    last_index: int | None = None
    #: Invoices drafted from it that are still to be issued (issue mode), in period order.
    to_issue: tuple[str, ...] = ()


def occurrence_invoice_id(seller_id: str, template_id: str, index: int) -> str:
    """The invoice id of period ``index`` of a template: the same on every run and worker.

    Two runs generating the same period add the same id, so the store's unique key on
    invoice ids makes generation exactly once (T14, T25).
    """
    digest = hashlib.sha256(f"{seller_id}\x00{template_id}\x00{index}".encode()).hexdigest()
    return f"inv_r{digest[:32]}"
