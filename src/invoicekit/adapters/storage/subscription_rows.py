"""Rows of the subscription tables, shared by the SQL adapters: a record's column values and back.

A subscription row keeps its progress in columns (version, last_index, to_issue,
billed, usage_billed_until, finished) beside the subscription document, so listing
and ``billing()`` filter in SQL.

The documents are read and written through a copy of the store's converter whose
``Price`` and ``Schedule`` hooks remember what they did: every subscription of a plan
stores the same prices (and those started the same day the same schedule), and
structuring them anew on every claim was a tenth of ``run_due`` (issue 16). Each is
structured once per distinct stored form (its canonical JSON) and unstructured once per
object; both are frozen, so sharing them is safe.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

import cattrs

from invoicekit.adapters.storage.times import parse_utc, utc_text, utc_text_or_none
from invoicekit.domain.pricing import Price
from invoicekit.domain.schedule import Schedule
from invoicekit.domain.subscription import Subscription
from invoicekit.serialization.subscriptions import subscription_from_text, subscription_text
from invoicekit.subscription_records import BilledUsage, SubscriptionRecord

__all__ = ["SUBSCRIPTION_COLUMNS", "SubscriptionRows"]

T = TypeVar("T")

#: The columns of ``subscriptions``, in table order.
SUBSCRIPTION_COLUMNS: Final = (
    "seller_id",
    "id",
    "customer_id",
    "status",
    "version",
    "last_index",
    "to_issue",
    "billed",
    "usage_billed_until",
    "finished",
    "created_at",
    "doc",
)


#: Distinct values each cache holds before it starts afresh (bounds memory, not speed).
_KEPT: Final = 1024
#: Values shared by many subscriptions (a plan's prices, a start day's schedule): frozen.
_SHARED: Final = (Price, Schedule)
#: The caching copy of each store converter (by id, the converter kept alive beside it).
_COPIES: dict[int, tuple[cattrs.Converter, cattrs.Converter]] = {}


def _remembering(converter: cattrs.Converter, copy: cattrs.Converter, cls: type[T]) -> None:
    """Make ``copy`` structure ``cls`` once per canonical JSON and unstructure it once per object."""
    structure = converter.get_structure_hook(cls)
    unstructure = converter.get_unstructure_hook(cls)
    read: dict[str, T] = {}
    written: dict[int, tuple[T, Any]] = {}

    def structure_one(value: Any, kind: type[T]) -> T:
        key = json.dumps(value, sort_keys=True, separators=(",", ":"))
        found = read.get(key)
        if found is None:
            found = structure(value, kind)
            if len(read) >= _KEPT:
                read.clear()
            read[key] = found
        return found

    def unstructure_one(value: T) -> Any:
        done = written.get(id(value))
        if done is not None and done[0] is value:
            return done[1]
        plain = unstructure(value)
        if len(written) >= _KEPT:
            written.clear()
        written[id(value)] = (value, plain)
        return plain

    copy.register_structure_hook(cls, structure_one)
    copy.register_unstructure_hook(cls, unstructure_one)


def _caching(converter: cattrs.Converter) -> cattrs.Converter:
    """A copy of ``converter`` that reads and writes each distinct shared value once."""
    kept = _COPIES.get(id(converter))
    if kept is not None and kept[0] is converter:
        return kept[1]
    copy = converter.copy()
    for cls in _SHARED:
        _remembering(converter, copy, cls)
    _COPIES[id(converter)] = (converter, copy)
    return copy


def _billed_text(billed: tuple[BilledUsage, ...]) -> str:
    return json.dumps(
        [[b.period_index, b.price_id, str(b.quantity), str(b.amount)] for b in billed],
        separators=(",", ":"),
    )


def _billed(text: str) -> tuple[BilledUsage, ...]:
    return tuple(
        BilledUsage(
            period_index=index, price_id=price_id, quantity=Decimal(qty), amount=Decimal(amount)
        )
        for index, price_id, qty, amount in json.loads(text)
    )


class SubscriptionRows:
    """Column values of records, and records of rows, for one transaction.

    Remembers the document text of each subscription it read, so that a save of
    progress alone (``run_due``) writes it back without encoding it again.
    """

    def __init__(self, converter: cattrs.Converter, where: str) -> None:
        self._converter = _caching(converter)
        self._where = where
        self._texts: dict[int, tuple[Subscription, str]] = {}

    def record(self, row: Mapping[str, Any]) -> SubscriptionRecord:
        """The record of a row (a mapping of column name to value)."""
        subscription = subscription_from_text(self._converter, row["doc"], self._where)
        self._texts[id(subscription)] = (subscription, row["doc"])
        return SubscriptionRecord(
            seller_id=row["seller_id"],
            subscription=subscription,
            created_at=datetime.fromisoformat(row["created_at"]),
            version=row["version"],
            last_index=row["last_index"],
            to_issue=tuple(json.loads(row["to_issue"])),
            billed=_billed(row["billed"]),
            usage_billed_until=parse_utc(row["usage_billed_until"]),
            finished=bool(row["finished"]),
        )

    def values(self, record: SubscriptionRecord, version: int) -> dict[str, Any]:
        """The column values stored for ``record`` at ``version``."""
        s = record.subscription
        return {
            "seller_id": record.seller_id,
            "id": s.id,
            "customer_id": s.customer_id,
            "status": str(s.status),
            "version": version,
            "last_index": record.last_index,
            "to_issue": json.dumps(list(record.to_issue)),
            "billed": _billed_text(record.billed),
            "usage_billed_until": utc_text_or_none(record.usage_billed_until, "usage_billed_until"),
            "finished": record.finished,
            "created_at": utc_text(record.created_at, "created_at"),
            "doc": self._text(s),
        }

    def _text(self, subscription: Subscription) -> str:
        read = self._texts.get(id(subscription))
        if read is not None and read[0] is subscription:
            return read[1]
        return subscription_text(self._converter, subscription)
