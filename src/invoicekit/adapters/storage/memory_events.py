"""The event feed of ``MemoryStorage``: the outbox by position, and handler cursors.

One writer at a time and positions taken in commit order, so the position alone
is an order no later commit can get ahead of (the epoch is always 0).
"""

from __future__ import annotations

import builtins
from copy import deepcopy
from typing import Any

import attrs

from invoicekit.errors import ConcurrencyError
from invoicekit.records import HandlerCursor, OutboxRecord

__all__ = ["MemoryEventFeed"]


class MemoryEventFeed:
    """``EventFeed`` over the outbox table and a table of cursors keyed by handler name."""

    def __init__(self, outbox: Any, cursors: Any) -> None:
        self._outbox = outbox
        self._cursors = cursors

    def read(
        self,
        *,
        epoch: int,  # noqa: ARG002 - always 0 here
        position: int,
        limit: int,
    ) -> builtins.list[tuple[int, OutboxRecord]]:
        """Records after ``position``, by position."""
        found: builtins.list[OutboxRecord] = sorted(
            (r for r in self._outbox.values() if r.position > position),
            key=lambda r: r.position or 0,
        )
        return [(0, attrs.evolve(r, payload=deepcopy(r.payload))) for r in found[:limit]]

    def end(self) -> tuple[int, int]:
        """(0, the last position)."""
        return 0, max((r.position for r in self._outbox.values()), default=0)

    def cursor(self, name: str) -> HandlerCursor | None:
        """The cursor of ``name``."""
        found: HandlerCursor | None = self._cursors.get(name)
        return found

    def cursors(self) -> builtins.list[HandlerCursor]:
        """Every cursor by name."""
        return sorted(self._cursors.values(), key=lambda c: c.name)

    def save_cursor(self, cursor: HandlerCursor, *, expected_version: int) -> HandlerCursor:
        """Store it at ``expected_version + 1``; ConcurrencyError when another save came first."""
        stored = self.cursor(cursor.name)
        if (0 if stored is None else stored.version) != expected_version:
            raise ConcurrencyError(
                f"event handler {cursor.name!r} moved on meanwhile (another dispatcher); "
                "it carries on from there",
                retryable=False,
            )
        saved = attrs.evolve(cursor, version=expected_version + 1)
        self._cursors.put(cursor.name, saved)
        return saved
