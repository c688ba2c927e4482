"""The content hash of an issued invoice: SHA-256 of what issuing froze, in canonical JSON.

Format 2 hashes the bytes of the document's frozen part (``"f"``) as they were written;
format 1 (documents with no ``"v"`` marker) hashes its ``FROZEN_FIELDS`` picked out of the
full document, the formula of the first release, so an invoice issued then keeps its hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from invoicekit.serialization.jsontext import canonical_bytes

__all__ = ["FROZEN_FIELDS", "content_hash", "frozen_digest"]

#: The parts of an invoice document frozen at issue; payments, status and credits may change.
FROZEN_FIELDS: Final = (
    "id",
    "seller_id",
    "customer_id",
    "currency",
    "lines",
    "totals",
    "terms",
    "discounts",
    "charges",
    "prices",
    "memo",
    "footer",
    "series",
    "number",
    "issue_date",
    "due_date",
    "seller",
    "customer",
    "issued_at",
    "buyer_reference",
    "order_reference",
    "contract_reference",
    "project_reference",
)
#: Frozen fields added after the first release of format 1: hashed only when set, so the
#: content hash of an invoice stored before they existed does not change.
_LATER_FROZEN: Final = frozenset(
    {"buyer_reference", "order_reference", "contract_reference", "project_reference"}
)

#: Party fields added after the first release of format 1, with their defaults: left out of
#: the snapshot's hash at the default, so invoices issued before them keep their hash.
#: Format 2 needs no such list: it leaves every default out of the document itself.
_LATER_PARTY_DEFAULTS: Final[Mapping[str, Mapping[str, object]]] = {
    "seller": {
        "apply_credit_at_issue": False,
        "reminder_minimum": {},
        "payment_provider": None,
        "send_receipts": True,
        "dunning": None,
        "collection": "send_invoice",
        "collect_on": "on_issue",
        "usage_grace": "3600",
        "subscription_on_dunning_end": "canceled",
    },
    "customer": {"dunning": None, "payment_method": None},
}


def frozen_digest(frozen: bytes) -> str:
    """The content hash of a frozen part given as its canonical bytes (hex SHA-256)."""
    return hashlib.sha256(frozen).hexdigest()


def content_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of what an issued invoice froze, from its stored document (either format).

    Storage keeps it beside the invoice at issue and checks it on read, so an edit
    made behind invoicekit's back (a raw SQL UPDATE) is detected.
    """
    if document.get("v") == 2:  # noqa: PLR2004 - the format marker
        return frozen_digest(canonical_bytes(document["f"]))
    frozen = {
        key: document.get(key)
        for key in FROZEN_FIELDS
        if key not in _LATER_FROZEN or document.get(key) is not None
    }
    for party, later in _LATER_PARTY_DEFAULTS.items():
        snapshot = frozen.get(party)
        if isinstance(snapshot, Mapping):
            frozen[party] = {k: v for k, v in snapshot.items() if k not in later or v != later[k]}
    return frozen_digest(canonical_bytes(frozen))
