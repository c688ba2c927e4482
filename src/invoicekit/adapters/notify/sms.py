"""SMS: the ``SmsGateway`` port, ``HttpSmsGateway`` for a Twilio-style API, and ``SmsNotifier``.

``SmsNotifier`` checks the number (E.164, with ``phonenumbers``: the ``sms``
extra) and shortens the text on a word boundary without ever cutting the pay
link; the gateway only moves the text.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from http.client import HTTPException
from typing import TYPE_CHECKING, Any, Final, Protocol

from invoicekit._extras import require
from invoicekit.adapters.notify.headers import header_problems
from invoicekit.clock import SystemClock
from invoicekit.errors import ConfigurationError, DeliveryError, ValidationError, problem
from invoicekit.ports import Delivery

if TYPE_CHECKING:
    from invoicekit.ports import Clock, OutgoingMessage

__all__ = ["HttpSmsGateway", "SmsGateway", "SmsNotifier", "e164", "shorten"]

log = logging.getLogger("invoicekit.notify.sms")

_CHANNEL: Final = "sms"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_SPLIT = re.compile(r"(\s+)")
#: Three dots, not "…": one character outside GSM 03.38 makes every segment 70 characters.
_ELLIPSIS: Final = "..."
_MAX_BODY = 65536
_TOO_MANY_REQUESTS = 429
_REQUEST_TIMEOUT = 408
_SERVER_ERROR = 500
_UNAUTHORIZED = (401, 403)


class SmsGateway(Protocol):
    """Sends one text message through an SMS provider; the port ``SmsNotifier`` talks to.

    ``key`` is stable across retries: pass it to the provider as an idempotency
    key where it has one. Returns the provider's message id. Raises
    DeliveryError (``retryable`` for rate limits and outages).
    """

    def send_sms(self, to: str, body: str, *, key: str) -> str:
        """Send ``body`` to the E.164 number ``to``; return the provider's message id."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: following one would send the Authorization header elsewhere."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class HttpSmsGateway:
    """Sends SMS through a Twilio-style messages API (``POST .../Accounts/{sid}/Messages.json``).

    Authenticates with HTTP Basic (account sid and auth token), sends the
    message key as ``Idempotency-Key``, and reads the message ``sid`` from the
    JSON answer. Give ``from_number`` or ``messaging_service_sid``.
    ``base_url`` must be https (plain http only for a loopback test server).
    Proxies come from the environment unless ``proxies`` is given (``{}`` for none).
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        base_url: str = "https://api.twilio.com/2010-04-01",
        timeout: float = 10,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        problems = header_problems("account_sid", account_sid, what="account sid")
        if not account_sid:
            problems.append(problem("account_sid", "must not be empty"))
        problems += header_problems("auth_token", auth_token, what="auth token")
        if (from_number is None) == (messaging_service_sid is None):
            problems.append(
                problem("from_number", "give exactly one of from_number and messaging_service_sid")
            )
        for name, value in (
            ("from_number", from_number),
            ("messaging_service_sid", messaging_service_sid),
        ):
            if value is not None:
                problems += header_problems(name, value, what=name.replace("_", " "))
        problems += _base_url_problems(base_url)
        if problems:
            # The token's own value is never echoed: the problem for it names only the path.
            shown = [
                p if p.path != "auth_token" else problem(p.path, "must be one line of text")
                for p in problems
            ]
            raise ConfigurationError(str(ValidationError(shown, subject="HttpSmsGateway settings")))
        self.account_sid = account_sid
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._authorization = f"Basic {credentials}"
        self._token = auth_token
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if proxies is not None:
            handlers.append(urllib.request.ProxyHandler(dict(proxies)))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        sender = (
            f"from_number={self.from_number!r}"
            if self.from_number is not None
            else f"messaging_service_sid={self.messaging_service_sid!r}"
        )
        return (
            f"HttpSmsGateway(account_sid={self.account_sid!r}, auth_token='***', {sender}, "
            f"base_url={self.base_url!r})"
        )

    @property
    def url(self) -> str:
        """Where messages are POSTed."""
        sid = urllib.parse.quote(self.account_sid, safe="")
        return f"{self.base_url}/Accounts/{sid}/Messages.json"

    def send_sms(self, to: str, body: str, *, key: str) -> str:
        """POST the message; return its ``sid``. DeliveryError as the port describes."""
        fields = {"To": to, "Body": body}
        if self.from_number is not None:
            fields["From"] = self.from_number
        else:
            fields["MessagingServiceSid"] = str(self.messaging_service_sid)
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=urllib.parse.urlencode(fields).encode("utf-8"),
            method="POST",
            headers={
                "Authorization": self._authorization,
                "Idempotency-Key": key,
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "User-Agent": "invoicekit",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(_MAX_BODY)
        except urllib.error.HTTPError as exc:
            with exc:
                raise self._http_error(exc, to) from None
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise self._failure(
                f"could not reach the SMS gateway at {self.base_url} ({reason}); try again later",
                to,
                retryable=True,
            ) from None
        try:
            sid = json.loads(raw)["sid"]
        except (ValueError, KeyError, TypeError):
            sid = None
        if not isinstance(sid, str) or not sid:
            raise self._failure(
                f"the SMS gateway at {self.base_url} answered without a message sid; "
                "retrying is safe (the same Idempotency-Key is sent)",
                to,
                retryable=True,
            )
        log.debug("sms %s accepted by the gateway as %s", key, sid)
        return sid

    def _http_error(self, exc: urllib.error.HTTPError, to: str) -> DeliveryError:
        status = exc.code
        detail = _twilio_detail(exc.read(_MAX_BODY))
        where = f"the SMS gateway at {self.base_url}"
        if status in _UNAUTHORIZED:
            return self._failure(
                f"{where} refused the credentials (HTTP {status}{detail}): check the "
                "account_sid and auth_token given to HttpSmsGateway",
                to,
                retryable=False,
            )
        if status in (_TOO_MANY_REQUESTS, _REQUEST_TIMEOUT) or status >= _SERVER_ERROR:
            return self._failure(
                f"{where} is busy or failing (HTTP {status}{detail}); try again later",
                to,
                retryable=True,
            )
        if 300 <= status < 400:  # noqa: PLR2004 - the redirect range
            return self._failure(
                f"{where} redirected the request (HTTP {status}); check base_url",
                to,
                retryable=False,
            )
        return self._failure(
            f"{where} refused the message (HTTP {status}{detail})", to, retryable=False
        )

    def _failure(self, text: str, to: str, *, retryable: bool) -> DeliveryError:
        if self._token:
            text = text.replace(self._token, "***")
        return DeliveryError(text, channel=_CHANNEL, recipient=to, retryable=retryable)


def _base_url_problems(base_url: object) -> list[Any]:
    if not isinstance(base_url, str):
        return [problem("base_url", "must be an https URL", base_url)]
    found = header_problems("base_url", base_url, what="base_url")
    if found:
        return found
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return []
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return []
    return [
        problem(
            "base_url",
            "must be an https URL (plain http only for a loopback test server): "
            "the auth token is sent with every request",
            base_url,
        )
    ]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _twilio_detail(raw: bytes) -> str:
    """The provider's error code and message from a Twilio-style error body, for the error text."""
    try:
        body = json.loads(raw)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    code, message = body.get("code"), body.get("message")
    parts = []
    if code is not None:
        parts.append(f"code {code}")
    if message:
        parts.append(" ".join(str(message).split())[:200])
    return ", " + ": ".join(parts) if parts else ""


