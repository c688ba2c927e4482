"""Signing webhooks the Standard Webhooks way, and verifying them: shared by notifiers and providers.

Each request carries three headers::

    webhook-id: <the message key>
    webhook-timestamp: <unix seconds of this attempt>
    webhook-signature: v1,<base64 of HMAC-SHA256(secret, "{id}.{timestamp}.{raw body}")>

The issue asks for an HMAC over the timestamp and the raw body; the id is signed
too (as Standard Webhooks does), so a captured request cannot be replayed under
another id. Receivers call :func:`verify` with the raw body *before* parsing it.
A secret written ``whsec_<base64>`` (the Standard Webhooks form) is the base64-decoded
bytes; any other string is used as its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from invoicekit.errors import ConfigurationError, InvoiceKitError

__all__ = [
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Secret",
    "WebhookSignatureError",
    "sign",
    "verify",
]

ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"
_VERSION: Final = "v1"
_PREFIX: Final = "whsec_"


class WebhookSignatureError(InvoiceKitError, ValueError):
    """A webhook request whose signature is missing, wrong or too old: do not act on it."""


class Secret:
    """A signing key that never shows itself: its repr and str are ``***``."""

    __slots__ = ("_key",)

    def __init__(self, secret: str | bytes) -> None:
        self._key: bytes = _key_bytes(secret)

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message`` under this key."""
        return hmac.new(self._key, message, hashlib.sha256).digest()


def _key_bytes(secret: object) -> bytes:
    """The key bytes of ``secret``; ConfigurationError (never showing it) when unusable."""
    if isinstance(secret, bytes):
        key = secret
    elif isinstance(secret, str) and secret.startswith(_PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(
                "webhook secret starts with 'whsec_' but the rest is not base64; "
                "copy the whole secret from the receiver's settings"
            ) from None
    elif isinstance(secret, str):
        key = secret.encode("utf-8")
    else:
        raise ConfigurationError(
            f"webhook secret must be str or bytes, not {type(secret).__name__}"
        )
    if len(key) < 16:  # noqa: PLR2004 - the floor, in bytes, named in the message
        raise ConfigurationError(
            "webhook secret is too short: use at least 16 bytes, e.g. "
            "'whsec_' + base64 of secrets.token_bytes(32)"
        )
    return key


def _signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def sign(secret: str | bytes | Secret, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one request: ``v1,<base64 HMAC-SHA256>``."""
    key = secret if isinstance(secret, Secret) else Secret(secret)
    mac = key.digest(_signed_content(msg_id, timestamp, body))
    return f"{_VERSION},{base64.b64encode(mac).decode('ascii')}"


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookSignatureError(f"missing header {name!r}: this is not a signed invoicekit webhook")


def verify(
    secret: str | bytes | Secret,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = 300,
    now: datetime | float | None = None,
) -> None:
    """Check that ``body`` with ``headers`` was signed with ``secret`` at most ``tolerance`` s ago.

    ``headers`` are looked up case-insensitively; ``body`` is the raw request body as
    received. ``webhook-signature`` may list several space-separated signatures (during
    a secret rotation); one match is enough. Raises WebhookSignatureError when a header
    is missing, the timestamp is not within ``tolerance`` seconds of ``now`` (default:
    the current time) either way, or no signature matches.
    """
    msg_id = _header(headers, ID_HEADER)
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    signatures = _header(headers, SIGNATURE_HEADER)
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookSignatureError(
            f"header {TIMESTAMP_HEADER!r} must be unix seconds, got {raw_timestamp[:40]!r}"
        ) from None
    current = time.time() if now is None else now.timestamp() if isinstance(now, datetime) else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError(
            f"webhook {msg_id[:100]!r} is timestamped {timestamp}, more than {tolerance} s "
            f"from now ({int(current)}): refused as a possible replay (check the clocks)"
        )
    expected = sign(secret, msg_id, timestamp, body).encode("ascii")
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode("ascii", "replace"), expected):
            return
    raise WebhookSignatureError(
        f"webhook {msg_id[:100]!r}: no signature matches; check the secret and verify the raw "
        "body exactly as received (before any JSON parsing)"
    )
