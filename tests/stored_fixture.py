"""The stored-v1 fixture predates some fields: compare documents without them at their defaults."""

from __future__ import annotations

from typing import Any, Final

#: Fields added since tests/fixtures/stored_v1.* was written, with their defaults: documents
#: written today carry them, the fixture's do not (Seller's payment_provider and
#: send_receipts, Payment's disputes, Seller's and Customer's dunning,
#: Seller's collection settings, Customer's payment_method, Seller's subscription settings).
LATER_DEFAULTS: Final[dict[str, object]] = {
    "payment_provider": None,
    "send_receipts": True,
    "disputes": [],
    "dunning": None,
    "collection": "send_invoice",
    "collect_on": "on_issue",
    "payment_method": None,
    "usage_grace": "3600",
    "subscription_on_dunning_end": "canceled",
}


def at_fixture_time(document: Any) -> Any:
    """``document`` without the later fields where they hold their defaults, at any depth."""
    if isinstance(document, dict):
        return {
            key: at_fixture_time(value)
            for key, value in document.items()
            if key not in LATER_DEFAULTS or LATER_DEFAULTS[key] != value
        }
    if isinstance(document, list):
        return [at_fixture_time(value) for value in document]
    return document