# ---------------------------------------------------------------------- notifier


def e164(value: object, *, path: str = "recipient") -> str:
    """``value`` if it is a valid, assigned phone number in E.164 form; ValidationError if not."""
    problems = header_problems(path, value, what="phone number")
    if problems:
        raise ValidationError(problems, subject="SMS message")
    text = str(value)
    phonenumbers = require("phonenumbers", extra="sms", feature="SmsNotifier")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        normal = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        if _E164.fullmatch(text) and normal == text:
            return text
        message = f"must be written in E.164 form: {normal}"
    else:
        message = "must be a valid, assigned phone number in E.164 form, like +4930901820"
    raise ValidationError([problem(path, message, value)], subject="SMS message")


def shorten(text: str, limit: int, *, keep: str | None = None) -> str:
    """``text`` cut on a word boundary to at most ``limit`` characters; links are never cut.

    Every ``http(s)://`` link (and ``keep``, the pay link) stays whole; words
    around them are dropped from the first one that does not fit, marked with
    "...". Raises ValidationError when the links alone are longer than ``limit``.
    """
    if keep and keep not in text:
        text = f"{text.rstrip()} {keep}"
    if len(text) <= limit:
        return text
    parts = _SPLIT.split(text)
    words, gaps = parts[0::2], ["", *parts[1::2]]
    kept = [bool(_URL.search(w) or (keep and w == keep)) for w in words]
    # reserve[i]: room the links after word i need (each with one space before it).
    reserve = [0] * (len(words) + 1)
    for i in range(len(words) - 1, -1, -1):
        reserve[i] = reserve[i + 1] + (len(words[i]) + 1 if kept[i] else 0)
    out = ""
    cut = last_kept = False
    for i, (word, gap) in enumerate(zip(words, gaps, strict=True)):
        if not word:
            continue
        sep = (" " if cut else gap) if out else ""
        if kept[i]:
            if len(out) + len(sep) + len(word) + reserve[i + 1] > limit:
                sep = " " if out else ""
            out += sep + word
            last_kept = True
        elif not cut:
            if len(out) + len(sep) + len(word) + len(_ELLIPSIS) + reserve[i + 1] <= limit:
                out += sep + word
                last_kept = False
            else:
                # After a link the mark gets a space, or phones would make it part of the link.
                mark = f" {_ELLIPSIS}" if last_kept else _ELLIPSIS
                if len(out) + len(mark) + reserve[i + 1] <= limit:
                    out += mark
                cut = True
    if len(out) > limit:
        raise ValidationError(
            [
                problem(
                    "text",
                    f"its links alone are longer than the SMS limit of {limit} characters",
                    text,
                )
            ],
            subject="SMS message",
        )
    return out


