"""A real SMTP server on loopback for tests: records what it accepts, answers 4xx/5xx on demand.

Built on ``aiosmtpd`` (the ``testing`` extra) so tests of an application that
sends e-mail talk SMTP over a socket, with STARTTLS, implicit TLS and AUTH,
instead of replacing ``smtplib`` with a mock::

    with LoopbackSmtpServer() as server:
        notifier = SmtpNotifier(server.host, server.port, sender="b@x.example", security="none")
        notifier.send(message)
        assert server.messages[0].subject == message.subject
"""

from __future__ import annotations

import hmac
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Mapping
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, Final, Literal, Self, cast

import attrs

from invoicekit._extras import require
from invoicekit.errors import ConfigurationError

__all__ = [
    "LoopbackSmtpServer",
    "ReceivedEmail",
    "SelfSignedCertificate",
    "self_signed_certificate",
]

#: The commands whose replies can be scripted with :meth:`LoopbackSmtpServer.fail_next`.
Command = Literal["MAIL", "RCPT", "DATA"]
_COMMANDS: Final = ("MAIL", "RCPT", "DATA")
_FEATURE: Final = "invoicekit.testing.smtp"


@attrs.frozen
class ReceivedEmail:
    """One message the server accepted: the envelope, the raw bytes and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes = attrs.field(repr=False)
    #: The user name the client logged in with, or None.
    login: str | None = None
    #: Whether the message came over TLS (STARTTLS or implicit).
    tls: bool = False
    message: EmailMessage = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        parsed = message_from_bytes(self.data, policy=default_policy)
        object.__setattr__(self, "message", parsed)

    @property
    def message_id(self) -> str:
        """The Message-ID header, as sent."""
        return str(self.message.get("Message-ID", ""))

    @property
    def subject(self) -> str:
        """The decoded Subject header."""
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str:
        """The text/plain body (newline line ends), or "" when there is none."""
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else _lf(cast("EmailMessage", part).get_content())

    @property
    def html(self) -> str | None:
        """The text/html body (newline line ends), or None."""
        part = self.message.get_body(preferencelist=("html",))
        return None if part is None else _lf(cast("EmailMessage", part).get_content())

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """Each attachment as (filename, media type, bytes)."""
        return [
            (
                part.get_filename() or "",
                part.get_content_type(),
                cast("bytes", part.get_payload(decode=True)),
            )
            for part in self.message.iter_attachments()
        ]


def _lf(content: object) -> str:
    """Text with the CRLF line ends of the wire turned back into newlines."""
    return str(content).replace("\r\n", "\n")


class _Handler:
    """The aiosmtpd handler: checks logins, plays scripted failures, records messages."""

    def __init__(self, owner: LoopbackSmtpServer) -> None:
        self._owner = owner

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self, _server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self._owner.users and not session.authenticated:
            return "530 5.7.0 Authentication required"
        scripted = self._owner._scripted("MAIL")  # noqa: SLF001 - the owner's own script
        if scripted is not None:
            return scripted
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: Any, _session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        scripted = self._owner._scripted("RCPT")  # noqa: SLF001 - the owner's own script
        if scripted is not None:
            return scripted
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        scripted = self._owner._scripted("DATA")  # noqa: SLF001 - the owner's own script
        if scripted is not None:
            return scripted
        transport = server.transport
        tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        login = session.auth_data if isinstance(session.auth_data, str) else None
        content = envelope.original_content or envelope.content
        self._owner._record(  # noqa: SLF001 - the owner's own record
            ReceivedEmail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=bytes(content),
                login=login,
                tls=tls,
            )
        )
        return "250 2.0.0 Message accepted for delivery"


class LoopbackSmtpServer:
    """A real SMTP server on 127.0.0.1 in a thread (aiosmtpd), for tests; use it as a context manager.

    ``starttls`` offers STARTTLS with that server context (``require_starttls``
    refuses mail without it); ``implicit_tls`` wraps the whole connection in TLS
    (port 465 style). ``users`` (name → password) turns on AUTH and refuses MAIL
    before a login. ``port=0`` picks a free port; read it from :attr:`port`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        starttls: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        implicit_tls: ssl.SSLContext | None = None,
        users: Mapping[str, str] | None = None,
        auth_require_tls: bool = True,
        hostname: str = "smtp.invoicekit.test",
    ) -> None:
        require("aiosmtpd", extra="testing", feature="LoopbackSmtpServer")
        if starttls is not None and implicit_tls is not None:
            raise ConfigurationError("pass starttls= or implicit_tls=, not both")
        self.host = host
        self.port = port
        self.users: dict[str, str] = dict(users or {})
        self._lock = threading.Lock()
        self._messages: list[ReceivedEmail] = []
        self._script: dict[str, list[str]] = {c: [] for c in _COMMANDS}
        self._arrived = threading.Condition(self._lock)
        self._kwargs: dict[str, Any] = {
            "hostname": host,
            "port": port,
            "server_hostname": hostname,
            "ready_timeout": 10.0,
            # Over implicit TLS the whole session is encrypted; aiosmtpd only counts STARTTLS.
            "auth_require_tls": auth_require_tls and implicit_tls is None,
        }
        if starttls is not None:
            self._kwargs |= {"tls_context": starttls, "require_starttls": require_starttls}
        if implicit_tls is not None:
            self._kwargs["ssl_context"] = implicit_tls
        if self.users:
            self._kwargs["authenticator"] = self._authenticate
        self._controller: Any = None

    def __repr__(self) -> str:
        return (
            f"LoopbackSmtpServer(host={self.host!r}, port={self.port}, users={sorted(self.users)})"
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start listening (in a daemon thread); returns self."""
        if self._controller is not None:
            return self
        controller = _controller_class()(_Handler(self), **self._kwargs)
        controller.start()
        self._controller = controller
        self.port = int(controller.port)
        return self

    def stop(self) -> None:
        """Stop listening and close every connection."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ what arrived

    @property
    def messages(self) -> list[ReceivedEmail]:
        """Every message accepted so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget the messages received and any scripted replies not yet given."""
        with self._lock:
            self._messages.clear()
            for replies in self._script.values():
                replies.clear()

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[ReceivedEmail]:
        """Wait until at least ``count`` messages arrived; returns them (fewer if time ran out)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return list(self._messages)

    # ------------------------------------------------------------------ faults

    def fail_next(
        self, command: Command, reply: str = "451 4.3.0 Try again later", *, times: int = 1
    ) -> None:
        """Answer the next ``times`` ``command``s (MAIL, RCPT or DATA) with ``reply`` ("550 ...")."""
        if command not in _COMMANDS:
            raise ConfigurationError(
                f"command must be one of {', '.join(_COMMANDS)}; got {command!r}"
            )
        code = reply[:3]
        if not (code.isdigit() and code[0] in "2345" and reply[3:4] in ("", " ")):
            raise ConfigurationError(f"reply must start with a 3-digit SMTP code; got {reply!r}")
        with self._lock:
            self._script[command].extend([reply] * times)

    def _scripted(self, command: str) -> str | None:
        with self._lock:
            replies = self._script[command]
            return replies.pop(0) if replies else None

    def _record(self, received: ReceivedEmail) -> None:
        with self._arrived:
            self._messages.append(received)
            self._arrived.notify_all()

    def _authenticate(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
    ) -> Any:
        smtp = require("aiosmtpd.smtp", extra="testing", feature=_FEATURE)
        login = getattr(auth_data, "login", b"")
        password = getattr(auth_data, "password", b"")
        user = login.decode("utf-8", "replace") if isinstance(login, bytes) else str(login)
        expected = self.users.get(user)
        given = password if isinstance(password, bytes) else str(password).encode()
        if expected is not None and hmac.compare_digest(expected.encode(), given):
            return smtp.AuthResult(success=True, auth_data=user)
        return smtp.AuthResult(success=False, handled=False)


def _controller_class() -> type[Any]:
    """The threaded aiosmtpd Controller, taught to listen on port 0 (a free port)."""
    controller = require("aiosmtpd.controller", extra="testing", feature=_FEATURE)

    class _Controller(controller.Controller):  # type: ignore[misc, name-defined]
        port: int

        def _trigger_server(self) -> None:
            if self.port == 0:
                self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    return _Controller


# ---------------------------------------------------------------------- TLS


@attrs.frozen
class SelfSignedCertificate:
    """A certificate and key (PEM files) for ``localhost`` and 127.0.0.1, for TLS tests."""

    certfile: Path
    keyfile: Path

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate only (and checks the host name)."""
        return ssl.create_default_context(cafile=str(self.certfile))


def self_signed_certificate(
    directory: Path, *, hostname: str = "localhost"
) -> SelfSignedCertificate:
    """Create a self-signed certificate in ``directory`` with the ``openssl`` command.

    Raises ConfigurationError when ``openssl`` is not installed.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ConfigurationError(
            "self_signed_certificate needs the openssl command: install openssl"
        )
    certfile = Path(directory) / "cert.pem"
    keyfile = Path(directory) / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={hostname}",
            "-addext",
            f"subjectAltName=DNS:{hostname},IP:127.0.0.1",
            "-keyout",
            str(keyfile),
            "-out",
            str(certfile),
        ],
        check=True,
        capture_output=True,
    )
    return SelfSignedCertificate(certfile, keyfile)
