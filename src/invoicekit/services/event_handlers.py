"""In-process event handlers: called at least once per event, in outbox order, from a durable cursor.

Each handler has a cursor in storage (``EventFeed``): the last outbox record it
finished. A handler that raises is retried with backoff (``RetryPolicy``) from
the same record, and parked with its error when the retries are used up; the
others carry on. A process that dies mid-handler leaves the cursor before the
record, so the next dispatch calls the handler with it again (at least once).
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Final

import attrs

from invoicekit.errors import (
    ConcurrencyError,
    ConfigurationError,
    NotFoundError,
    ValidationError,
    problem,
)
from invoicekit.records import HandlerCursor, OutboxRecord
from invoicekit.services.dispatch import RetryPolicy
from invoicekit.services.event_notices import EventNotice, check_pattern, matches, notices
from invoicekit.services.unit import Runner

__all__ = ["EventDispatchReport", "EventHandler", "EventHandlers", "HandlerState"]

log = logging.getLogger("invoicekit.events")

#: What a handler is: called with each notice it subscribed to; its return value is ignored.
EventHandler = Callable[[EventNotice], object]
_MAX_ERROR: Final = 500
_PAGE: Final = 100


@attrs.frozen
class HandlerState:
    """One handler as stored: how far it got, and whether it waits to retry or is parked."""

    name: str
    #: The pattern it subscribed to in this process; None when not registered here.
    pattern: str | None
    #: The last outbox position it finished.
    position: int
    attempts: int
    next_attempt_at: datetime | None
    parked_at: datetime | None
    last_error: str | None

    @property
    def parked(self) -> bool:
        """True when it stopped after its retries: ``billing.resume_event_handler(name)`` restarts it."""
        return self.parked_at is not None


@attrs.define
class EventDispatchReport:
    """What one ``dispatch_events`` did: calls made, failures (name, error) and handlers parked."""

    called: int = 0
    failed: list[tuple[str, str]] = attrs.Factory(list)
    parked: list[str] = attrs.Factory(list)


@attrs.frozen
class _Registration:
    pattern: str
    handler: EventHandler


class EventHandlers:
    """The handlers registered on one ``Billing``, and their dispatcher."""

    def __init__(self, runner: Runner, retry: RetryPolicy | None = None) -> None:
        self._run = runner
        self.retry = retry or RetryPolicy()
        self._handlers: dict[str, _Registration] = {}

    def __bool__(self) -> bool:
        return bool(self._handlers)

    def on(self, pattern: str, handler: EventHandler, *, name: str | None = None) -> str:
        """Register ``handler`` for ``pattern``; returns its name (the key of its stored cursor).

        A new name starts after the events stored so far; a known one resumes from its cursor.
        """
        check_pattern(pattern)
        if not callable(handler):
            raise ValidationError(
                [problem("handler", "must be callable", handler)], subject="event handler"
            )
        name = name or f"{handler.__module__}.{handler.__qualname__}"
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(
                [problem("name", "must be non-empty text", name)], subject="event handler"
            )
        if name in self._handlers:
            raise ConfigurationError(
                f"an event handler named {name!r} is already registered; pass name=... to register another"
            )
        with self._run.storage.transaction() as tx:
            if tx.event_feed.cursor(name) is None:
                epoch, position = tx.event_feed.end()
                tx.event_feed.save_cursor(
                    HandlerCursor(name=name, epoch=epoch, position=position), expected_version=0
                )
        self._handlers[name] = _Registration(pattern, handler)
        return name

    def states(self) -> builtins.list[HandlerState]:
        """Every handler with a stored cursor, by name (also those not registered in this process)."""
        with self._run.read() as tx:
            cursors = tx.event_feed.cursors()
        return [self._state(c) for c in cursors]

    def resume(self, name: str) -> HandlerState:
        """Restart a parked (or waiting) handler at the record it failed on; NotFoundError if unknown."""
        with self._run.storage.transaction() as tx:
            cursor = tx.event_feed.cursor(name)
            if cursor is None:
                raise NotFoundError("event handler", name)
            fresh = attrs.evolve(
                cursor, attempts=0, next_attempt_at=None, parked_at=None, last_error=None
            )
            saved = tx.event_feed.save_cursor(fresh, expected_version=cursor.version)
        return self._state(saved)

    def dispatch(self, *, limit: int = 1000) -> EventDispatchReport:
        """Call each registered handler with up to ``limit`` new records' notices, in order."""
        report = EventDispatchReport()
        for name, registration in builtins.list(self._handlers.items()):
            try:
                self._drain(name, registration, limit, report)
            except ConcurrencyError:
                log.info("event handler %s moved on in another dispatcher; carrying on there", name)
        return report

    def _drain(
        self, name: str, registration: _Registration, limit: int, report: EventDispatchReport
    ) -> None:
        now = self._run.clock.now()
        with self._run.read() as tx:
            cursor = tx.event_feed.cursor(name)
        if cursor is None or cursor.parked_at is not None:
            return
        if cursor.next_attempt_at is not None and cursor.next_attempt_at > now:
            return
        left = limit
        while left > 0:
            with self._run.read() as tx:
                page = tx.event_feed.read(
                    epoch=cursor.epoch, position=cursor.position, limit=min(left, _PAGE)
                )
            if not page:
                return
            left -= len(page)
            moved = False
            for epoch, record in page:
                error, called = self._call(registration, record, report)
                if error is not None:
                    if moved:
                        cursor = self._save(cursor)
                    self._failed(cursor, error, now, report)
                    return
                cursor = attrs.evolve(
                    cursor,
                    epoch=epoch,
                    position=record.position or 0,
                    attempts=0,
                    next_attempt_at=None,
                    last_error=None,
                )
                moved = True
                if called:  # durable after each call: a crash repeats at most this record
                    cursor, moved = self._save(cursor), False
            if moved:
                cursor = self._save(cursor)

    def _call(
        self, registration: _Registration, record: OutboxRecord, report: EventDispatchReport
    ) -> tuple[str | None, bool]:
        """Call the handler with the record's notices it wants: (the error text if it raised, called)."""
        called = False
        for notice in notices(self._run.converter, record):
            if matches(registration.pattern, notice.type):
                report.called += 1
                called = True
                try:
                    registration.handler(notice)
                except Exception as exc:  # noqa: BLE001 - any failure of host code is retried
                    return f"{type(exc).__name__}: {exc}"[:_MAX_ERROR], called
        return None, called

    def _failed(
        self, cursor: HandlerCursor, error: str, now: datetime, report: EventDispatchReport
    ) -> None:
        attempts = cursor.attempts + 1
        retry_at = self.retry.next_attempt(cursor.name, attempts, now)
        failed = attrs.evolve(
            cursor,
            attempts=attempts,
            last_error=error,
            next_attempt_at=retry_at,
            parked_at=now if retry_at is None else None,
        )
        self._save(failed)
        report.failed.append((cursor.name, error))
        if retry_at is None:
            log.error("event handler %s parked after %d attempts: %s", cursor.name, attempts, error)
            report.parked.append(cursor.name)
        else:
            log.warning(
                "event handler %s failed (%s); retrying at %s", cursor.name, error, retry_at
            )

    def _save(self, cursor: HandlerCursor) -> HandlerCursor:
        """Store ``cursor`` over the version it was read at (ConcurrencyError if it moved)."""
        with self._run.storage.transaction() as tx:
            return tx.event_feed.save_cursor(cursor, expected_version=cursor.version)

    def _state(self, cursor: HandlerCursor) -> HandlerState:
        registration = self._handlers.get(cursor.name)
        return HandlerState(
            name=cursor.name,
            pattern=None if registration is None else registration.pattern,
            position=cursor.position,
            attempts=cursor.attempts,
            next_attempt_at=cursor.next_attempt_at,
            parked_at=cursor.parked_at,
            last_error=cursor.last_error,
        )