class SmsNotifier:
    """Delivers short text messages (channel ``sms``) through an :class:`SmsGateway`.

    The recipient must be an E.164 number; the text (the renderer's short
    text with the pay link) is cut to ``max_length`` on a word boundary,
    never inside the link. Raises ValidationError (nothing sent) for a bad
    number or a subject with line breaks, DeliveryError from the gateway.
    """

    def __init__(
        self, gateway: SmsGateway, *, max_length: int = 320, clock: Clock | None = None
    ) -> None:
        if not isinstance(max_length, int) or max_length < 40:  # noqa: PLR2004 - room for a link
            raise ConfigurationError(
                f"SmsNotifier max_length must be at least 40; got {max_length!r}"
            )
        require("phonenumbers", extra="sms", feature="SmsNotifier")  # fail at setup, not at send
        self.gateway = gateway
        self.max_length = max_length
        self._clock: Clock = clock if clock is not None else SystemClock()

    def __repr__(self) -> str:
        return f"SmsNotifier({self.gateway!r}, max_length={self.max_length})"

    @property
    def channel(self) -> str:
        """Always ``"sms"``."""
        return _CHANNEL

    def body(self, message: OutgoingMessage) -> str:
        """The text that would be sent for ``message``."""
        return shorten(message.text.strip(), self.max_length, keep=message.url)

    def send(self, message: OutgoingMessage) -> Delivery:
        """Send ``message.text`` (shortened) to ``message.recipient``; returns the gateway's id."""
        problems = header_problems("subject", message.subject, what="subject")
        problems += header_problems("key", message.key, what="message key")
        if problems:
            raise ValidationError(problems, subject="SMS message")
        to = e164(message.recipient)
        sid = self.gateway.send_sms(to, self.body(message), key=message.key)
        return Delivery(message.key, _CHANNEL, self._clock.now(), provider_id=sid)
