"""WebhookNotifier against a real HTTP server on loopback: signing, retries, refusals, secrecy.

Every request the server receives is checked with ``signing.verify``, the helper
receivers use. Sleeps between retries go to a recorder (the schedule is checked
as numbers, never timed); the timeout test uses a real short socket timeout.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from invoicekit.adapters.notify import webhook as webhook_module
from invoicekit.adapters.notify.signing import (
    Secret,
    WebhookSignatureError,
    sign,
    verify,
)
from invoicekit.adapters.notify.webhook import WebhookNotifier, redact
from invoicekit.errors import ConfigurationError, DeliveryError, ValidationError
from invoicekit.ports import Delivery, Notifier, OutgoingMessage
from invoicekit.testing import FixedClock
from invoicekit.testing.contracts.notifier import NotifierContract, ReceivedMessage
from invoicekit.testing.smtp import SelfSignedCertificate
from notify.http_server import (  # noqa: F401 - the fixture is found by its registered name
    Answer,
    LoopbackServer,
    Recorded,
    closed_port_url,
    loopback_fixture,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#: A plain-text secret: it must never show up anywhere, in any spelling.
PLAIN_SECRET = "s3cr3t-do-not-leak-4f9a1c"
AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def message(key: str = "inv_1:invoice:1:webhook", **overrides: Any) -> OutgoingMessage:
    fields: dict[str, Any] = {
        "key": key,
        "channel": "webhook",
        "recipient": "",
        "subject": "Invoice INV-2026-00001 from Northwind",
        "text": "119.00 EUR due by 1 April 2026",
        "seller_id": "sel_1",
        "customer_id": "cus_1",
        "kind": "invoice",
        "invoice_id": "inv_1",
        "url": "https://pay.example/i/abc",
        "data": {
            "number": "INV-2026-00001",
            "amount_due": Decimal("119.00"),
            "currency": "EUR",
            "due_date": date(2026, 4, 1),
        },
    }
    fields.update(overrides)
    return OutgoingMessage(**fields)


class Sleeps:
    """Records the sleeps a notifier asks for, without sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def notifier(url: str | None, *, secret: str = SECRET, **options: Any) -> WebhookNotifier:
    options.setdefault("sleep", Sleeps())
    options.setdefault("proxies", {})
    return WebhookNotifier(url, secret=secret, **options)


def assert_signed(request: Recorded, *, secret: str = SECRET) -> None:
    verify(secret, request.headers, request.body)


def _port(n: WebhookNotifier) -> Notifier:
    return n  # checked by mypy: WebhookNotifier implements the port


# --------------------------------------------------------------------------- delivery


def test_a_message_is_posted_once_as_signed_json(loopback: LoopbackServer) -> None:
    clock = FixedClock(AT)
    hook = notifier(loopback.url + "/hooks/billing", clock=clock)

    delivery = hook.send(message())

    assert _port(hook).channel == "webhook"
    assert delivery == Delivery("inv_1:invoice:1:webhook", "webhook", AT, provider_id=None)
    [request] = loopback.requests
    assert (request.method, request.path) == ("POST", "/hooks/billing")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("invoicekit/")
    assert request.headers["webhook-id"] == "inv_1:invoice:1:webhook"
    assert request.headers["webhook-timestamp"] == str(int(AT.timestamp()))
    assert request.headers["webhook-signature"].startswith("v1,")
    verify(SECRET, request.headers, request.body, now=AT)
    assert request.json() == {
        "type": "invoicekit.message",
        "id": "inv_1:invoice:1:webhook",
        "kind": "invoice",
        "seller_id": "sel_1",
        "customer_id": "cus_1",
        "invoice_id": "inv_1",
        "subject": "Invoice INV-2026-00001 from Northwind",
        "text": "119.00 EUR due by 1 April 2026",
        "url": "https://pay.example/i/abc",
        "data": {
            "number": "INV-2026-00001",
            "amount_due": "119.00",
            "currency": "EUR",
            "due_date": "2026-04-01",
        },
    }


def test_the_signature_covers_id_timestamp_and_raw_body(loopback: LoopbackServer) -> None:
    notifier(loopback.url).send(message())
    [request] = loopback.requests
    headers = dict(request.headers)
    assert_signed(request)

    tampered_body = request.body.replace(b"119.00", b"1.00")
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify(SECRET, headers, tampered_body)
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify(SECRET, {**headers, "webhook-id": "other"}, request.body)
    stamp = int(headers["webhook-timestamp"]) + 1
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify(SECRET, {**headers, "webhook-timestamp": str(stamp)}, request.body)
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify("whsec_" + "QUJD" * 8, headers, request.body)


