"""Running one use case as one storage transaction: idempotency keys, retries, the outbox.

Every write of the facade goes through ``Runner.write``: it replays the stored
result for a known idempotency key, refuses the key with other parameters,
retries on a concurrency conflict, and writes the domain events to the outbox
in the same transaction as the change. What a change calls for after the commit
(a receipt to deliver, a checkout to cancel) is registered with ``after_commit``
inside the transaction and run once the transaction has committed.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final, TypeVar

import cattrs

from invoicekit.domain import checks
from invoicekit.domain.events import Event
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import (
    ConcurrencyError,
    ConflictError,
    DuplicateError,
)
from invoicekit.faults import FaultPoints
from invoicekit.ports import Clock, IdempotencyRecord, OutboxRecord, Storage, Transaction
from invoicekit.serialization import canonical_json, event_to_document
from invoicekit.serialization.converter import EVENT_CONTEXT
from invoicekit.services.calls import Call

__all__ = ["ChangeHook", "Runner"]

log = logging.getLogger("invoicekit.unit")

T = TypeVar("T")
_ATTEMPTS: Final = 5
_MAX_KEY: Final = 255
#: The actions registered by the write transaction running in this context, for after its commit.
_AFTER_COMMIT: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "invoicekit_after_commit", default=None
)

#: Called with (tx, invoice, events, now) for every change recorded through ``Runner.changed``.
ChangeHook = Callable[[Transaction, Invoice, Sequence[Event], datetime], None]


class Runner:
    """Runs use cases against storage with the clock, the converter and the fault points."""

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        converter: cattrs.Converter,
        faults: FaultPoints,
        new_id: Callable[[str], str],
    ) -> None:
        self.new_id = new_id
        self.storage = storage
        self.clock = clock
        self.converter = converter
        self.faults = faults
        #: What else a change does in its transaction (Billing adds them: the customer's
        #: receipts, closing checkouts of a settled invoice).
        self.on_change: list[ChangeHook] = []

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A read-only transaction."""
        with self.storage.transaction(write=False) as tx:
            yield tx

    def write(
        self,
        seller_id: str,
        call: Call,
        body: Callable[[Transaction, datetime], T],
        result_type: type[Any] | None = None,
        *,
        key: str | None = None,
    ) -> T:
        """Run ``body(tx, now)`` for ``call`` in one write transaction, idempotently with ``key``.

        The key's fingerprint covers ``call.operation`` and every parameter of ``call``.

        Retries a retryable ConcurrencyError, and the idempotency-key race (a DuplicateError
        while another call with ``key`` committed), up to a few times with a short backoff;
        the last failure, and every other DuplicateError, is raised to the caller.
        """
        operation = call.operation
        key_problems = checks.identifier("idempotency_key", key, limit=_MAX_KEY, required=False)
        checks.refuse(key_problems, operation)
        plain = self._plain(call) if key is not None else {}
        fingerprint = self._fingerprint(call, plain) if key is not None else ""
        for attempt in range(_ATTEMPTS):
            after: list[Callable[[], None]] = []  # a retried transaction starts again
            token = _AFTER_COMMIT.set(after)
            try:
                with self.storage.transaction() as tx:
                    now = self.clock.now()
                    if key is not None:
                        stored = tx.idempotency.get(seller_id, key)
                        if stored is not None:
                            replayed: T = self._replay(stored, call, fingerprint, result_type)
                            return replayed
                    result = body(tx, now)
                    if key is not None:
                        tx.idempotency.put(
                            IdempotencyRecord(
                                seller_id=seller_id,
                                key=key,
                                fingerprint=fingerprint,
                                operation=operation,
                                result={
                                    "params": plain,
                                    "value": self.converter.unstructure(result),
                                },
                                created_at=now,
                            )
                        )
                    self.faults.hit("before_commit")
            except (ConcurrencyError, DuplicateError) as exc:
                if isinstance(exc, DuplicateError) and not self._key_race(seller_id, key):
                    raise
                if isinstance(exc, ConcurrencyError) and not exc.retryable:
                    raise
                if attempt == _ATTEMPTS - 1:
                    raise
                time.sleep(0.005 * (2**attempt))
                continue
            finally:
                _AFTER_COMMIT.reset(token)
            self.faults.hit("after_commit")
            self._run_after_commit(after)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def after_commit(self, action: Callable[[], None], *, first: bool = False) -> None:
        """Run ``action`` once the current write transaction has committed (never if it rolls back).

        Actions run in the order registered (``first=True``: before those registered so
        far). Outside a write transaction it runs at once. An action that raises is logged
        and the others still run: the change is committed whatever they do.
        """
        pending = _AFTER_COMMIT.get()
        if pending is None:
            self._run_after_commit([action])
        elif first:
            pending.insert(0, action)
        else:
            pending.append(action)

    @staticmethod
    def _run_after_commit(actions: Sequence[Callable[[], None]]) -> None:
        for action in actions:
            try:
                action()
            except Exception:  # a failed follow-up must not undo what the caller was told
                log.exception("an action after the commit failed; the change itself is committed")

    def changed(
        self,
        tx: Transaction,
        invoice: Invoice,
        events: Sequence[Event],
        now: datetime,
        *,
        before: str | None = None,
    ) -> None:
        """Record ``events`` of the saved ``invoice``: the outbox, and what they call for (receipts).

        ``before`` is the invoice's status before the change, for event handlers.
        """
        tx.outbox.append(self.outbox_records(invoice, events, before=before))
        if events:
            for hook in self.on_change:
                hook(tx, invoice, events, now)

    def _key_race(self, seller_id: str, key: str | None) -> bool:
        """True when another call with ``key`` committed meanwhile: then a retry replays it.

        Any other DuplicateError (an invoice id or a number already taken) is the
        caller's to see, not retried.
        """
        if key is None:
            return False
        with self.read() as tx:
            return tx.idempotency.get(seller_id, key) is not None

    def _plain(self, call: Call) -> dict[str, Any]:
        plain: dict[str, Any] = self.converter.unstructure(call.params())
        return plain

    def _fingerprint(self, call: Call, plain: dict[str, Any]) -> str:
        """The key's fingerprint: the operation and ``plain``, the call's parameters unstructured."""
        text = canonical_json({"operation": call.operation, "params": plain})
        return hashlib.sha256(text.encode()).hexdigest()

    def _replay(
        self,
        stored: IdempotencyRecord,
        call: Call,
        fingerprint: str,
        result_type: type[Any] | None,
    ) -> Any:
        if stored.fingerprint != fingerprint:
            before = stored.result.get("params", {})
            now = self._plain(call)
            if stored.operation != call.operation:
                detail = f"it was used for {stored.operation}, this call is {call.operation}"
            else:
                fields = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
                detail = "; ".join(f"{f} was {before.get(f)!r}, now {now.get(f)!r}" for f in fields)
            raise ConflictError(
                f"idempotency key {stored.key!r} was already used with other parameters "
                f"({detail}); use a new key for a different request"
            )
        if result_type is None:
            raise ConflictError(f"idempotency key {stored.key!r} was used for a call without one")
        return self.converter.structure(stored.result["value"], result_type)

    def outbox_records(
        self, invoice: Invoice, events: Sequence[Event], *, before: str | None = None
    ) -> list[OutboxRecord]:
        """The outbox records for ``events`` of ``invoice``, each under a new unique key.

        Keys are ids, not derived from the invoice: a draft id reused after a delete, or the
        same id under another seller, must never make an event look like a duplicate. Each
        payload carries the invoice's facts after the change (customer, status, balance) and
        ``before``, the status before it when the caller knows it, for event handlers.
        """
        context = {
            "customer_id": invoice.customer_id,
            "status_before": before,
            "status_after": str(invoice.status),
            "amount_due": str(invoice.amount_due),
            "currency": invoice.currency,
        }
        return [
            OutboxRecord(
                key=self.new_id("evt"),
                seller_id=invoice.seller_id,
                kind=event.name,
                payload={
                    **event_to_document(self.converter, event),
                    EVENT_CONTEXT: context,
                },
                created_at=event.at,
                invoice_id=invoice.id,
            )
            for event in events
        ]
