"""``FileNotifier``: messages written to a folder instead of sent, for development and demos.

E-mails become ``.eml`` files any mail program opens (with the HTML, the text
and the attachments), other channels ``.json`` files with what would have been
sent. The file name comes from the seller and the message key, so a message
delivered twice is one file: the folder shows what a recipient would see.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Final

from invoicekit.adapters.notify.headers import check_message, parse_mailbox
from invoicekit.adapters.notify.smtp import email_for
from invoicekit.clock import SystemClock
from invoicekit.errors import DeliveryError
from invoicekit.ports import Clock, Delivery, OutgoingMessage

__all__ = ["FileNotifier"]

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")


class FileNotifier:
    """Writes each message of one channel to ``folder`` (created when missing)."""

    def __init__(
        self,
        folder: str | Path,
        *,
        channel: str = "email",
        sender: str = "billing@localhost",
        clock: Clock | None = None,
    ) -> None:
        self.folder = Path(folder)
        self._channel = channel
        self.sender = sender
        self._sender = parse_mailbox("sender", sender, allow_name=True, subject="FileNotifier")
        self._clock: Clock = clock if clock is not None else SystemClock()

    @property
    def channel(self) -> str:
        """The channel this notifier stands in for."""
        return self._channel

    def path_for(self, message: OutgoingMessage) -> Path:
        """Where ``message`` is written: a readable name, unique per seller and key.

        Keys are unique per seller only: two sellers' invoices may share an id, and so a key.
        """
        scoped = f"{message.seller_id}\n{message.key}"
        digest = hashlib.sha256(scoped.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        stem = _UNSAFE.sub("-", f"{message.kind}-{message.recipient or message.customer_id}")
        suffix = ".eml" if self._channel == "email" else ".json"
        return self.folder / f"{stem[:80]}-{digest}{suffix}"

    def send(self, message: OutgoingMessage) -> Delivery:
        """Write ``message``; a second message with the same key replaces the first file."""
        check_message(message.recipient, message.subject)
        now = self._clock.now()
        path = self.path_for(message)
        duplicate = path.exists()
        content = self._email(message, now) if self._channel == "email" else self._json(message)
        temporary = path.with_suffix(path.suffix + ".tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(content)
            temporary.replace(path)  # a reader never sees half a message
        except OSError as exc:
            raise DeliveryError(
                f"cannot write {path}: {exc.strerror or exc}",
                channel=self._channel,
                recipient=message.recipient,
                retryable=True,
            ) from exc
        return Delivery(message.key, self._channel, now, provider_id=path.name, duplicate=duplicate)

    def _email(self, message: OutgoingMessage, now: datetime) -> bytes:
        return bytes(email_for(message, sender=self._sender, at=now))

    def _json(self, message: OutgoingMessage) -> bytes:
        body = {
            "key": message.key,
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
            "text": message.text,
            "url": message.url,
            "data": message.data,
        }
        return json.dumps(body, indent=2, ensure_ascii=False).encode()

    def __repr__(self) -> str:
        return f"FileNotifier({str(self.folder)!r}, channel={self._channel!r})"
