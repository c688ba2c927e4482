"""``SandboxPayments``' webhooks out: queued with the change, POSTed now, kept when the host is down.

Each event is stored in the sandbox state in the same state transaction as the
change it reports, then POSTed (signed, Standard Webhooks) to the webhook URL. A
failed POST leaves it stored for ``redeliver``; a delivered one is forgotten.
"""

from __future__ import annotations

import json
import secrets as random
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from invoicekit.adapters.payments.sandbox_state import State
from invoicekit.adapters.signing import ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Secret, sign

__all__ = ["SandboxWebhooks"]


class SandboxWebhooks:
    """The sandbox's outgoing, signed events."""

    def __init__(
        self,
        state: State,
        secret: Secret,
        url: Callable[[], str],
        timeout: float,
        now: Callable[[], datetime],
    ) -> None:
        self._state = state
        self._secret = secret
        self._url = url
        self._timeout = timeout
        self._now = now

    def queue(self, event_type: str, **data: Any) -> dict[str, Any]:
        """A provider-like event, queued for delivery in the open state transaction."""
        seller_id, invoice_id = data.pop("seller_id"), data.pop("invoice_id")
        amount = data.pop("amount")
        body = {
            "id": f"sbx_evt_{random.token_hex(12)}",
            "type": event_type,
            "created": int(self._now().timestamp()),
            "data": {
                **{k: v for k, v in data.items() if v is not None},
                "amount": None if amount is None else str(amount),
                "metadata": {"seller_id": seller_id, "invoice_id": invoice_id},
            },
        }
        delivery = {"id": body["id"], "seller_id": seller_id, "body": json.dumps(body)}
        self._state.put("delivery", str(body["id"]), {**delivery, "attempts": 0, "error": None})
        return delivery

    def deliver(self, delivery: Mapping[str, Any]) -> bool:
        """POST one signed event to ``webhook_url``; a failure is kept for ``redeliver``."""
        body = str(delivery["body"]).encode("utf-8")
        event_id = str(delivery["id"])
        timestamp = int(self._now().timestamp())
        url = self._url().replace("{seller_id}", str(delivery["seller_id"]))
        headers = {
            "content-type": "application/json",
            ID_HEADER: event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, event_id, timestamp, body),
        }
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - the host's own URL
        error = None
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310
                answer.read()
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            error = str(getattr(exc, "reason", exc))
        with self._state.transaction():
            kept = self._state.get("delivery", event_id)
            if error is None:
                self._state.delete("delivery", event_id)
            elif kept is not None:
                attempts = int(kept["attempts"]) + 1
                self._state.put(
                    "delivery", event_id, {**kept, "attempts": attempts, "error": error}
                )
        return error is None

    def undelivered(self) -> list[str]:
        """The ids of events whose delivery failed and waits for ``redeliver``."""
        return [str(d["id"]) for d in self._state.all("delivery")]

    def redeliver(self) -> int:
        """Send every undelivered event again (each freshly signed); how many got through."""
        return sum(self.deliver(d) for d in self._state.all("delivery"))

    def signed(
        self, event: Mapping[str, Any], *, at: datetime | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A body and headers as the sandbox would send ``event`` (for tests of receivers)."""
        body = json.dumps(dict(event)).encode("utf-8")
        timestamp = int((at or self._now()).timestamp())
        event_id = str(event["id"])
        headers = {
            ID_HEADER: event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, event_id, timestamp, body),
        }
        return body, headers
