"""Usage from the host's app: records of metered use, idempotent by key, appended in batches.

``books.usage.record(subscription_id, meter, quantity, key=...)`` stores one record;
``record_many`` stores a batch in one transaction. The same key sent twice counts once
(the second is reported as a duplicate). Refused, with the path of the bad field: an
unknown subscription, an ``at`` before it started or after its cancellation took effect, a
meter none of its prices counts, a bad quantity, or an ``at`` more than five minutes
ahead of the clock. ``received_at`` is the clock's now: usage received after its period
was billed becomes an amendment of the held draft or an adjustment line on the next
invoice (``services.subscription_billing``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs

from invoicekit.domain import checks
from invoicekit.domain.pricing import PriceKind
from invoicekit.domain.subscription import Subscription
from invoicekit.domain.usage import UsageRecord
from invoicekit.errors import NotFoundError, Problem, ValidationError, problem
from invoicekit.ports import Transaction
from invoicekit.services import subscription_calls as calls
from invoicekit.services.unit import Runner

__all__ = ["FUTURE_LIMIT", "Usage", "UsageBatch"]

#: How far ahead of the clock a record's ``at`` may be.
FUTURE_LIMIT: Final = timedelta(minutes=5)
#: Records per batch at most (one transaction).
MAX_BATCH: Final = 100_000
_FIELDS: Final = frozenset({"subscription_id", "meter", "quantity", "key", "at", "properties"})


@attrs.frozen
class UsageBatch:
    """What ``record_many`` did: how many records were stored, and the keys already stored."""

    stored: int
    #: Keys of records sent before (or twice in the batch): counted once.
    duplicates: tuple[str, ...] = ()


def _meters(sub: Subscription) -> set[str]:
    return {
        i.price.meter.key
        for i in sub.items
        if i.price.kind is PriceKind.METERED and i.price.meter is not None
    }


class Usage:
    """``books.usage``: usage records of the seller's subscriptions."""

    def __init__(self, runner: Runner, seller_id: str) -> None:
        self._run = runner
        self._seller_id = seller_id

    def record(
        self,
        subscription_id: str,
        meter: str,
        quantity: Decimal | int | str,
        *,
        key: str,
        at: datetime | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> bool:
        """Store one usage record; False when ``key`` was stored before (it counts once)."""
        one = {
            "subscription_id": subscription_id,
            "meter": meter,
            "quantity": quantity,
            "key": key,
            "at": at,
            "properties": properties,
        }
        return self._store([one], prefix="")[0] == 1

    def record_many(self, records: Iterable[Mapping[str, Any]]) -> UsageBatch:
        """Store many records in one transaction: all, or (a bad one) none.

        Each record is a mapping of ``record``'s arguments (``subscription_id``, ``meter``,
        ``quantity``, ``key``, optionally ``at`` and ``properties``); a bad one is named
        by its index (``records[3].quantity``).
        """
        if isinstance(records, Mapping) or not isinstance(records, Iterable):
            raise ValidationError(
                [problem("records", "must be a list of mappings", records)], subject="usage"
            )
        batch = list(records)
        if len(batch) > MAX_BATCH:
            why = f"at most {MAX_BATCH} records per batch"
            raise ValidationError([problem("records", why, len(batch))], subject="usage")
        stored, duplicates = self._store(batch, prefix="records")
        return UsageBatch(stored=stored, duplicates=duplicates)

    def _store(self, batch: list[Any], *, prefix: str) -> tuple[int, tuple[str, ...]]:
        found: list[Problem] = []
        for n, one in enumerate(batch):
            where = f"{prefix}[{n}]." if prefix else ""
            found += _shape(one, where)
        checks.refuse(found, "usage")
        out: list[tuple[int, tuple[str, ...]]] = []

        def body(tx: Transaction, now: datetime) -> None:
            out.clear()
            records: list[UsageRecord] = []
            subs: dict[str, Subscription | None] = {}
            problems: list[Problem] = []
            for n, one in enumerate(batch):
                where = f"{prefix}[{n}]." if prefix else ""
                sub_id = one["subscription_id"]
                if sub_id not in subs:
                    subs[sub_id] = _subscription(tx, self._seller_id, sub_id)
                record, why = _record(self._seller_id, subs[sub_id], one, where, now)
                problems += why
                if record is not None:
                    records.append(record)
            checks.refuse(problems, "usage")
            added = tx.usage.add_many(records)
            dupes = tuple(r.key for r, new in zip(records, added, strict=True) if not new)
            out.append((sum(added), dupes))

        self._run.write(self._seller_id, calls.RecordUsage(), body)
        return out[0]


def _shape(one: object, where: str) -> list[Problem]:
    """The problems visible without storage: fields, types, quantity, key."""
    if not isinstance(one, Mapping):
        return [problem(where.rstrip(".") or "record", "must be a mapping of fields", one)]
    found: list[Problem] = []
    unknown = sorted(set(one) - _FIELDS)
    if unknown:
        allowed = ", ".join(sorted(_FIELDS))
        found.append(problem(f"{where}{unknown[0]}", f"is not a field; allowed: {allowed}", None))
    found += checks.lookup(f"{where}subscription_id", one.get("subscription_id"))
    found += checks.lookup(f"{where}meter", one.get("meter"))
    found += checks.identifier(f"{where}key", one.get("key"), limit=checks.MAX_KEY)
    at = one.get("at")
    if at is not None and (not isinstance(at, datetime) or at.utcoffset() is None):
        found.append(problem(f"{where}at", "must be a timezone-aware datetime, or None", at))
    props = one.get("properties")
    if props is not None and (
        not isinstance(props, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in props.items())
    ):
        found.append(problem(f"{where}properties", "must map text to text", props))
    return found


def _subscription(tx: Transaction, seller_id: str, subscription_id: str) -> Subscription | None:
    try:
        return tx.subscriptions.get(seller_id, subscription_id).subscription
    except NotFoundError:
        return None


def _record(
    seller_id: str, sub: Subscription | None, one: Mapping[str, Any], where: str, now: datetime
) -> tuple[UsageRecord | None, list[Problem]]:
    """The record to store, or the problems: unknown, cancelled, meter, future, quantity."""
    sub_id = one["subscription_id"]
    if sub is None:
        return None, [problem(f"{where}subscription_id", "no such subscription", sub_id)]
    at = one.get("at") or now
    found: list[Problem] = []
    if at > now + FUTURE_LIMIT:
        why = f"must be at most 5 minutes ahead of the clock ({now.isoformat()})"
        found.append(problem(f"{where}at", why, at))
    if sub.start is not None and at < sub.start:  # no bill's window holds it: it would be lost
        why = f"is before the subscription started ({sub.start.isoformat()})"
        found.append(problem(f"{where}at", why, at))
    ended = sub.canceled_at if sub.cancel_at is None else sub.cancel_at
    if ended is not None and at >= ended:
        why = f"is after the subscription's cancellation took effect ({ended.isoformat()})"
        found.append(problem(f"{where}at", why, at))
    meters = _meters(sub)
    if one["meter"] not in meters:
        allowed = ", ".join(sorted(meters)) or "none: the subscription has no metered price"
        found.append(
            problem(f"{where}meter", f"must be a meter of its prices: {allowed}", one["meter"])
        )
    if found:
        return None, found
    try:
        record = UsageRecord.create(
            seller_id=seller_id,
            subscription_id=sub_id,
            meter=one["meter"],
            key=one["key"],
            quantity=one["quantity"],
            at=at,
            received_at=now,
            properties=one.get("properties") or {},
        )
    except ValidationError as exc:
        return None, [attrs.evolve(p, path=f"{where}{p.path}") for p in exc.problems]
    return record, []
