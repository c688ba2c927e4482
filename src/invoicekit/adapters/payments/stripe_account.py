"""A Stripe account's credentials, and the ``StripeClient`` each account gets (no module globals).

A platform's sellers may each have their own account: ``StripePayments`` asks a resolver
for the seller's ``StripeAccount`` and makes one client per account, shared by threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs

from invoicekit._extras import require
from invoicekit.errors import ValidationError, problem

__all__ = ["StripeAccount", "StripeClients"]


def _secrets(value: object) -> tuple[str, ...]:
    """A single secret string would be split into characters: take it as a one-item list."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, Sequence) else ()  # refused by the check below


@attrs.frozen(repr=False)
class StripeAccount:
    """One Stripe account: its secret API key and its webhook endpoint's signing secrets.

    ``webhook_secrets`` holds every secret that is active (``whsec_…``): during a rotation,
    the new one and the old one until it expires. ``base_url`` points the client at another
    address (a test server on loopback); leave it None for Stripe itself.
    """

    api_key: str
    webhook_secrets: tuple[str, ...] = attrs.field(converter=_secrets)
    base_url: str | None = None
    #: Retries of the SDK itself (connection errors, 409, 5xx), with the same idempotency key.
    max_network_retries: int = 2
    #: Seconds to wait for Stripe before a request counts as failed (and retryable).
    timeout: float = 30.0

    def __attrs_post_init__(self) -> None:
        found = []
        if not isinstance(self.api_key, str) or not self.api_key.strip():
            found.append(problem("api_key", "must be a Stripe secret key (sk_…)", "<hidden>"))
        if not self.webhook_secrets or not all(
            isinstance(s, str) and s.strip() for s in self.webhook_secrets
        ):
            found.append(
                problem(
                    "webhook_secrets",
                    "must list at least one signing secret (whsec_…) of the endpoint",
                    "<hidden>",
                )
            )
        if self.base_url is not None and urlsplit(str(self.base_url)).scheme not in {
            "http",
            "https",
        }:
            found.append(problem("base_url", "must be an http(s) URL or None", self.base_url))
        if not isinstance(self.max_network_retries, int) or not self.max_network_retries >= 0:
            found.append(problem("max_network_retries", "must be 0 or more", None))
        if not isinstance(self.timeout, int | float) or not self.timeout > 0:
            found.append(problem("timeout", "must be a positive number of seconds", None))
        if found:
            raise ValidationError(found, subject="StripeAccount")

    def __repr__(self) -> str:
        key = self.api_key[:8] + "…" if len(self.api_key) > 12 else "…"  # noqa: PLR2004
        where = f", base_url={self.base_url!r}" if self.base_url else ""
        return (
            f"StripeAccount(api_key={key!r}, webhook_secrets=<{len(self.webhook_secrets)}>{where})"
        )


class StripeClients:
    """One ``stripe.StripeClient`` per account (key, address, retries, timeout), made on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str | None, int, float], Any] = {}

    def __repr__(self) -> str:
        return f"StripeClients(clients={len(self._clients)})"

    def get(self, account: StripeAccount) -> Any:
        """The client of ``account``: its base address, retries and timeout, Stripe's version."""
        stripe = require("stripe", extra="stripe", feature="StripePayments")
        key = (account.api_key, account.base_url, account.max_network_retries, account.timeout)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                bases = {"api": account.base_url.rstrip("/")} if account.base_url else None
                client = stripe.StripeClient(
                    account.api_key,
                    base_addresses=bases,
                    max_network_retries=account.max_network_retries,
                    http_client=stripe.RequestsClient(timeout=account.timeout),
                )
                self._clients[key] = client
        return client