def test_the_message_recipient_overrides_the_default_url(loopback: LoopbackServer) -> None:
    hook = notifier(closed_port_url())

    hook.send(message(recipient=loopback.url + "/customer/42?token=abc"))

    [request] = loopback.requests
    assert request.path == "/customer/42?token=abc"
    assert_signed(request)


def test_the_same_key_twice_reaches_the_receiver_twice_with_one_id(
    loopback: LoopbackServer,
) -> None:
    hook = notifier(loopback.url)

    first = hook.send(message())
    second = hook.send(message())

    # Dedupe is the receiver's job: it keeps the webhook-ids it has processed.
    assert [r.headers["webhook-id"] for r in loopback.requests] == [first.key, second.key]
    assert first.key == second.key
    assert loopback.requests[0].body == loopback.requests[1].body
    for request in loopback.requests:
        assert_signed(request)


# --------------------------------------------------------------------------- retries


def test_a_500_then_200_is_delivered_on_the_second_attempt(loopback: LoopbackServer) -> None:
    loopback.plan(Answer(500, b"oops"))
    sleeps = Sleeps()

    delivery = notifier(loopback.url, sleep=sleeps, backoff=0.5).send(message())

    assert delivery.key == "inv_1:invoice:1:webhook"
    assert len(loopback.requests) == 2
    assert len(sleeps.calls) == 1
    assert 0.25 <= sleeps.calls[0] <= 0.5  # backoff 0.5 s, half of it jitter
    for request in loopback.requests:
        assert_signed(request)


def test_500_forever_gives_a_retryable_error_after_retries_plus_one_requests(
    loopback: LoopbackServer,
) -> None:
    loopback.plan(Answer(503, b'{"error":"maintenance"}'), times=10)
    sleeps = Sleeps()

    with pytest.raises(DeliveryError) as caught:
        notifier(loopback.url, sleep=sleeps, retries=3, backoff=1, max_backoff=3).send(message())

    error = caught.value
    assert error.retryable is True
    assert (error.channel, error.recipient) == ("webhook", loopback.url)
    assert "HTTP 503" in str(error)
    assert "maintenance" in str(error)
    assert len(loopback.requests) == 4
    # three waits between four requests; their lengths (1, 2, 4 s capped at 3 s, half of each
    # random) are checked exactly by test_the_backoff_is_half_fixed_half_random below
    assert len(sleeps.calls) == 3
    for request in loopback.requests:
        assert_signed(request)


