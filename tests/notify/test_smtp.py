"""SmtpNotifier against a real aiosmtpd server on loopback: TLS, AUTH, MIME, faults, secrets."""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import threading
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, cast

import attrs
import pytest

from invoicekit.adapters.notify.smtp import SmtpNotifier, message_id_for
from invoicekit.errors import (
    ConfigurationError,
    DeliveryError,
    MissingExtraError,
    ValidationError,
)
from invoicekit.ports import OutgoingMessage
from invoicekit.testing.smtp import LoopbackSmtpServer, SelfSignedCertificate

SMTP_PASSWORD = "pw-Secr3t-smtp-1a2b3c4d"
SENDER = "Acme Billing <billing@acme.example>"
MakeEmail = Callable[..., OutgoingMessage]


def plain(server: LoopbackSmtpServer, **kwargs: Any) -> SmtpNotifier:
    return SmtpNotifier(server.host, server.port, sender=SENDER, security="none", **kwargs)


# ---------------------------------------------------------------------- delivery


def test_a_message_arrives_with_text_html_and_the_pdf(
    smtp_server: LoopbackSmtpServer, make_email: MakeEmail
) -> None:
    message = make_email(1)
    with plain(smtp_server) as notifier:
        delivery = notifier.send(message)
    [got] = smtp_server.messages
    assert got.mail_from == "billing@acme.example"
    assert got.rcpt_tos == ("payer@example.test",)
    email = got.message
    assert email["From"] == SENDER
    assert email["To"] == "payer@example.test"
    assert email["Subject"] == message.subject  # non-ASCII, encoded and decoded back
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["Date"]
    assert email["Message-ID"] == delivery.provider_id
    assert email.get_content_type() == "multipart/mixed"
    alternative, attachment = email.iter_parts()
    alternative = cast("EmailMessage", alternative)
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert got.text == message.text
    assert got.html is not None
    assert "<b>INV-00001</b>" in got.html
    assert got.attachments() == [
        ("INV-00001.pdf", "application/pdf", message.attachments[0].content)
    ]
    assert len(message.attachments[0].content) > 30_000
    assert attachment.get_content_disposition() == "attachment"
    assert delivery.key == message.key
    assert delivery.channel == "email"


def test_a_text_only_message_is_a_single_text_part(
    smtp_server: LoopbackSmtpServer, make_email: MakeEmail
) -> None:
    with plain(smtp_server) as notifier:
        notifier.send(make_email(1, html=None, attachments=()))
    [got] = smtp_server.messages
    assert got.message.get_content_type() == "text/plain"
    assert got.text.startswith("Invoice INV-00001")


def test_the_message_id_is_derived_from_the_key_and_stable(
    smtp_server: LoopbackSmtpServer, make_email: MakeEmail
) -> None:
    with plain(smtp_server) as first, plain(smtp_server) as second:
        first.send(make_email(1))
        # Another process after a crash: a new notifier sends the same key again.
        second.send(make_email(1, subject="resent"))
        second.send(make_email(2))
    ids = [m.message_id for m in smtp_server.messages]
    digest = hashlib.sha256(b"inv_1:invoice:1:email").hexdigest()[:32]
    assert (
        ids[0]
        == ids[1]
        == f"<{digest}@acme.example>"
        == message_id_for("inv_1:invoice:1:email", "acme.example")
    )
    assert ids[2] != ids[0]


def test_one_notifier_serves_several_threads(
    smtp_server: LoopbackSmtpServer, make_email: MakeEmail
) -> None:
    errors: list[BaseException] = []
    with plain(smtp_server) as notifier:

        def work(start: int) -> None:
            try:
                for n in range(start, start + 5):
                    notifier.send(make_email(n))
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i * 10,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len({m.message_id for m in smtp_server.messages}) == 20


