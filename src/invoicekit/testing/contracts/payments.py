"""``PaymentProviderContract``: what every payment provider with a hosted checkout must do.

Subclass it as ``TestXPayments`` and provide the fixtures::

    class TestSandboxPayments(PaymentProviderContract):
        @pytest.fixture
        def provider(self) -> SandboxPayments: ...  # configured with ``secrets``

        @pytest.fixture
        def secrets(self) -> list[str]: ...  # the provider's active webhook secrets

        @pytest.fixture
        def sign_event(self) -> SignEvent: ...  # (kind, at=, secret=) -> (body, headers)

        @pytest.fixture
        def paid_invoice(self) -> tuple[Invoice, str]: ...  # an invoice and its payment id

The checks: ``start_checkout`` is idempotent per key and different per amount;
``cancel_checkout`` is idempotent; ``read`` refuses unsigned, tampered, stale, future
and wrong-secret bodies with WebhookRejectedError (T19) and accepts every active
secret (rotation); notices map the provider's success, failure and refund; ``refund``
is idempotent by key. Needs pytest (``pip install 'invoicekit[testing]'``).
"""

# ruff: noqa: S101, PLR2004
# (a contract suite checks with assert and literal expected values, as tests do)

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import pytest

from invoicekit.domain.invoice import Invoice
from invoicekit.errors import WebhookRejectedError
from invoicekit.payment_records import CheckoutRequest, NoticeKind

__all__ = ["PaymentProviderContract", "SignEvent", "checkout_request"]

#: ``sign_event(kind, at=..., secret=...)``: a body and headers as the provider sends a
#: notification of ``kind`` (SUCCEEDED, FAILED or REFUNDED) signed with ``secret`` at ``at``.
SignEvent = Callable[..., tuple[bytes, dict[str, str]]]
#: A secret no provider under test is configured with.
WRONG_SECRET: Final = "whsec_" + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="


def checkout_request(key: str = "inv-1:119.00:EUR", amount: str = "119.00") -> CheckoutRequest:
    """A request to pay invoice inv-1 of seller s-1 in EUR."""
    return CheckoutRequest(
        seller_id="s-1",
        invoice_id="inv-1",
        number="INV-2026-00001",
        amount=Decimal(amount),
        currency="EUR",
        description="Invoice INV-2026-00001 from Northwind Studio",
        return_url="https://pay.example/i/token",
        key=key,
        customer_email="ap@globex.example",
    )


def _now() -> datetime:
    return datetime.now(UTC)


