"""Provider notifications, checkout sessions and pay-link tokens of ``SqliteStorage`` (schema 4).

They behave as ``MemoryStorage``'s do (the reference). (provider, event_id) is a
unique key, so of two transactions adding one notice the second adds nothing:
its ``add`` returns False (the write lock makes it read what the first committed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from invoicekit.adapters.storage.sqlite_schema import Row, Session
from invoicekit.adapters.storage.times import parse_utc, utc_text, utc_text_or_none
from invoicekit.errors import DuplicateError
from invoicekit.payment_records import (
    CheckoutRecord,
    CheckoutState,
    NoticeKind,
    PayTokenRecord,
    ProviderEventRecord,
)

__all__ = ["SqliteCheckouts", "SqlitePayTokens", "SqliteProviderEvents"]

_EVENT_COLUMNS: Final = (
    "provider, event_id, seller_id, invoice_id, payment_ref, kind, type, amount, currency, "
    "reason, code, refund_ref, occurred_at, received_at, outcome, raw"
)
_EVENTS: Final = f"SELECT {_EVENT_COLUMNS} FROM provider_events"  # noqa: S608 - constants only
_CHECKOUT_COLUMNS: Final = (
    "provider, ref, seller_id, invoice_id, key, amount, currency, url, created_at, "
    "expires_at, state"
)
_CHECKOUTS: Final = f"SELECT {_CHECKOUT_COLUMNS} FROM checkout_sessions"  # noqa: S608 - constants only
_PAY_LINK_COLUMNS: Final = (
    "token_hash, seller_id, invoice_id, customer_id, message_key, created_at, expires_at"
)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _event(row: Row) -> ProviderEventRecord:
    (
        provider,
        event_id,
        seller_id,
        invoice_id,
        payment_ref,
        kind,
        type_,
        amount,
        currency,
        reason,
        code,
        refund_ref,
        occurred_at,
        received_at,
        outcome,
        raw,
    ) = row
    return ProviderEventRecord(
        provider=provider,
        event_id=event_id,
        seller_id=seller_id,
        kind=NoticeKind(kind),
        type=type_,
        received_at=parse_utc(received_at),  # type: ignore[arg-type] # NOT NULL
        outcome=outcome,
        invoice_id=invoice_id,
        payment_ref=payment_ref,
        amount=_decimal(amount),
        currency=currency,
        reason=reason,
        code=code,
        refund_ref=refund_ref,
        occurred_at=parse_utc(occurred_at),
        raw=bytes(raw),
    )


class SqliteProviderEvents:
    """``ProviderEventRepository`` on one ``Session``: unique by (provider, event_id)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, record: ProviderEventRecord) -> bool:
        """Store a notice; False (nothing changed) when (provider, event_id) is stored."""
        # NOT EXISTS rather than ON CONFLICT: a skipped insert must not use up a position.
        sql = (
            f"INSERT INTO provider_events ({_EVENT_COLUMNS}) "  # noqa: S608 - constants only
            "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM provider_events WHERE provider = ? AND event_id = ?)"
        )
        params = (
            record.provider,
            record.event_id,
            record.seller_id,
            record.invoice_id,
            record.payment_ref,
            str(record.kind),
            record.type,
            None if record.amount is None else str(record.amount),
            record.currency,
            record.reason,
            record.code,
            record.refund_ref,
            utc_text_or_none(record.occurred_at, "occurred_at"),
            utc_text(record.received_at, "received_at"),
            record.outcome,
            bytes(record.raw),
            record.provider,
            record.event_id,
        )
        return self._s.run("store a provider notice", sql, params) == 1

    def for_payment(
        self, seller_id: str, provider: str, payment_ref: str
    ) -> list[ProviderEventRecord]:
        """The seller's notices about one provider payment, in the order stored."""
        sql = (
            f"{_EVENTS} WHERE seller_id = ? AND provider = ? AND payment_ref = ? ORDER BY position"
        )
        rows = self._s.rows("read a payment's notices", sql, (seller_id, provider, payment_ref))
        return [_event(row) for row in rows]

    def list(
        self, seller_id: str, *, invoice_id: str | None = None, limit: int = 100
    ) -> list[ProviderEventRecord]:
        """The seller's notices (optionally one invoice's), in the order stored."""
        sql, params = f"{_EVENTS} WHERE seller_id = ?", [seller_id]
        if invoice_id is not None:
            sql += " AND invoice_id = ?"
            params.append(invoice_id)
        sql += " ORDER BY position LIMIT ?"
        params.append(str(max(limit, 0)))
        return [_event(row) for row in self._s.rows("list provider notices", sql, params)]


