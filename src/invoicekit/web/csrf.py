"""CSRF protection: a signed double-submit token bound to what the form does.

The browser holds a random nonce in a SameSite cookie; each form carries
HMAC-SHA256(secret_key, nonce + purpose). A cross-site page can neither read the
cookie nor compute the HMAC, so it cannot forge the pair; a token for one form
(``pay:<token>``) is refused by another (``sandbox:<ref>``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

__all__ = ["COOKIE", "FIELD", "Csrf"]

#: The cookie holding the browser's nonce.
COOKIE: Final = "invoicekit_csrf"
#: The form field holding the signed token.
FIELD: Final = "csrf_token"
_NONCE: Final = re.compile(r"[A-Za-z0-9_-]{32,64}")


class Csrf:
    """Issues and checks the tokens of one app (one ``secret_key``)."""

    def __init__(self, secret_key: str) -> None:
        self._key = secret_key.encode("utf-8")

    @staticmethod
    def nonce(cookie: str | None) -> tuple[str, bool]:
        """The browser's nonce from its cookie, or a new one; True when it is new (set the cookie)."""
        if cookie is not None and _NONCE.fullmatch(cookie):
            return cookie, False
        return secrets.token_urlsafe(32), True

    def token(self, nonce: str, purpose: str) -> str:
        """The token a form for ``purpose`` carries, for the browser holding ``nonce``."""
        message = f"{nonce}\x00{purpose}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, sent: str | None, purpose: str) -> bool:
        """Whether ``sent`` is the token for ``purpose`` and the cookie's nonce (constant time)."""
        if not cookie or not sent or not _NONCE.fullmatch(cookie):
            return False
        return hmac.compare_digest(self.token(cookie, purpose), sent)
