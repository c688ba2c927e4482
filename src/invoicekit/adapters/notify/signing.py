"""Standard Webhooks signing for outgoing webhooks: now ``invoicekit.adapters.signing``.

Kept so ``from invoicekit.adapters.notify.signing import sign, verify`` keeps working;
the code moved to a module both the notifiers and the payment providers may use.
"""

from __future__ import annotations

from invoicekit.adapters.signing import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Secret,
    WebhookSignatureError,
    sign,
    verify,
)

__all__ = [
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Secret",
    "WebhookSignatureError",
    "sign",
    "verify",
]
