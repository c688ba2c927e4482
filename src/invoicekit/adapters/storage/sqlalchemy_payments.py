"""Provider notifications, checkout sessions and pay-link tokens of ``SqlAlchemyStorage`` (0004).

They behave as ``MemoryStorage``'s do (the reference). ``add`` of a notice is an
``INSERT … ON CONFLICT DO NOTHING`` on (provider, event_id): on PostgreSQL a second
transaction inserting the same notice waits for the first and then inserts nothing,
so exactly one of them records the payment (T17).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_tables import (
    CHECKOUT_SESSIONS,
    PAY_TOKENS,
    PROVIDER_EVENTS,
    Context,
)
from invoicekit.adapters.storage.times import parse_utc, utc_text, utc_text_or_none
from invoicekit.errors import DuplicateError
from invoicekit.payment_records import (
    CheckoutRecord,
    CheckoutState,
    NoticeKind,
    PayTokenRecord,
    ProviderEventRecord,
)

__all__ = ["SqlCheckouts", "SqlPayTokens", "SqlProviderEvents"]

_b = sa.bindparam
_E, _C, _T = PROVIDER_EVENTS, CHECKOUT_SESSIONS, PAY_TOKENS

_FOR_PAYMENT: Final = (
    sa.select(_E)
    .where(
        _E.c.seller_id == _b("seller_id"),
        _E.c.provider == _b("provider"),
        _E.c.payment_ref == _b("payment_ref"),
    )
    .order_by(_E.c.position)
)
_OPEN_FOR_INVOICE: Final = (
    sa.select(_C)
    .where(
        _C.c.seller_id == _b("seller_id"),
        _C.c.invoice_id == _b("invoice_id"),
        _C.c.state == CheckoutState.OPEN.value,
    )
    .order_by(_C.c.position)
)
_BY_KEY: Final = (
    sa.select(_C)
    .where(_C.c.seller_id == _b("seller_id"), _C.c.key == _b("key"))
    .order_by(_C.c.position.desc())
    .limit(1)
)
_CLOSE: Final = (
    sa.update(_C)
    .where(
        _C.c.seller_id == _b("k_seller"),
        _C.c.provider == _b("k_provider"),
        _C.c.ref == _b("k_ref"),
        _C.c.state == CheckoutState.OPEN.value,
    )
    .values(state=CheckoutState.CLOSED.value)
    .execution_options(preserve_rowcount=True)
)
_TOKEN: Final = sa.select(_T).where(_T.c.token_hash == _b("token_hash"))


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _event(row: sa.Row[Any]) -> ProviderEventRecord:
    return ProviderEventRecord(
        provider=row.provider,
        event_id=row.event_id,
        seller_id=row.seller_id,
        kind=NoticeKind(row.kind),
        type=row.type,
        received_at=parse_utc(row.received_at),  # type: ignore[arg-type] # NOT NULL
        outcome=row.outcome,
        invoice_id=row.invoice_id,
        payment_ref=row.payment_ref,
        amount=_decimal(row.amount),
        currency=row.currency,
        reason=row.reason,
        code=row.code,
        refund_ref=row.refund_ref,
        occurred_at=parse_utc(row.occurred_at),
        raw=bytes(row.raw),
    )


class SqlProviderEvents:
    """``ProviderEventRepository`` on one transaction's ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx

    def add(self, record: ProviderEventRecord) -> bool:
        """Store a notice; False (nothing changed) when (provider, event_id) is stored."""
        values = {
            "provider": record.provider,
            "event_id": record.event_id,
            "seller_id": record.seller_id,
            "invoice_id": record.invoice_id,
            "payment_ref": record.payment_ref,
            "kind": str(record.kind),
            "type": record.type,
            "amount": None if record.amount is None else str(record.amount),
            "currency": record.currency,
            "reason": record.reason,
            "code": record.code,
            "refund_ref": record.refund_ref,
            "occurred_at": utc_text_or_none(record.occurred_at, "occurred_at"),
            "received_at": utc_text(record.received_at, "received_at"),
            "outcome": record.outcome,
            "raw": bytes(record.raw),
        }
        return self._c.insert_new("store a provider notice", _E, values)

    def for_payment(
        self, seller_id: str, provider: str, payment_ref: str
    ) -> list[ProviderEventRecord]:
        """The seller's notices about one provider payment, in the order stored."""
        params = {"seller_id": seller_id, "provider": provider, "payment_ref": payment_ref}
        rows = self._c.rows("read a payment's notices", _FOR_PAYMENT, params)
        return [_event(row) for row in rows]

    def list(
        self, seller_id: str, *, invoice_id: str | None = None, limit: int = 100
    ) -> list[ProviderEventRecord]:
        """The seller's notices (optionally one invoice's), in the order stored."""
        query = sa.select(_E).where(_E.c.seller_id == seller_id)
        if invoice_id is not None:
            query = query.where(_E.c.invoice_id == invoice_id)
        query = query.order_by(_E.c.position).limit(max(limit, 0))
        return [_event(row) for row in self._c.rows("list provider notices", query)]