def test_a_dropped_connection_is_reopened_once(make_email: MakeEmail) -> None:
    with LoopbackSmtpServer() as first:
        port = first.port
        notifier = plain(first)
        notifier.send(make_email(1))
        assert len(first.messages) == 1
    # The server restarted; the kept connection is dead, the notifier reconnects.
    with LoopbackSmtpServer(port=port) as second, notifier:
        notifier.send(make_email(2))
        assert [m.message_id for m in second.messages] == [
            notifier.build(make_email(2))["Message-ID"]
        ]


# ---------------------------------------------------------------------- TLS and AUTH


def test_starttls_with_login(certificate: SelfSignedCertificate, make_email: MakeEmail) -> None:
    server = LoopbackSmtpServer(
        starttls=certificate.server_context(),
        require_starttls=True,
        users={"billing": SMTP_PASSWORD},
    )
    with server:
        with SmtpNotifier(
            "localhost",
            server.port,
            sender=SENDER,
            username="billing",
            password=SMTP_PASSWORD,
            ssl_context=certificate.client_context(),
        ) as notifier:
            notifier.send(message := make_email(1))
        [got] = server.messages
    assert got.tls
    assert got.login == "billing"
    assert got.attachments()[0][2] == message.attachments[0].content


def test_implicit_tls_with_login(certificate: SelfSignedCertificate, make_email: MakeEmail) -> None:
    server = LoopbackSmtpServer(
        implicit_tls=certificate.server_context(), users={"billing": SMTP_PASSWORD}
    )
    with server:
        with SmtpNotifier(
            "127.0.0.1",
            server.port,
            sender=SENDER,
            username="billing",
            password=SMTP_PASSWORD,
            security="ssl",
            ssl_context=certificate.client_context(),
        ) as notifier:
            notifier.send(make_email(1))
        [got] = server.messages
    assert got.tls
    assert got.login == "billing"


def test_an_untrusted_certificate_is_a_permanent_error(
    certificate: SelfSignedCertificate, make_email: MakeEmail
) -> None:
    with LoopbackSmtpServer(starttls=certificate.server_context(), require_starttls=True) as server:
        notifier = SmtpNotifier("localhost", server.port, sender=SENDER)  # the system's trust store
        with pytest.raises(DeliveryError) as caught:
            notifier.send(make_email(1))
        assert server.messages == []
    assert not caught.value.retryable
    assert "ssl_context" in str(caught.value)


def test_a_server_without_starttls_is_refused_rather_than_sent_in_clear(
    smtp_server: LoopbackSmtpServer, make_email: MakeEmail
) -> None:
    notifier = SmtpNotifier(smtp_server.host, smtp_server.port, sender=SENDER)
    with pytest.raises(DeliveryError, match="does not offer STARTTLS") as caught:
        notifier.send(make_email(1))
    assert not caught.value.retryable
    assert smtp_server.messages == []


def test_a_refused_login_is_permanent_and_never_shows_the_password(
    certificate: SelfSignedCertificate, make_email: MakeEmail, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = SMTP_PASSWORD + "-wrong"
    with LoopbackSmtpServer(
        starttls=certificate.server_context(), users={"billing": SMTP_PASSWORD}
    ) as server:
        notifier = SmtpNotifier(
            "localhost",
            server.port,
            sender=SENDER,
            username="billing",
            password=wrong,
            ssl_context=certificate.client_context(),
        )
        with pytest.raises(DeliveryError) as caught:
            notifier.send(make_email(1))
        assert server.messages == []
    error = caught.value
    assert not error.retryable
    assert "535" in str(error)
    assert "check the username and password" in str(error)
    texts = [str(error), repr(error), str(error.__cause__), repr(notifier), str(vars(notifier))]
    texts += [r.getMessage() for r in caplog.records]
    for text in texts:
        assert wrong not in text
        assert SMTP_PASSWORD not in text
    assert "password='***'" in repr(notifier)


# ---------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("command", "reply", "retryable"),
    [
        ("RCPT", "450 4.2.1 Mailbox busy, try later", True),
        ("DATA", "451 4.3.0 Local error, try later", True),
        ("MAIL", "421 4.3.2 Service shutting down", True),
        ("RCPT", "550 5.1.1 No such user", False),
        ("DATA", "554 5.6.0 Message rejected", False),
    ],
)
def test_smtp_replies_map_to_retryable_or_permanent(
    smtp_server: LoopbackSmtpServer,
    make_email: MakeEmail,
    command: Any,
    reply: str,
    retryable: bool,
) -> None:
    smtp_server.fail_next(command, reply)
    with plain(smtp_server) as notifier:
        with pytest.raises(DeliveryError) as caught:
            notifier.send(make_email(1))
        assert caught.value.retryable is retryable
        assert reply[:3] in str(caught.value)
        assert caught.value.channel == "email"
        assert caught.value.recipient == "payer@example.test"
        assert smtp_server.messages == []
        # What a dispatcher does next: send again (a temporary failure goes through now).
        notifier.send(make_email(1))
    assert len(smtp_server.messages) == 1


