"""Fixtures for the e-mail and SMS notifier tests: a real SMTP server and a Twilio-style API.

Both run on 127.0.0.1 in a thread: ``smtp_server`` is the shipped
``LoopbackSmtpServer`` (aiosmtpd); ``sms_api`` is a small
``ThreadingHTTPServer`` answering ``POST /Accounts/{sid}/Messages.json`` like
Twilio, scriptable to answer 429/500/400 for the next requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import attrs
import pytest

from invoicekit.adapters.notify.sms import HttpSmsGateway
from invoicekit.ports import OutgoingMessage, RenderedDocument
from invoicekit.testing.smtp import (
    LoopbackSmtpServer,
    SelfSignedCertificate,
    self_signed_certificate,
)

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "tok-Secr3t-sms-9f8e7d6c5b4a"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 120 + b"\n%%EOF\n"


@pytest.fixture
def smtp_server() -> Iterator[LoopbackSmtpServer]:
    """A plain SMTP server (no TLS, no AUTH) on a free loopback port."""
    with LoopbackSmtpServer() as server:
        yield server


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    """A self-signed certificate for localhost and 127.0.0.1 (made with openssl)."""
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def email_message(n: int = 1, **changes: Any) -> OutgoingMessage:
    """An invoice e-mail with text, HTML and a PDF attachment."""
    fields: dict[str, Any] = {
        "key": f"inv_{n}:invoice:1:email",
        "channel": "email",
        "recipient": "payer@example.test",
        "subject": f"Rechnung INV-{n:05d} über 928,00 €",
        "text": f"Invoice INV-{n:05d}\n928.00 EUR due 15 March\nPay: https://pay.example.test/i/{n}\n",
        "html": f"<p>Invoice <b>INV-{n:05d}</b></p>",
        "attachments": (
            RenderedDocument("application/pdf", PDF, f"INV-{n:05d}.pdf", f"Invoice INV-{n:05d}"),
        ),
        "seller_id": "sel_1",
        "customer_id": "cus_1",
        "kind": "invoice",
        "invoice_id": f"inv_{n}",
        "url": f"https://pay.example.test/i/{n}",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)


def sms_message(n: int = 1, **changes: Any) -> OutgoingMessage:
    """An invoice SMS: short text with the pay link."""
    fields: dict[str, Any] = {
        "key": f"inv_{n}:invoice:1:sms",
        "channel": "sms",
        "recipient": "+4930901820",
        "subject": f"Invoice INV-{n:05d}",
        "text": f"Invoice INV-{n:05d}: 928.00 EUR due 15 March. Pay: https://pay.example.test/i/{n}",
        "url": f"https://pay.example.test/i/{n}",
        "kind": "invoice",
        "invoice_id": f"inv_{n}",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)


# ---------------------------------------------------------------------- SMS API


@attrs.frozen
class SmsRequest:
    """One request the SMS API received."""

    path: str
    headers: dict[str, str]
    form: dict[str, str]
    #: (user, password) from HTTP Basic, or None.
    auth: tuple[str, str] | None


class SmsApi:
    """A Twilio-style messages API on loopback: records requests, answers as scripted."""

    def __init__(self) -> None:
        self.account_sid = ACCOUNT_SID
        self.auth_token = AUTH_TOKEN
        self.requests: list[SmsRequest] = []
        self._script: list[tuple[int, bytes, dict[str, str]]] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode("utf-8")
                form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                auth = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    auth = (user, password)
                status, body, headers = api._answer(
                    SmsRequest(self.path, dict(self.headers.items()), form, auth)
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}/2010-04-01"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def fail_next(
        self,
        status: int,
        body: dict[str, Any] | None = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests with ``status``, a JSON ``body`` and ``headers``."""
        with self._lock:
            answer = (status, json.dumps(body or {}).encode(), dict(headers or {}))
            self._script.extend([answer] * times)

    @property
    def messages(self) -> list[SmsRequest]:
        """The requests that were accepted (answered 201)."""
        with self._lock:
            return [r for r in self.requests if r.headers.get("X-Accepted") == "1"]

    def _answer(self, request: SmsRequest) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            if self._script:
                self.requests.append(request)
                return self._script.pop(0)
            expected = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
            if request.path != expected or request.auth != (ACCOUNT_SID, AUTH_TOKEN):
                self.requests.append(request)
                return 401, json.dumps({"code": 20003, "message": "Authenticate"}).encode(), {}
            key = request.headers.get("Idempotency-Key", "")
            sid = "SM" + hashlib.sha256(key.encode()).hexdigest()[:32]
            accepted = attrs.evolve(request, headers={**request.headers, "X-Accepted": "1"})
            self.requests.append(accepted)
            body = {"sid": sid, "status": "queued", "to": request.form.get("To")}
            return 201, json.dumps(body).encode(), {}

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


@pytest.fixture
def sms_api() -> Iterator[SmsApi]:
    """A running Twilio-style API on a free loopback port."""
    with SmsApi() as api:
        yield api


@pytest.fixture
def sms_gateway(sms_api: SmsApi) -> HttpSmsGateway:
    """An HttpSmsGateway talking to ``sms_api``."""
    return HttpSmsGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        from_number="+15005550006",
        base_url=sms_api.base_url,
        timeout=5,
        proxies={},
    )


@pytest.fixture
def make_email() -> Callable[..., OutgoingMessage]:
    """The ``email_message`` factory: ``make_email(n, **changes)``."""
    return email_message


@pytest.fixture
def make_sms() -> Callable[..., OutgoingMessage]:
    """The ``sms_message`` factory: ``make_sms(n, **changes)``."""
    return sms_message