def _checkout(row: sa.Row[Any]) -> CheckoutRecord:
    return CheckoutRecord(
        provider=row.provider,
        ref=row.ref,
        seller_id=row.seller_id,
        invoice_id=row.invoice_id,
        key=row.key,
        amount=Decimal(row.amount),
        currency=row.currency,
        url=row.url,
        created_at=parse_utc(row.created_at),  # type: ignore[arg-type] # NOT NULL
        expires_at=parse_utc(row.expires_at),
        state=CheckoutState(row.state),
    )


class SqlCheckouts:
    """``CheckoutRepository`` on one transaction's ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx

    def add(self, record: CheckoutRecord) -> bool:
        """Store a session; False (nothing changed) when (provider, ref) is stored."""
        values = {
            "provider": record.provider,
            "ref": record.ref,
            "seller_id": record.seller_id,
            "invoice_id": record.invoice_id,
            "key": record.key,
            "amount": str(record.amount),
            "currency": record.currency,
            "url": record.url,
            "created_at": utc_text(record.created_at, "created_at"),
            "expires_at": utc_text_or_none(record.expires_at, "expires_at"),
            "state": str(record.state),
        }
        return self._c.insert_new("store a checkout session", _C, values)

    def open_for_invoice(self, seller_id: str, invoice_id: str) -> list[CheckoutRecord]:
        """The invoice's open sessions, in the order stored."""
        params = {"seller_id": seller_id, "invoice_id": invoice_id}
        rows = self._c.rows("list open checkout sessions", _OPEN_FOR_INVOICE, params)
        return [_checkout(row) for row in rows]

    def get_by_key(self, seller_id: str, key: str) -> CheckoutRecord | None:
        """The last session stored under ``key``, or None."""
        params = {"seller_id": seller_id, "key": key}
        row = self._c.first("read a checkout session", _BY_KEY, params)
        return None if row is None else _checkout(row)

    def close(self, seller_id: str, provider: str, ref: str) -> bool:
        """Mark the seller's open session closed; False when unknown or closed already."""
        params = {"k_seller": seller_id, "k_provider": provider, "k_ref": ref}
        return self._c.count("close a checkout session", _CLOSE, params) == 1


class SqlPayTokens:
    """``PayTokenRepository`` on one transaction's ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx

    def add(self, record: PayTokenRecord) -> None:
        """Store a token; DuplicateError when its hash is stored."""
        values = {
            "token_hash": record.token_hash,
            "seller_id": record.seller_id,
            "invoice_id": record.invoice_id,
            "customer_id": record.customer_id,
            "message_key": record.message_key,
            "created_at": utc_text(record.created_at, "created_at"),
            "expires_at": utc_text(record.expires_at, "expires_at"),
        }
        if not self._c.insert_new("store a pay-link token", _T, values):
            raise DuplicateError("this pay-link token is already stored; mint a new one")

    def get(self, token_hash: str) -> PayTokenRecord | None:
        """The token stored under ``token_hash``, or None."""
        row = self._c.first("read a pay-link token", _TOKEN, {"token_hash": token_hash})
        if row is None:
            return None
        return PayTokenRecord(
            token_hash=row.token_hash,
            seller_id=row.seller_id,
            invoice_id=row.invoice_id,
            customer_id=row.customer_id,
            message_key=row.message_key,
            created_at=parse_utc(row.created_at),  # type: ignore[arg-type] # NOT NULL
            expires_at=parse_utc(row.expires_at),  # type: ignore[arg-type] # NOT NULL
        )