def test_a_server_that_is_down_is_retryable(closed_port: int, make_email: MakeEmail) -> None:
    notifier = SmtpNotifier("127.0.0.1", closed_port, sender=SENDER, security="none", timeout=5)
    with pytest.raises(DeliveryError, match="refused the connection") as caught:
        notifier.send(make_email(1))
    assert caught.value.retryable


# ---------------------------------------------------------------------- header injection (T43)


@pytest.mark.parametrize(
    "changes",
    [
        {"recipient": "payer@example.test\r\nBcc: evil@x.example"},
        {"recipient": "payer@example.test\nBcc: evil@x.example"},
        {"recipient": "payer@example.test, evil@x.example"},
        {"recipient": "payer@example.test;evil@x.example"},
        {"recipient": "Payer <payer@example.test>"},
        {"recipient": "not-an-address"},
        {"subject": "Invoice\r\nBcc: evil@x.example"},
        {"subject": "Invoice\rBcc: evil@x.example"},
        {"subject": "Invoice\u2028Bcc: evil@x.example"},
        {"subject": "Invoice\x00"},
    ],
    ids=lambda c: repr(c)[:40],
)
def test_an_unsafe_header_is_refused_and_nothing_is_sent(
    smtp_server: LoopbackSmtpServer, make_email: MakeEmail, changes: dict[str, str]
) -> None:
    with plain(smtp_server) as notifier, pytest.raises(ValidationError) as caught:
        notifier.send(make_email(1, **changes))
    assert caught.value.paths == tuple(changes)
    assert smtp_server.messages == []


def test_an_attachment_name_with_a_line_break_is_refused(
    smtp_server: LoopbackSmtpServer, make_email: MakeEmail
) -> None:
    message = make_email(1)
    bad = attrs.evolve(message.attachments[0], filename="a.pdf\r\nBcc: evil@x.example")
    with plain(smtp_server) as notifier, pytest.raises(ValidationError, match="filename"):
        notifier.send(make_email(1, attachments=(bad,)))
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    "settings",
    [
        {"sender": "billing@acme.example\r\nBcc: evil@x.example"},
        {"sender": "billing@acme.example, evil@x.example"},
        {"reply_to": "help@acme.example\nBcc: evil@x.example"},
        {"username": "billing\r\nRSET"},
        {"security": "tls"},
        {"port": 0},
        {"password": "pw-without-user"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_unsafe_or_wrong_settings_are_refused_at_construction(settings: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"sender": SENDER} | settings
    with pytest.raises(ConfigurationError) as caught:
        SmtpNotifier("smtp.example.test", **kwargs)
    assert next(iter(settings)) in str(caught.value)
    assert "pw-without-user" not in str(caught.value)


def test_without_aiosmtpd_the_test_server_names_the_testing_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiosmtpd", None)
    with pytest.raises(MissingExtraError, match=re.escape("pip install 'invoicekit[testing]'")):
        LoopbackSmtpServer()
