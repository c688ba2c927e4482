"""Reading a verified sandbox event body: every field checked, any malformation a rejection."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from invoicekit.errors import WebhookRejectedError
from invoicekit.payment_records import NoticeKind, ProviderNotice

__all__ = ["notice_of"]

#: The optional text fields of an event's data, passed on to the notice as they are.
_TEXT_FIELDS: Final = ("payment_ref", "currency", "reason", "code", "refund_ref", "session_ref")


def _text(data: Mapping[str, Any], field: str) -> str | None:
    """``data[field]`` when it is a string, None when absent; TypeError for anything else."""
    value = data.get(field)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(field)


def notice_of(body: bytes, provider: str, kinds: Mapping[str, NoticeKind]) -> ProviderNotice:
    """The notice of a VERIFIED sandbox event body; WebhookRejectedError when it is not one."""
    try:
        event = json.loads(body)
        data = event["data"]
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise TypeError("metadata")
        event_id, event_type = str(event["id"]), str(event["type"])
        amount = None if data.get("amount") is None else Decimal(str(data["amount"]))
        if amount is not None and not amount.is_finite():
            raise ValueError("amount")
        created = datetime.fromtimestamp(int(event["created"]), UTC)
        text = {field: _text(data, field) for field in _TEXT_FIELDS}
        owner = {field: _text(metadata, field) for field in ("seller_id", "invoice_id")}
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        ArithmeticError,  # InvalidOperation, OverflowError (a date out of range)
        RecursionError,  # nested too deep to parse
    ) as exc:
        raise WebhookRejectedError(
            f"the signed body is not a sandbox event ({type(exc).__name__})", provider=provider
        ) from None
    return ProviderNotice(
        provider=provider,
        event_id=event_id,
        kind=kinds.get(event_type, NoticeKind.IGNORED),
        type=event_type,
        seller_id=owner["seller_id"],
        invoice_id=owner["invoice_id"],
        payment_ref=text["payment_ref"],
        amount=amount,
        currency=text["currency"],
        reason=text["reason"],
        code=text["code"],
        refund_ref=text["refund_ref"],
        session_ref=text["session_ref"],
        occurred_at=created,
        raw=body,
    )
