"""The event feed of ``SqlAlchemyStorage`` (0007): the outbox in handler order, and cursors.

On PostgreSQL a cursor over ``position`` alone would skip a row whose transaction
took its position early and committed late. So each row keeps the id of the
transaction that wrote it (``xact``), and ``read`` returns only rows older than
every running transaction (``pg_snapshot_xmin(pg_current_snapshot())``), ordered
by (xact, position): a transaction still running has an id at or above that
horizon, above every row already read, so it can never land behind a cursor.
On SQLite position order is commit order (one writer) and the epoch is 0.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, Final

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_tables import EVENT_CURSORS, OUTBOX, Context
from invoicekit.adapters.storage.times import parse_utc, utc_text_or_none
from invoicekit.errors import ConcurrencyError
from invoicekit.records import HandlerCursor, OutboxRecord

__all__ = ["SqlEventFeed"]

_b = sa.bindparam
_C = EVENT_CURSORS
_NAMES: Final = tuple(c.name for c in _C.columns)
#: Older than every running transaction: committed (or rolled back) for good.
_SETTLED: Final = "o.xact < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
_PG_READ: Final = sa.text(
    f"SELECT o.* FROM outbox o WHERE {_SETTLED} AND (o.xact, o.position) > (:epoch, :position) "  # noqa: S608 - constants only
    "ORDER BY o.xact, o.position LIMIT :limit"
)
_PG_END: Final = sa.text(
    f"SELECT o.xact, o.position FROM outbox o WHERE {_SETTLED} "  # noqa: S608 - constants only
    "ORDER BY o.xact DESC, o.position DESC LIMIT 1"
)
_READ: Final = (
    sa.select(OUTBOX)
    .where(OUTBOX.c.position > _b("position"))
    .order_by(OUTBOX.c.position)
    .limit(_b("limit"))
)
_END: Final = sa.select(sa.func.max(OUTBOX.c.position))
_ONE: Final = sa.select(_C).where(_C.c.name == _b("k_name"))
_UPDATE: Final = (
    _C.update()
    .where(_C.c.name == _b("k_name"), _C.c.version == _b("k_version"))
    .values({n: _b(f"v_{n}") for n in _NAMES if n != "name"})
)


def _stale(name: str) -> ConcurrencyError:
    return ConcurrencyError(
        f"event handler {name!r} moved on meanwhile (another dispatcher); it carries on from there",
        retryable=False,
    )


def _values(cursor: HandlerCursor, version: int) -> dict[str, Any]:
    """A cursor's column values (as sqlite_events writes them: one meaning in both stores)."""
    return {
        "name": cursor.name,
        "epoch": cursor.epoch,
        "position": cursor.position,
        "attempts": cursor.attempts,
        "next_attempt_at": utc_text_or_none(cursor.next_attempt_at, "next_attempt_at"),
        "parked_at": utc_text_or_none(cursor.parked_at, "parked_at"),
        "last_error": cursor.last_error,
        "version": version,
    }


def _cursor(row: Any) -> HandlerCursor:
    """The cursor of a row (or of ``_values``' dict)."""
    values: dict[str, Any] = row if isinstance(row, dict) else dict(row._asdict())
    return HandlerCursor(
        name=values["name"],
        epoch=int(values["epoch"]),
        position=int(values["position"]),
        attempts=int(values["attempts"]),
        next_attempt_at=parse_utc(values["next_attempt_at"]),
        parked_at=parse_utc(values["parked_at"]),
        last_error=values["last_error"],
        version=int(values["version"]),
    )


class SqlEventFeed:
    """``EventFeed`` on one transaction's ``Context``; ``decode`` reads an outbox row."""

    def __init__(self, ctx: Context, decode: Callable[[Any], OutboxRecord]) -> None:
        self._c = ctx
        self._decode = decode

    def read(
        self, *, epoch: int, position: int, limit: int
    ) -> builtins.list[tuple[int, OutboxRecord]]:
        """Settled records after (epoch, position), in (xact, position) order."""
        if not self._c.postgres:
            params = {"position": position, "limit": limit}
            rows = self._c.rows("read the event feed", _READ, params)
            return [(0, self._decode(row)) for row in rows]
        params = {"epoch": epoch, "position": position, "limit": limit}
        rows = self._c.rows("read the event feed", _PG_READ, params)
        return [(int(row.xact), self._decode(row)) for row in rows]

    def end(self) -> tuple[int, int]:
        """The mark of the last settled record."""
        if not self._c.postgres:
            last = self._c.scalar("read the end of the event feed", _END)
            return 0, int(last or 0)
        row = self._c.first("read the end of the event feed", _PG_END)
        return (0, 0) if row is None else (int(row.xact), int(row.position))

    def cursor(self, name: str) -> HandlerCursor | None:
        """The cursor of ``name``."""
        row = self._c.first("read an event handler's cursor", _ONE, {"k_name": name})
        return None if row is None else _cursor(row)

    def cursors(self) -> builtins.list[HandlerCursor]:
        """Every cursor by name."""
        rows = self._c.rows("list event handlers' cursors", sa.select(_C).order_by(_C.c.name))
        return [_cursor(row) for row in rows]

    def save_cursor(self, cursor: HandlerCursor, *, expected_version: int) -> HandlerCursor:
        """Insert (at version 0) or update at ``expected_version``; ConcurrencyError otherwise."""
        values = _values(cursor, expected_version + 1)
        if expected_version == 0:
            done = self._c.insert_new("save an event handler's cursor", _C, values)
        else:
            params = {f"v_{n}": v for n, v in values.items()}
            params |= {"k_name": cursor.name, "k_version": expected_version}
            done = self._c.count("save an event handler's cursor", _UPDATE, params) == 1
        if not done:
            raise _stale(cursor.name)
        return _cursor(values)
