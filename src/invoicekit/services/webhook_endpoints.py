"""A seller's webhook endpoints: the host's own URLs that receive the seller's events, signed.

Like Stripe's account webhooks. Each endpoint is an event handler of its own (named
``webhook:<seller>:<hash of the url>``), so it gets every event at least once, in order
per invoice, from a durable cursor; a failed POST is retried with backoff, and an
endpoint that keeps failing is parked and listed by ``failing()`` until resumed.
Endpoints are configuration, like notifiers: the host adds them when it builds its
Billing (the secret is never stored).
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from invoicekit.errors import ValidationError, problem
from invoicekit.services.event_handlers import EventHandlers, HandlerState
from invoicekit.services.event_notices import EventNotice, check_pattern, matches
from invoicekit.services.unit import Runner

__all__ = ["AddedEndpoint", "Poster", "WebhookEndpoint", "WebhookEndpoints"]

#: POSTs one signed JSON document: (url, id, document); raises DeliveryError on failure.
Poster = Callable[[str, str, Mapping[str, Any]], object]


@attrs.frozen
class WebhookEndpoint:
    """One endpoint of a seller and how its deliveries stand (the URL is shown without secrets)."""

    name: str
    url: str
    events: tuple[str, ...]
    #: Its handler's state: position reached, failures in a row, last error, parked.
    state: HandlerState | None = None

    @property
    def failing(self) -> bool:
        """True while its last delivery failed (waiting to retry, or parked)."""
        return self.state is not None and (self.state.attempts > 0 or self.state.parked)


@attrs.frozen
class AddedEndpoint:
    """What the process knows of an added endpoint (the URL itself stays in memory only)."""

    seller_id: str
    url: str
    shown: str
    events: tuple[str, ...]


class WebhookEndpoints:
    """``books.webhook_endpoints``: add the host's endpoints for this seller's events, list them."""

    def __init__(
        self,
        runner: Runner,
        handlers: EventHandlers,
        seller_id: str,
        *,
        make_poster: Callable[[str | bytes], Poster],
        shown: Callable[[str], str],
        registry: dict[str, AddedEndpoint],
    ) -> None:
        self._run = runner
        self._handlers = handlers
        self._seller_id = seller_id
        self._make_poster = make_poster
        self._shown = shown
        self._added = registry

    def add(
        self, url: str, *, events: Sequence[str], secret: str | bytes, name: str | None = None
    ) -> WebhookEndpoint:
        """Send this seller's ``events`` ("invoice.paid", "invoice.*", "*") to ``url``, signed.

        Signed as the customer webhooks are (``webhook-id``, ``webhook-timestamp``,
        ``webhook-signature``; verify with ``invoicekit.adapters.signing.verify``). The body
        is the ``EventNotice`` as JSON. Starts after the events stored so far.
        """
        if isinstance(events, str) or not events:
            raise ValidationError(
                [problem("events", 'a non-empty list such as ["invoice.paid"]', events)],
                subject="webhook endpoint",
            )
        for n, pattern in enumerate(events):
            check_pattern(pattern, f"events[{n}]")
        post = self._make_poster(secret)  # ConfigurationError for an unusable secret
        shown = self._shown(url)  # ValidationError for a URL that is not http(s)
        digest = hashlib.sha256(url.encode()).hexdigest()[:12]
        name = name or f"webhook:{self._seller_id}:{digest}"
        wanted, seller_id, converter = tuple(events), self._seller_id, self._run.converter

        def deliver(notice: EventNotice) -> None:
            if notice.seller_id == seller_id and any(matches(p, notice.type) for p in wanted):
                post(url, notice.id, {"object": "event", **notice.to_json(converter)})

        self._handlers.on("*", deliver, name=name)
        self._added[name] = AddedEndpoint(seller_id, url, shown, wanted)
        return self._endpoint(name)

    def list(self) -> builtins.list[WebhookEndpoint]:
        """This seller's endpoints added in this process, with their delivery state."""
        return [self._endpoint(name) for name in sorted(self._mine())]

    def failing(self) -> builtins.list[WebhookEndpoint]:
        """The endpoints whose last delivery failed: retrying, or parked until resumed."""
        return [e for e in self.list() if e.failing]

    def _mine(self) -> builtins.list[str]:
        return [n for n, added in self._added.items() if added.seller_id == self._seller_id]

    def _endpoint(self, name: str) -> WebhookEndpoint:
        added = self._added[name]
        states = {s.name: s for s in self._handlers.states()}
        return WebhookEndpoint(name, added.shown, added.events, states.get(name))