def test_the_backoff_is_half_fixed_half_random(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Equal jitter: half of each capped backoff is fixed, the other half drawn from [0, half]."""
    drawn: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        drawn.append((low, high))
        return high / 4

    monkeypatch.setattr(webhook_module.random, "uniform", uniform)
    loopback.plan(Answer(503), times=10)
    sleeps = Sleeps()

    with pytest.raises(DeliveryError):
        notifier(loopback.url, sleep=sleeps, retries=3, backoff=1, max_backoff=3).send(message())

    assert drawn == [(0, 0.5), (0, 1.0), (0, 1.5)]  # half of 1, 2 and 4 capped at 3
    assert sleeps.calls == [0.5 + 0.125, 1.0 + 0.25, 1.5 + 0.375]


@pytest.mark.parametrize("status", [408, 429, 502])
def test_408_429_and_5xx_are_retried(loopback: LoopbackServer, status: int) -> None:
    loopback.plan(Answer(status), times=2)

    notifier(loopback.url).send(message())

    assert len(loopback.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_4xx_fail_at_once_and_are_not_retryable(
    loopback: LoopbackServer, status: int
) -> None:
    loopback.plan(Answer(status, b'{"error":"unknown event"}'), times=5)
    sleeps = Sleeps()

    with pytest.raises(DeliveryError) as caught:
        notifier(loopback.url, sleep=sleeps).send(message())

    assert caught.value.retryable is False
    assert f"HTTP {status}" in str(caught.value)
    assert "unknown event" in str(caught.value)
    assert len(loopback.requests) == 1
    assert sleeps.calls == []


def test_retry_after_is_honoured_up_to_the_cap(loopback: LoopbackServer) -> None:
    loopback.plan(Answer(429, headers={"Retry-After": "7"}))
    sleeps = Sleeps()

    notifier(loopback.url, sleep=sleeps, backoff=0.1).send(message())

    assert sleeps.calls == [7.0]
    assert len(loopback.requests) == 2


def test_a_retry_after_beyond_the_cap_ends_the_attempts_retryable(
    loopback: LoopbackServer,
) -> None:
    loopback.plan(Answer(503, headers={"Retry-After": "3600"}), times=5)
    sleeps = Sleeps()

    with pytest.raises(DeliveryError, match="retry after 3600 s") as caught:
        notifier(loopback.url, sleep=sleeps, max_retry_after=60).send(message())

    assert caught.value.retryable is True
    assert len(loopback.requests) == 1
    assert sleeps.calls == []


def test_a_server_that_is_down_gives_a_retryable_error() -> None:
    sleeps = Sleeps()
    url = closed_port_url()

    with pytest.raises(DeliveryError, match="cannot connect") as caught:
        notifier(url, sleep=sleeps, retries=2).send(message())

    assert caught.value.retryable is True
    assert len(sleeps.calls) == 2


def test_a_server_that_does_not_answer_times_out_retryable(loopback: LoopbackServer) -> None:
    loopback.plan(Answer(hang=True), times=2)

    with pytest.raises(DeliveryError, match=r"no answer within 0\.2 s") as caught:
        notifier(loopback.url, timeout=0.2, retries=1).send(message())

    assert caught.value.retryable is True
    assert len(loopback.requests) == 2


def test_a_timeout_then_an_answer_is_delivered(loopback: LoopbackServer) -> None:
    loopback.plan(Answer(hang=True))

    notifier(loopback.url, timeout=0.2, retries=1).send(message())

    assert len(loopback.requests) == 2


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed(loopback: LoopbackServer, status: int) -> None:
    loopback.plan(Answer(status, headers={"Location": loopback.url + "/elsewhere?t=x"}))

    with pytest.raises(DeliveryError, match="not followed") as caught:
        notifier(loopback.url + "/hook").send(message())

    assert caught.value.retryable is False
    assert f"HTTP {status}" in str(caught.value)
    assert "/elsewhere?***" in str(caught.value)  # the Location, its query hidden
    assert [r.path for r in loopback.requests] == ["/hook"]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "file:///etc/passwd", "example.com/hook", "http://", ""]
)
def test_only_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValidationError, match="http"):
        WebhookNotifier(url, secret=SECRET)


def test_a_message_with_a_non_http_recipient_is_refused(loopback: LoopbackServer) -> None:
    with pytest.raises(ValidationError, match="recipient"):
        notifier(loopback.url).send(message(recipient="gopher://example.com/"))

    assert loopback.requests == []


def test_no_url_at_all_is_a_permanent_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="no URL") as caught:
        notifier(None).send(message())

    assert caught.value.retryable is False


@pytest.mark.parametrize("key", ["", "a\r\nX-Injected: 1", "x" * 256])
def test_a_bad_key_is_refused_before_anything_is_sent(loopback: LoopbackServer, key: str) -> None:
    with pytest.raises(ValidationError, match="key"):
        notifier(loopback.url).send(message(key=key))

    assert loopback.requests == []


def test_data_that_is_not_json_is_a_permanent_error(loopback: LoopbackServer) -> None:
    with pytest.raises(DeliveryError, match="not JSON") as caught:
        notifier(loopback.url).send(message(data={"x": object()}))

    assert caught.value.retryable is False
    assert loopback.requests == []


@pytest.mark.parametrize(
    ("secret", "match"),
    [("x7Q-pw", "too short"), ("whsec_!!!not-base64!!!", "not base64"), (b"", "too short")],
)
def test_an_unusable_secret_is_refused_without_showing_it(secret: str | bytes, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match) as caught:
        WebhookNotifier("https://hooks.example/x", secret=secret)

    if secret:
        assert str(secret) not in str(caught.value)


# --------------------------------------------------------------------------- secrecy, T42


def test_the_secret_never_leaks_into_reprs_errors_or_logs(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = loopback.url + "/hook?token=abc123"
    hook = notifier(url, secret=PLAIN_SECRET)
    errors: list[BaseException] = []
    loopback.plan(Answer(500), times=4)
    loopback.plan(Answer(400))
    loopback.plan(Answer(302, headers={"Location": "https://elsewhere.example/"}))
    for _ in range(3):
        try:
            hook.send(message())
        except DeliveryError as exc:
            errors.append(exc)
    try:
        notifier(closed_port_url(), secret=PLAIN_SECRET).send(message())
    except DeliveryError as exc:
        errors.append(exc)
    delivered = hook.send(message())

    assert len(errors) == 4
    assert delivered.key == message().key
    assert PLAIN_SECRET not in repr(vars(hook))  # its attributes hold a masked Secret
    shown = [repr(hook), str(hook), repr(Secret(PLAIN_SECRET)), str(Secret(PLAIN_SECRET))]
    shown += [f"{e!s} {e!r} {e.__cause__!r} {e.__context__!r}" for e in errors]
    shown += [r.getMessage() for r in caplog.records]
    assert caplog.records  # the attempts were logged
    for text in shown:
        assert PLAIN_SECRET not in text
        assert "abc123" not in text  # the URL's token is hidden too
    assert repr(hook) == (f"WebhookNotifier(url='{loopback.url}/hook?***', secret=***, retries=3)")
    for request in loopback.requests:
        assert PLAIN_SECRET.encode() not in request.body
        assert all(PLAIN_SECRET not in v for v in request.headers.values())
        assert_signed(request, secret=PLAIN_SECRET)


# --------------------------------------------------------------------------- verify


def test_verify_refuses_old_and_future_timestamps() -> None:
    body = b'{"a":1}'
    stamp = int(AT.timestamp())
    headers = {
        "Webhook-Id": "k1",
        "Webhook-Timestamp": str(stamp),
        "Webhook-Signature": sign(SECRET, "k1", stamp, body),
    }

    verify(SECRET, headers, body, now=AT)  # header names in any case
    verify(SECRET, headers, body, now=stamp + 300)
    with pytest.raises(WebhookSignatureError, match="replay"):
        verify(SECRET, headers, body, now=stamp + 301)
    with pytest.raises(WebhookSignatureError, match="replay"):
        verify(SECRET, headers, body, now=stamp - 301)


def test_verify_accepts_any_one_of_several_signatures_during_rotation() -> None:
    body = b"{}"
    old = sign("whsec_" + "T0xE" * 8, "k1", 100, body)
    new = sign(SECRET, "k1", 100, body)
    headers = {
        "webhook-id": "k1",
        "webhook-timestamp": "100",
        "webhook-signature": f"{old} {new}",
    }

    verify(SECRET, headers, body, now=100)


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({"webhook-timestamp": "1", "webhook-signature": "v1,x"}, "missing header 'webhook-id'"),
        ({"webhook-id": "k", "webhook-signature": "v1,x"}, "missing header 'webhook-timestamp'"),
        ({"webhook-id": "k", "webhook-timestamp": "1"}, "missing header 'webhook-signature'"),
        ({"webhook-id": "k", "webhook-timestamp": "soon", "webhook-signature": "v1,x"}, "unix"),
    ],
)
def test_verify_names_what_is_missing(headers: dict[str, str], match: str) -> None:
    with pytest.raises(WebhookSignatureError, match=match):
        verify(SECRET, headers, b"{}", now=1)


def test_redact_hides_credentials_and_query() -> None:
    assert redact("https://user:pw@hooks.example:8443/a/b?token=x#f") == (
        "https://hooks.example:8443/a/b?***"
    )
    assert redact("http://[::1]:80/h") == "http://[::1]:80/h"


# --------------------------------------------------------------------------- TLS


@pytest.fixture
def tls_server(certificate: SelfSignedCertificate) -> Iterator[LoopbackServer]:
    server = LoopbackServer(tls=certificate.server_context()).start()
    yield server
    server.stop()


def test_https_with_a_trusted_certificate_is_delivered(
    tls_server: LoopbackServer, certificate: SelfSignedCertificate
) -> None:
    hook = notifier(tls_server.url + "/hook", ssl_context=certificate.client_context())

    hook.send(message())

    [request] = tls_server.requests
    assert_signed(request)


def test_an_untrusted_certificate_is_a_permanent_error_and_nothing_is_posted(
    tls_server: LoopbackServer,
) -> None:
    sleeps = Sleeps()

    with pytest.raises(DeliveryError, match="certificate not trusted") as caught:
        notifier(tls_server.url + "/hook", sleep=sleeps).send(message())

    assert caught.value.retryable is False
    assert sleeps.calls == []
    assert tls_server.requests == []


# --------------------------------------------------------------------------- the Notifier contract


class TestWebhookNotifierContract(NotifierContract):
    """The shared Notifier contract, with the loopback server as the far end."""

    @pytest.fixture
    def notifier(self, loopback: LoopbackServer) -> Notifier:
        return notifier(loopback.url + "/hook")

    @pytest.fixture
    def recipient(self) -> str:
        return ""  # the notifier's own URL, so the unreachable notifier is tried too

    @pytest.fixture
    def received(self, loopback: LoopbackServer) -> Callable[[], list[ReceivedMessage]]:
        def read() -> list[ReceivedMessage]:
            got = []
            for request in loopback.requests:
                assert_signed(request)
                body = json.loads(request.body)
                url = loopback.url + request.path
                got.append(
                    ReceivedMessage(
                        request.headers["webhook-id"], url, body["text"], body["subject"]
                    )
                )
            return got

        return read

    @pytest.fixture
    def secrets(self) -> list[str]:
        return [SECRET, SECRET.removeprefix("whsec_")]

    @pytest.fixture
    def unreachable_notifier(self) -> Notifier | None:
        return notifier(closed_port_url(), retries=1)