class PaymentProviderContract:
    """Behaviour every provider with Checkout and PaymentNotices must show."""

    @pytest.fixture
    def provider(self) -> Any:
        """The provider under test; override it."""
        raise NotImplementedError("override the 'provider' fixture")

    @pytest.fixture
    def secrets(self) -> list[str]:
        """The provider's active webhook secrets (at least two, to check rotation); override it."""
        raise NotImplementedError("override the 'secrets' fixture")

    @pytest.fixture
    def sign_event(self) -> SignEvent:
        """``(kind, *, at, secret) -> (body, headers)`` in the provider's format; override it."""
        raise NotImplementedError("override the 'sign_event' fixture")

    @pytest.fixture
    def paid_invoice(self) -> tuple[Invoice, str]:
        """An issued invoice with a payment of the provider's, and that payment's id."""
        raise NotImplementedError("override the 'paid_invoice' fixture")

    # ------------------------------------------------------------------ checkout

    def test_start_checkout_is_idempotent_per_key(self, provider: Any) -> None:
        """The same key gives the same open session; it is for the request's amount."""
        first = provider.start_checkout(checkout_request())
        again = provider.start_checkout(checkout_request())
        assert (again.ref, again.url) == (first.ref, first.url)
        assert first.provider == provider.name
        assert (first.amount, first.currency) == (Decimal("119.00"), "EUR")
        assert first.url.startswith(("http://", "https://"))

    def test_another_amount_gets_another_session(self, provider: Any) -> None:
        """A new amount due comes with a new key, and gets a session of its own."""
        first = provider.start_checkout(checkout_request())
        other = provider.start_checkout(checkout_request("inv-1:69.00:EUR", "69.00"))
        assert other.ref != first.ref
        assert other.amount == Decimal("69.00")

    def test_cancel_checkout_is_idempotent(self, provider: Any) -> None:
        """Cancelling twice (the second time: already closed) does nothing more."""
        session = provider.start_checkout(checkout_request())
        provider.cancel_checkout(session)
        provider.cancel_checkout(session)

    # ------------------------------------------------------------------ notices, T19

    @pytest.mark.parametrize("kind", [NoticeKind.SUCCEEDED, NoticeKind.FAILED, NoticeKind.REFUNDED])
    def test_notices_map_the_providers_events(
        self, provider: Any, sign_event: SignEvent, secrets: list[str], kind: NoticeKind
    ) -> None:
        """Success, failure and refund are read as such, with the raw bytes kept."""
        body, headers = sign_event(kind, at=_now(), secret=secrets[0])
        notice = provider.read(body, headers, now=_now())
        assert notice.kind is kind
        assert notice.provider == provider.name
        assert notice.event_id
        assert notice.payment_ref
        assert notice.raw == body
        if kind is not NoticeKind.FAILED:
            assert notice.amount is not None
            assert notice.amount > 0
            assert notice.currency is not None

    def test_every_active_secret_is_accepted(
        self, provider: Any, sign_event: SignEvent, secrets: list[str]
    ) -> None:
        """During a rotation the old and the new secret both verify."""
        assert len(secrets) >= 2, "configure the provider with two secrets to check rotation"
        for secret in secrets:
            body, headers = sign_event(NoticeKind.SUCCEEDED, at=_now(), secret=secret)
            assert provider.read(body, headers, now=_now()).kind is NoticeKind.SUCCEEDED

    def test_an_unsigned_body_is_rejected(
        self, provider: Any, sign_event: SignEvent, secrets: list[str]
    ) -> None:
        """No signature headers: rejected before anything is read."""
        body, _ = sign_event(NoticeKind.SUCCEEDED, at=_now(), secret=secrets[0])
        with pytest.raises(WebhookRejectedError):
            provider.read(body, {}, now=_now())

    def test_a_tampered_body_is_rejected(
        self, provider: Any, sign_event: SignEvent, secrets: list[str]
    ) -> None:
        """One byte changed anywhere (here: in the amount) breaks the signature."""
        body, headers = sign_event(NoticeKind.SUCCEEDED, at=_now(), secret=secrets[0])
        for position in (0, len(body) // 2, len(body) - 1):
            changed = bytearray(body)
            changed[position] ^= 0x01
            with pytest.raises(WebhookRejectedError):
                provider.read(bytes(changed), headers, now=_now())

    @pytest.mark.parametrize("offset", [-601, 601], ids=["stale", "future"])
    def test_a_body_outside_the_time_window_is_rejected(
        self, provider: Any, sign_event: SignEvent, secrets: list[str], offset: int
    ) -> None:
        """Signed ten minutes ago or ahead: refused as a possible replay."""
        at = _now() + timedelta(seconds=offset)
        body, headers = sign_event(NoticeKind.SUCCEEDED, at=at, secret=secrets[0])
        with pytest.raises(WebhookRejectedError):
            provider.read(body, headers, now=_now())

    def test_a_wrong_secret_is_rejected(self, provider: Any, sign_event: SignEvent) -> None:
        """Signed with a secret the provider does not have."""
        body, headers = sign_event(NoticeKind.SUCCEEDED, at=_now(), secret=WRONG_SECRET)
        with pytest.raises(WebhookRejectedError):
            provider.read(body, headers, now=_now())

    # ------------------------------------------------------------------ refunds

    def test_refund_is_idempotent_by_key(
        self, provider: Any, paid_invoice: tuple[Invoice, str]
    ) -> None:
        """The same key refunds once (the same id); another key is another refund."""
        invoice, payment_id = paid_invoice
        first = provider.refund(invoice, payment_id, Decimal("10.00"), key="refund-1")
        again = provider.refund(invoice, payment_id, Decimal("10.00"), key="refund-1")
        other = provider.refund(invoice, payment_id, Decimal("5.00"), key="refund-2")
        assert first == again
        assert other != first
