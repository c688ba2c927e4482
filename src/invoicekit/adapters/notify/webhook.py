"""Deliver messages as signed JSON POSTs to an HTTP endpoint (the ``webhook`` channel).

Requests follow Standard Webhooks: the ``webhook-id`` header is the message key,
so a message sent twice (after a crash, or a retry whose answer was lost) arrives
twice with the same id and the receiver drops the second one. Temporary failures
(connection errors, timeouts, 408, 429, 5xx) are retried inside ``send`` with
exponential backoff and jitter, then reported as ``DeliveryError(retryable=True)``
for the dispatcher to retry later; other 4xx and every redirect fail at once with
``retryable=False``. Redirects are never followed, so a signed body only ever goes
to the configured URL. The secret never appears in a repr, an error or a log line.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import random
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from importlib import metadata
from typing import TYPE_CHECKING, Any, Final

import attrs

from invoicekit.adapters.signing import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Secret,
    sign,
)
from invoicekit.errors import ConfigurationError, DeliveryError, ValidationError, problem
from invoicekit.ports import Delivery

if TYPE_CHECKING:
    from invoicekit.ports import Clock, OutgoingMessage

__all__ = ["WebhookNotifier"]

_log = logging.getLogger(__name__)

CHANNEL: Final = "webhook"
#: HTTP statuses worth another try: timeout, rate limit, and every 5xx.
_RETRY_STATUSES: Final = frozenset({408, 429})
_MAX_KEY: Final = 255
#: More attempts than this belong to the dispatcher's schedule, not one blocking call.
_MAX_RETRIES: Final = 20
_MAX_SNIPPET: Final = 200
_MAX_READ: Final = 64 * 1024


def _user_agent() -> str:
    try:
        version = metadata.version("invoicekit")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "0"
    return f"invoicekit/{version}"


def redact(url: str) -> str:
    """``url`` as it may be shown: no user or password, and a query replaced by ``?***``.

    Webhook URLs often carry a token in their query; the path is kept so a reader can
    tell endpoints apart.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None else f"{host}:{port}"
    query = "***" if parts.query else ""
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def check_url(url: object, path: str) -> str:
    """``url`` if it is one absolute http(s) URL; ValidationError naming ``path`` if not."""
    if isinstance(url, str) and url.isprintable() and " " not in url:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname:
            return url
    shown = redact(url) if isinstance(url, str) else url
    raise ValidationError(
        [problem(path, "must be one http:// or https:// URL with a host", shown)],
        subject="webhook",
    )


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot put a {type(value).__name__} into webhook JSON")


