"""Automatic-collection settings as stored documents: a customer's saved payment method.

Written by ``compact_values`` and read back by ``trusted_values`` (no checks on read:
the value was checked when it was made).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.serialization.builders import unchecked

__all__ = ["method_document", "method_from"]

_new_method: Final = unchecked(SavedPaymentMethod)
_OPTIONAL: Final = ("provider_customer", "brand", "last4")


def method_document(method: SavedPaymentMethod) -> dict[str, Any]:
    """The method as a document, optional fields left out when None."""
    out: dict[str, Any] = {
        "provider": method.provider,
        "reference": method.reference,
        "consent": method.consent,
        "consented_at": method.consented_at.isoformat(),
    }
    for name in _OPTIONAL:
        value = getattr(method, name)
        if value is not None:
            out[name] = value
    if method.expires is not None:
        out["expires"] = list(method.expires)
    return out


def method_from(data: dict[str, Any] | None) -> SavedPaymentMethod | None:
    """The method ``method_document`` wrote (None stays None)."""
    if data is None:
        return None
    get = data.get
    expires = get("expires")
    return _new_method(
        provider=data["provider"],
        reference=data["reference"],
        consent=data["consent"],
        consented_at=datetime.fromisoformat(data["consented_at"]),
        provider_customer=get("provider_customer"),
        brand=get("brand"),
        last4=get("last4"),
        expires=None if expires is None else (expires[0], expires[1]),
    )
