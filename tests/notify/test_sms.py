"""SmsNotifier and HttpSmsGateway against a Twilio-style API on loopback; E.164; short text."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicekit.adapters.notify.sms import HttpSmsGateway, SmsNotifier, e164, shorten
from invoicekit.errors import (
    ConfigurationError,
    DeliveryError,
    MissingExtraError,
    ValidationError,
)
from invoicekit.ports import OutgoingMessage
from sizes import examples

MakeSms = Callable[..., OutgoingMessage]


def test_a_message_is_posted_like_twilio_expects(
    sms_api: Any, sms_gateway: HttpSmsGateway, make_sms: MakeSms
) -> None:
    message = make_sms(1)
    delivery = SmsNotifier(sms_gateway).send(message)
    [request] = sms_api.messages
    assert request.path == f"/2010-04-01/Accounts/{sms_api.account_sid}/Messages.json"
    assert request.auth == (sms_api.account_sid, sms_api.auth_token)
    assert request.headers["Idempotency-Key"] == message.key
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert request.form == {"To": "+4930901820", "From": "+15005550006", "Body": message.text}
    assert delivery.provider_id is not None
    assert delivery.provider_id.startswith("SM")
    assert delivery.channel == "sms"
    assert delivery.key == message.key


def test_a_messaging_service_replaces_the_from_number(sms_api: Any, make_sms: MakeSms) -> None:
    gateway = HttpSmsGateway(
        sms_api.account_sid,
        sms_api.auth_token,
        messaging_service_sid="MG0123",
        base_url=sms_api.base_url,
    )
    SmsNotifier(gateway).send(make_sms(1))
    [request] = sms_api.messages
    assert request.form["MessagingServiceSid"] == "MG0123"
    assert "From" not in request.form


def test_a_long_text_is_cut_on_a_word_but_keeps_the_whole_link(
    sms_api: Any, sms_gateway: HttpSmsGateway, make_sms: MakeSms
) -> None:
    url = "https://pay.example.test/i/" + "a" * 60
    words = " ".join(f"word{i}" for i in range(80))
    message = make_sms(
        1, text=f"Invoice INV-00001 is due. {words} Pay here: {url} Thanks!", url=url
    )
    SmsNotifier(sms_gateway, max_length=160).send(message)
    body = sms_api.messages[0].form["Body"]
    assert len(body) <= 160
    assert url in body
    assert body.startswith("Invoice INV-00001 is due. word0 ")
    kept = body.split("...")[0].split()
    assert kept == message.text.split()[: len(kept)]  # whole words, in order


def test_the_pay_link_is_added_when_the_text_lacks_it(
    sms_api: Any, sms_gateway: HttpSmsGateway, make_sms: MakeSms
) -> None:
    SmsNotifier(sms_gateway).send(make_sms(1, text="Invoice INV-00001: 928.00 EUR due 15 March."))
    assert sms_api.messages[0].form["Body"].endswith(" https://pay.example.test/i/1")


@settings(max_examples=examples(ci=300, dev=40))
@given(
    words=st.lists(st.text("abcdefghij,!", min_size=1, max_size=15), max_size=60),
    position=st.integers(min_value=0, max_value=60),
    limit=st.integers(min_value=40, max_value=200),
)
def test_shorten_keeps_links_whole_and_respects_the_limit(
    words: list[str], position: int, limit: int
) -> None:
    url = "https://pay.example.test/i/abc123"
    tokens = [*words[:position], url, *words[position:]]
    text = " ".join(tokens)
    short = shorten(text, limit, keep=url)
    assert len(short) <= limit
    assert url in short.split()
    if len(text) <= limit:
        assert short == text
    else:
        kept = [w for w in short.replace("...", " ").split() if w != url]
        assert kept == [w for w in tokens if w != url][: len(kept)]


def test_links_longer_than_the_limit_are_refused() -> None:
    with pytest.raises(ValidationError, match="links alone"):
        shorten("Pay https://pay.example.test/" + "x" * 80, 40)


# ---------------------------------------------------------------------- numbers (E.164)


@pytest.mark.parametrize(
    ("number", "hint"),
    [
        ("+49 30 901820", "E.164 form: +4930901820"),
        ("030901820", "valid, assigned"),
        ("+15555550123", "valid, assigned"),  # a fictional 555 number: not assigned
        ("+999123", "valid, assigned"),
        ("", "valid, assigned"),
        ("+4930901820\r\nBcc: +4930901821", "one line"),
        ("+4930901820,+4930901821", "valid, assigned"),
    ],
)
def test_a_number_that_is_not_e164_is_refused_and_nothing_is_sent(
    sms_api: Any, sms_gateway: HttpSmsGateway, make_sms: MakeSms, number: str, hint: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(hint)):
        SmsNotifier(sms_gateway).send(make_sms(1, recipient=number))
    assert sms_api.requests == []


def test_valid_numbers_pass() -> None:
    assert e164("+442071838750") == "+442071838750"
    assert e164("+14155552671") == "+14155552671"


def test_a_subject_with_a_line_break_is_refused(
    sms_api: Any, sms_gateway: HttpSmsGateway, make_sms: MakeSms
) -> None:
    with pytest.raises(ValidationError, match="subject"):
        SmsNotifier(sms_gateway).send(make_sms(1, subject="Invoice\r\nX-Evil: 1"))
    assert sms_api.requests == []


# ---------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("status", "body", "retryable", "shown"),
    [
        (429, {"code": 20429, "message": "Too Many Requests"}, True, "HTTP 429, code 20429"),
        (500, {}, True, "HTTP 500"),
        (503, {"message": "down for maintenance"}, True, "down for maintenance"),
        (
            400,
            {"code": 21211, "message": "The 'To' number +4930901820 is not a valid phone number."},
            False,
            "code 21211: The 'To' number",
        ),
        (404, {"code": 20404, "message": "not found"}, False, "HTTP 404"),
    ],
)
def test_gateway_answers_map_to_retryable_or_permanent(  # noqa: PLR0917 - fixtures and parameters
    sms_api: Any,
    sms_gateway: HttpSmsGateway,
    make_sms: MakeSms,
    status: int,
    body: dict[str, Any],
    retryable: bool,
    shown: str,
) -> None:
    sms_api.fail_next(status, body)
    notifier = SmsNotifier(sms_gateway)
    with pytest.raises(DeliveryError) as caught:
        notifier.send(make_sms(1))
    assert caught.value.retryable is retryable
    assert shown in str(caught.value)
    assert caught.value.channel == "sms"
    assert caught.value.recipient == "+4930901820"
    notifier.send(make_sms(1))  # the dispatcher's retry, with the same key
    assert [r.headers["Idempotency-Key"] for r in sms_api.requests] == ["inv_1:invoice:1:sms"] * 2


def test_wrong_credentials_are_permanent_and_never_show_the_token(
    sms_api: Any, make_sms: MakeSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = sms_api.auth_token + "-old"
    gateway = HttpSmsGateway(
        sms_api.account_sid, wrong, from_number="+15005550006", base_url=sms_api.base_url
    )
    notifier = SmsNotifier(gateway)
    with pytest.raises(DeliveryError, match="check the account_sid and auth_token") as caught:
        notifier.send(make_sms(1))
    assert not caught.value.retryable
    texts = [str(caught.value), repr(caught.value), repr(notifier), repr(gateway), str(gateway)]
    texts += [r.getMessage() for r in caplog.records]
    for text in texts:
        assert wrong not in text
    assert "auth_token='***'" in repr(gateway)


def test_a_redirect_is_not_followed(
    sms_api: Any, sms_gateway: HttpSmsGateway, make_sms: MakeSms
) -> None:
    sms_api.fail_next(307, headers={"Location": "http://127.0.0.1:9/steal"})
    with pytest.raises(DeliveryError, match="redirected") as caught:
        SmsNotifier(sms_gateway).send(make_sms(1))
    assert not caught.value.retryable
    assert len(sms_api.requests) == 1


def test_an_answer_without_a_sid_is_retryable(
    sms_api: Any, sms_gateway: HttpSmsGateway, make_sms: MakeSms
) -> None:
    sms_api.fail_next(201, {"status": "queued"})
    with pytest.raises(DeliveryError, match="without a message sid") as caught:
        SmsNotifier(sms_gateway).send(make_sms(1))
    assert caught.value.retryable


def test_a_gateway_that_is_down_is_retryable(closed_port: int, make_sms: MakeSms) -> None:
    gateway = HttpSmsGateway(
        "AC1",
        "token",
        from_number="+15005550006",
        base_url=f"http://127.0.0.1:{closed_port}",
        timeout=5,
    )
    with pytest.raises(DeliveryError, match="could not reach") as caught:
        SmsNotifier(gateway).send(make_sms(1))
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"base_url": "http://api.twilio.com/2010-04-01"}, "base_url"),
        ({"base_url": "file:///etc/passwd"}, "base_url"),
        ({"from_number": None}, "from_number"),
        ({"messaging_service_sid": "MG1"}, "from_number"),
        ({"auth_token": "tok\r\nX-Evil: 1"}, "auth_token"),
        ({"account_sid": ""}, "account_sid"),
    ],
)
def test_wrong_gateway_settings_are_refused(settings: dict[str, Any], path: str) -> None:
    kwargs: dict[str, Any] = {
        "account_sid": "AC1",
        "auth_token": "tok-secret",
        "from_number": "+15005550006",
    }
    with pytest.raises(ConfigurationError) as caught:
        HttpSmsGateway(**(kwargs | settings))
    assert path in str(caught.value)
    assert "tok-secret" not in str(caught.value)
    assert "X-Evil" not in str(caught.value)


def test_a_too_small_max_length_is_refused(sms_gateway: HttpSmsGateway) -> None:
    with pytest.raises(ConfigurationError, match="at least 40"):
        SmsNotifier(sms_gateway, max_length=10)


def test_without_the_sms_extra_the_notifier_names_it(
    sms_gateway: HttpSmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "phonenumbers", None)  # what an install without it looks like
    with pytest.raises(MissingExtraError, match=re.escape("pip install 'invoicekit[sms]'")):
        SmsNotifier(sms_gateway)