def _retry_after(value: str | None, *, at: float) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - at)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuses every redirect, so urllib raises HTTPError with the 3xx status."""

    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None


@attrs.define
class _Attempt:
    """What one POST came to: delivered, or a failure that may be retried."""

    delivered: bool = False
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None


def _snippet(raw: bytes) -> str:
    text = raw[:_MAX_SNIPPET].decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


class WebhookNotifier:
    """Notifier that POSTs each message as signed JSON to a webhook endpoint.

    ``url`` is the default endpoint; a message whose ``recipient`` is a URL (the
    customer's ``webhook_url``) goes there instead. ``retries`` more attempts follow
    a temporary failure, ``backoff * 2**n`` seconds apart (half of it random, at most
    ``max_backoff``); a ``Retry-After`` of up to ``max_retry_after`` seconds is
    honoured, a longer one ends the attempts with a retryable DeliveryError.
    ``proxies`` (scheme to proxy URL; ``{}`` for none) defaults to the environment's.
    Raises ValidationError for a URL that is not http(s) and ConfigurationError for
    an unusable secret or setting.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        secret: str | bytes,
        timeout: float = 10,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30,
        max_retry_after: float = 60,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        proxies: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = None if url is None else check_url(url, "url")
        self._secret = Secret(secret)
        numbers = {"timeout": timeout, "backoff": backoff, "max_backoff": max_backoff}
        numbers["max_retry_after"] = max_retry_after
        for name, value in numbers.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigurationError(
                    f"WebhookNotifier {name} must be seconds >= 0, got {value!r}"
                )
        if timeout <= 0:
            raise ConfigurationError(
                f"WebhookNotifier timeout must be > 0 seconds, got {timeout!r}"
            )
        if not isinstance(retries, int) or isinstance(retries, bool):
            raise ConfigurationError(f"WebhookNotifier retries must be an int, got {retries!r}")
        if not 0 <= retries <= _MAX_RETRIES:
            raise ConfigurationError(
                f"WebhookNotifier retries must be 0-{_MAX_RETRIES}, got {retries!r}"
            )
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.max_retry_after = float(max_retry_after)
        self._clock = clock
        self._sleep = sleep
        self._user_agent = _user_agent()
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if proxies is not None:
            handlers.append(urllib.request.ProxyHandler(dict(proxies)))
        if ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        shown = None if self.url is None else redact(self.url)
        return f"WebhookNotifier(url={shown!r}, secret=***, retries={self.retries})"

    @property
    def channel(self) -> str:
        """Always "webhook"."""
        return CHANNEL

    # -- sending -----------------------------------------------------------------------

    def body(self, message: OutgoingMessage) -> bytes:
        """The JSON body posted for ``message`` (UTF-8, sorted keys, no whitespace)."""
        document = {
            "type": "invoicekit.message",
            "id": message.key,
            "kind": message.kind,
            "seller_id": message.seller_id,
            "customer_id": message.customer_id,
            "invoice_id": message.invoice_id,
            "subject": message.subject,
            "text": message.text,
            "url": message.url,
            "data": dict(message.data),
        }
        try:
            text = json.dumps(
                document,
                default=_json_default,
                ensure_ascii=False,
                sort_keys=True,
                separators=(",", ":"),
                allow_nan=False,
            )
        except (TypeError, ValueError) as exc:
            raise DeliveryError(
                f"webhook message {message.key!r} cannot be sent: its data is not JSON ({exc}); "
                "put strings, numbers, Decimals, dates and lists or dicts of them in data",
                channel=CHANNEL,
                recipient=redact(message.recipient or self.url or ""),
                retryable=False,
            ) from None
        return text.encode("utf-8")

    def send(self, message: OutgoingMessage) -> Delivery:
        """POST ``message`` and return the Delivery once the endpoint answers 2xx.

        Raises ValidationError for a bad key, a subject with a line break (T43) or a
        recipient that is not an http(s) URL, and DeliveryError:
        ``retryable=True`` after the last temporary failure, ``retryable=False`` at once
        for a redirect, a 4xx other than 408/429, a TLS certificate error, or no URL.
        """
        key = message.key
        found = []
        if not isinstance(key, str) or not key or len(key) > _MAX_KEY or not key.isprintable():
            found.append(problem("key", f"must be 1-{_MAX_KEY} printable characters", key))
        if not isinstance(message.subject, str) or not message.subject.isprintable():
            found.append(
                problem("subject", "must be one line without control characters", message.subject)
            )
        if found:
            raise ValidationError(found, subject="webhook message")
        url = check_url(message.recipient, "recipient") if message.recipient else self.url
        if url is None:
            raise DeliveryError(
                f"webhook message {key!r} has no URL: give the customer a webhook_url or "
                "the WebhookNotifier a default url",
                channel=CHANNEL,
                retryable=False,
            )
        return self._deliver(url, key, self.body(message))

    def post(self, url: str, key: str, document: Mapping[str, Any]) -> Delivery:
        """POST ``document`` as signed JSON to ``url`` under id ``key`` (a seller's event webhook).

        Retried and refused as ``send`` is; raises ValidationError for a URL that is not
        http(s) and DeliveryError when the endpoint does not take it.
        """
        url = check_url(url, "url")
        text = json.dumps(
            dict(document),
            default=_json_default,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
        )
        return self._deliver(url, key, text.encode("utf-8"))

    def _deliver(self, url: str, key: str, body: bytes) -> Delivery:
        """POST ``body`` with retries; the Delivery on a 2xx, DeliveryError otherwise."""
        shown = redact(url)
        attempts = self.retries + 1
        outcome = _Attempt()
        for attempt in range(attempts):
            outcome = self._post(url, key, body)
            if outcome.delivered:
                _log.debug("webhook %s delivered to %s (attempt %d)", key, shown, attempt + 1)
                return Delivery(key, CHANNEL, self._now())
            last = attempt == attempts - 1
            _log.info(
                "webhook %s to %s failed (attempt %d of %d): %s",
                key,
                shown,
                attempt + 1,
                attempts,
                outcome.error,
            )
            if not outcome.retryable or last:
                break
            delay = self._delay(attempt)
            if outcome.retry_after is not None:
                if outcome.retry_after > self.max_retry_after:
                    outcome.error += (
                        f"; it asked to retry after {outcome.retry_after:.0f} s, more than "
                        f"max_retry_after={self.max_retry_after:.0f} s"
                    )
                    break
                delay = max(delay, outcome.retry_after)
            self._sleep(delay)
        tries = "1 attempt" if attempts == 1 else f"up to {attempts} attempts"
        what = "will be retried later" if outcome.retryable else "not retried"
        raise DeliveryError(
            f"webhook {key!r} to {shown} failed ({what}; {tries}): {outcome.error}",
            channel=CHANNEL,
            recipient=shown,
            retryable=outcome.retryable,
        )

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def _delay(self, attempt: int) -> float:
        """Backoff before attempt ``attempt + 2``: half fixed, half random ("equal jitter")."""
        full = min(self.max_backoff, self.backoff * 2.0**attempt)
        return full / 2 + random.uniform(0, full / 2)  # noqa: S311 - jitter, not a secret

    def _post(self, url: str, key: str, body: bytes) -> _Attempt:
        """One signed POST; never raises for what the network or the endpoint does."""
        timestamp = int(self._now().timestamp())
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": self._user_agent,
                ID_HEADER: key,
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(self._secret, key, timestamp, body),
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(_MAX_READ)
        except urllib.error.HTTPError as exc:  # every status but 2xx (redirects included)
            with exc:
                return self._refused(exc)
        except (http.client.HTTPException, OSError) as exc:
            return self._unreachable(exc)
        return _Attempt(delivered=True)

    def _unreachable(self, exc: Exception) -> _Attempt:
        """A POST that got no HTTP answer: retryable, except an untrusted TLS certificate."""
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, ssl.SSLCertVerificationError):
            return _Attempt(error=f"TLS certificate not trusted: {reason.verify_message}")
        if isinstance(reason, TimeoutError):
            return _Attempt(error=f"no answer within {self.timeout:g} s", retryable=True)
        return _Attempt(error=f"cannot connect: {type(reason).__name__}: {reason}", retryable=True)

    def _refused(self, exc: urllib.error.HTTPError) -> _Attempt:
        status = exc.code
        try:
            snippet = _snippet(exc.read(_MAX_READ))
        except (OSError, http.client.HTTPException):
            snippet = ""
        answer = f"HTTP {status} {exc.reason}" + (f": {snippet}" if snippet else "")
        if 300 <= status < 400:  # noqa: PLR2004
            location = exc.headers.get("Location") if exc.headers else None
            target = f" to {redact(location)}" if location else ""
            return _Attempt(
                error=f"{answer}; the redirect{target} was not followed (a signed body only "
                "goes to the configured URL): configure the final URL"
            )
        if status in _RETRY_STATUSES or status >= 500:  # noqa: PLR2004
            header = exc.headers.get("Retry-After") if exc.headers else None
            wait = _retry_after(header, at=time.time())
            return _Attempt(error=answer, retryable=True, retry_after=wait)
        return _Attempt(error=f"{answer}; the endpoint refused the message")