def _checkout(row: Row) -> CheckoutRecord:
    provider, ref, seller_id, invoice_id, key, amount, currency, url, created, expires, state = row
    return CheckoutRecord(
        provider=provider,
        ref=ref,
        seller_id=seller_id,
        invoice_id=invoice_id,
        key=key,
        amount=Decimal(amount),
        currency=currency,
        url=url,
        created_at=parse_utc(created),  # type: ignore[arg-type] # NOT NULL
        expires_at=parse_utc(expires),
        state=CheckoutState(state),
    )


class SqliteCheckouts:
    """``CheckoutRepository`` on one ``Session``: unique by (provider, ref)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, record: CheckoutRecord) -> bool:
        """Store a session; False (nothing changed) when (provider, ref) is stored."""
        sql = (
            f"INSERT INTO checkout_sessions ({_CHECKOUT_COLUMNS}) "  # noqa: S608 - constants only
            "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM checkout_sessions WHERE provider = ? AND ref = ?)"
        )
        params = (
            record.provider,
            record.ref,
            record.seller_id,
            record.invoice_id,
            record.key,
            str(record.amount),
            record.currency,
            record.url,
            utc_text(record.created_at, "created_at"),
            utc_text_or_none(record.expires_at, "expires_at"),
            str(record.state),
            record.provider,
            record.ref,
        )
        return self._s.run("store a checkout session", sql, params) == 1

    def open_for_invoice(self, seller_id: str, invoice_id: str) -> list[CheckoutRecord]:
        """The invoice's open sessions, in the order stored."""
        sql = f"{_CHECKOUTS} WHERE seller_id = ? AND invoice_id = ? AND state = ? ORDER BY position"
        params = (seller_id, invoice_id, str(CheckoutState.OPEN))
        return [_checkout(row) for row in self._s.rows("list open checkout sessions", sql, params)]

    def get_by_key(self, seller_id: str, key: str) -> CheckoutRecord | None:
        """The last session stored under ``key``, or None."""
        sql = f"{_CHECKOUTS} WHERE seller_id = ? AND key = ? ORDER BY position DESC LIMIT 1"
        row = self._s.one("read a checkout session", sql, (seller_id, key))
        return None if row is None else _checkout(row)

    def close(self, seller_id: str, provider: str, ref: str) -> bool:
        """Mark the seller's open session closed; False when unknown or closed already."""
        sql = (
            "UPDATE checkout_sessions SET state = ? "
            "WHERE seller_id = ? AND provider = ? AND ref = ? AND state = ?"
        )
        params = (str(CheckoutState.CLOSED), seller_id, provider, ref, str(CheckoutState.OPEN))
        return self._s.run("close a checkout session", sql, params) == 1


class SqlitePayTokens:
    """``PayTokenRepository`` on one ``Session``: keyed by the token's hash."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, record: PayTokenRecord) -> None:
        """Store a token; DuplicateError when its hash is stored."""
        sql = f"INSERT INTO pay_tokens ({_PAY_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - constants only
        params = (
            record.token_hash,
            record.seller_id,
            record.invoice_id,
            record.customer_id,
            record.message_key,
            utc_text(record.created_at, "created_at"),
            utc_text(record.expires_at, "expires_at"),
        )
        try:
            self._s.run("store a pay-link token", sql, params)
        except DuplicateError as exc:
            raise DuplicateError("this pay-link token is already stored; mint a new one") from exc

    def get(self, token_hash: str) -> PayTokenRecord | None:
        """The token stored under ``token_hash``, or None."""
        sql = f"SELECT {_PAY_LINK_COLUMNS} FROM pay_tokens WHERE token_hash = ?"  # noqa: S608 - constants only
        row = self._s.one("read a pay-link token", sql, (token_hash,))
        if row is None:
            return None
        token_hash_, seller_id, invoice_id, customer_id, message_key, created, expires = row
        return PayTokenRecord(
            token_hash=token_hash_,
            seller_id=seller_id,
            invoice_id=invoice_id,
            customer_id=customer_id,
            message_key=message_key,
            created_at=parse_utc(created),  # type: ignore[arg-type] # NOT NULL
            expires_at=parse_utc(expires),  # type: ignore[arg-type] # NOT NULL
        )
