"""Checks of a usage batch shared by the storage adapters: duplicate keys, and what each record did."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from invoicekit.domain.usage import UsageRecord
from invoicekit.errors import DuplicateError

__all__ = ["check_batch", "fresh", "same_usage", "usage_conflict"]


def usage_conflict(key: str) -> DuplicateError:
    """The error for a usage key already stored (or sent earlier in the batch) with other content."""
    return DuplicateError(
        f"usage record key {key!r} is already stored with other content (subscription, "
        "meter, quantity, time or properties); send new usage under a new key"
    )


def same_usage(a: UsageRecord, b: UsageRecord) -> bool:
    """Whether two records with one key say the same (``received_at`` aside)."""
    return (
        a.subscription_id == b.subscription_id
        and a.meter == b.meter
        and a.quantity == b.quantity
        and a.at == b.at
        and dict(a.properties) == dict(b.properties)
    )


def check_batch(records: Sequence[UsageRecord]) -> dict[tuple[str, str], UsageRecord]:
    """The batch's first record per (seller, key); DuplicateError when a later one differs."""
    first: dict[tuple[str, str], UsageRecord] = {}
    for record in records:
        key = (record.seller_id, record.key)
        seen = first.setdefault(key, record)
        if seen is not record and not same_usage(seen, record):
            raise usage_conflict(record.key)
    return first


def fresh(records: Sequence[UsageRecord], stored: set[tuple[str, str]]) -> builtins.list[bool]:
    """Per record: True for the first of its key in the batch unless ``stored`` held the key."""
    seen = set(stored)
    result = []
    for record in records:
        key = (record.seller_id, record.key)
        result.append(key not in seen)
        seen.add(key)
    return result
