"""The Notifier contract, run for SmtpNotifier, SmsNotifier(HttpSmsGateway) and MemoryNotifier."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from invoicekit.adapters.notify.sms import HttpSmsGateway, SmsNotifier
from invoicekit.adapters.notify.smtp import SmtpNotifier
from invoicekit.ports import Notifier
from invoicekit.testing import MemoryNotifier
from invoicekit.testing.contracts.notifier import NotifierContract, ReceivedMessage
from invoicekit.testing.smtp import LoopbackSmtpServer, SelfSignedCertificate

SMTP_PASSWORD = "contract-smtp-Secr3t"
Received = Callable[[], list[ReceivedMessage]]


class TestSmtpNotifier(NotifierContract):
    @pytest.fixture
    def server(self, certificate: SelfSignedCertificate) -> Iterator[LoopbackSmtpServer]:
        tls = certificate.server_context()
        with LoopbackSmtpServer(
            starttls=tls, require_starttls=True, users={"billing": SMTP_PASSWORD}
        ) as server:
            yield server

    @pytest.fixture
    def notifier(
        self, server: LoopbackSmtpServer, certificate: SelfSignedCertificate
    ) -> Iterator[Notifier]:
        with SmtpNotifier(
            "localhost",
            server.port,
            sender="billing@acme.example",
            username="billing",
            password=SMTP_PASSWORD,
            ssl_context=certificate.client_context(),
        ) as notifier:
            yield notifier

    @pytest.fixture
    def received(self, server: LoopbackSmtpServer) -> Received:
        return lambda: [
            ReceivedMessage(m.message_id, m.rcpt_tos[0], m.text, m.subject) for m in server.messages
        ]

    @pytest.fixture
    def secrets(self) -> list[str]:
        return [SMTP_PASSWORD]

    @pytest.fixture
    def unreachable_notifier(self, closed_port: int) -> Notifier:
        return SmtpNotifier(
            "127.0.0.1",
            closed_port,
            sender="billing@acme.example",
            username="billing",
            password=SMTP_PASSWORD,
            timeout=5,
        )


class TestSmsNotifier(NotifierContract):
    @pytest.fixture
    def notifier(self, sms_gateway: HttpSmsGateway) -> Notifier:
        return SmsNotifier(sms_gateway)

    @pytest.fixture
    def received(self, sms_api: Any) -> Received:
        return lambda: [
            ReceivedMessage(r.headers["Idempotency-Key"], r.form["To"], r.form["Body"])
            for r in sms_api.messages
        ]

    @pytest.fixture
    def secrets(self, sms_api: Any) -> list[str]:
        return [sms_api.auth_token]

    @pytest.fixture
    def unreachable_notifier(self, closed_port: int, sms_api: Any) -> Notifier:
        gateway = HttpSmsGateway(
            sms_api.account_sid,
            sms_api.auth_token,
            from_number="+15005550006",
            base_url=f"http://127.0.0.1:{closed_port}/2010-04-01",
            timeout=5,
        )
        return SmsNotifier(gateway)


class TestMemoryNotifier(NotifierContract):
    @pytest.fixture
    def notifier(self) -> MemoryNotifier:
        return MemoryNotifier()

    @pytest.fixture
    def received(self, notifier: MemoryNotifier) -> Received:
        return lambda: [
            ReceivedMessage(m.key, m.recipient, m.text, m.subject) for m in notifier.sent
        ]
