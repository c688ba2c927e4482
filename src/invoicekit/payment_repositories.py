"""The storage ports of payments: providers' notifications, checkout sessions, pay-link tokens.

Part of the storage port (:mod:`invoicekit.repositories` re-exports these names);
every adapter implements them and the storage contract suite says how they behave.
"""

from __future__ import annotations

from typing import Protocol

from invoicekit.payment_records import CheckoutRecord, PayTokenRecord, ProviderEventRecord

__all__ = [
    "CheckoutRepository",
    "PayTokenRepository",
    "ProviderEventRepository",
]


class ProviderEventRepository(Protocol):
    """Payment providers' notifications, unique by (provider, event_id): the webhook dedupe (T17)."""

    def add(self, record: ProviderEventRecord) -> bool:
        """Store ``record``; False (and nothing changed) when (provider, event_id) is stored.

        Called in the transaction that applies the notice, so a replay that loses the race
        is rolled back with everything it would have recorded.
        """

    def for_payment(
        self, seller_id: str, provider: str, payment_ref: str
    ) -> list[ProviderEventRecord]:
        """The seller's stored notices about one provider payment, in the order stored."""

    def list(
        self, seller_id: str, *, invoice_id: str | None = None, limit: int = 100
    ) -> list[ProviderEventRecord]:
        """The seller's stored notices (optionally one invoice's), in the order stored."""


class CheckoutRepository(Protocol):
    """Checkout sessions started for invoices, unique by (provider, ref)."""

    def add(self, record: CheckoutRecord) -> bool:
        """Store a session; False (and nothing changed) when (provider, ref) is stored."""

    def open_for_invoice(self, seller_id: str, invoice_id: str) -> list[CheckoutRecord]:
        """The invoice's open sessions, in the order stored (to cancel when it is settled)."""

    def get_by_key(self, seller_id: str, key: str) -> CheckoutRecord | None:
        """The last session stored under the request ``key`` (open or closed), or None."""

    def close(self, seller_id: str, provider: str, ref: str) -> bool:
        """Mark the seller's session closed; False when it is unknown or already closed."""


class PayTokenRepository(Protocol):
    """Pay-link tokens, stored by their SHA-256 hex only (T36)."""

    def add(self, record: PayTokenRecord) -> None:
        """Store a token. Raises DuplicateError when its hash is stored already."""

    def get(self, token_hash: str) -> PayTokenRecord | None:
        """The token stored under ``token_hash``, or None (expiry is the caller's check)."""
