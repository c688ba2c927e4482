"""``SmtpNotifier``: e-mail over SMTP with the standard library (``smtplib`` and ``email``).

One connection is kept open between sends and reopened once when the server
has dropped it. The Message-ID is derived from the message key, so a message
sent twice after a crash is recognisably the same one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
import threading
import weakref
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Final, Literal, Self, get_args

from invoicekit.adapters.notify.headers import header_problems, mailbox_problems, parse_mailbox
from invoicekit.adapters.notify.mime import SMTP_POLICY, sender_named
from invoicekit.clock import SystemClock
from invoicekit.errors import ConfigurationError, DeliveryError, Problem, ValidationError, problem
from invoicekit.ports import Delivery

if TYPE_CHECKING:
    from datetime import datetime
    from email.headerregistry import Address

    from invoicekit.ports import Clock, OutgoingMessage

__all__ = ["Security", "SmtpNotifier", "email_for", "message_id_for"]

log = logging.getLogger("invoicekit.notify.smtp")

#: How the connection is secured: STARTTLS on a plain port (587), implicit TLS (465), or none.
Security = Literal["starttls", "ssl", "none"]
_SECURITY: Final = frozenset(get_args(Security))
_CHANNEL: Final = "email"
_MAX_REPLY = 200
_TEMPORARY = range(400, 500)


def message_id_for(key: str, domain: str) -> str:
    """The Message-ID of the message with ``key``: the same key always gives the same id."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


class _Secret:
    """A password that shows as ``***`` in every repr and string (T42)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The password itself, for ``smtplib.SMTP.login`` only."""
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


class _Connection:
    """The open SMTP connection, if any; closed when its notifier is garbage-collected."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None
        self.pid = os.getpid()

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        if self.pid != os.getpid():  # inherited through fork: the parent owns the session
            smtp.close()
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def abort(self) -> None:
        """Close the socket without a QUIT (at garbage collection or exit: never wait on a server)."""
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            smtp.close()


class SmtpNotifier:
    """Delivers e-mail (channel ``email``) through one SMTP server: HTML with a text part, PDF attached.

    ``security`` is ``"starttls"`` (port 587), ``"ssl"`` (implicit TLS, port 465)
    or ``"none"`` (a local relay). Raises ValidationError for a message whose
    recipient, subject or names contain line breaks (nothing is sent), and
    DeliveryError (``retryable`` for 4xx replies and network failures) otherwise.
    """

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        security: Security = "starttls",
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
        reply_to: str | None = None,
        local_hostname: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        problems: list[Problem] = []
        if not isinstance(host, str) or not host or host != host.strip():
            problems.append(problem("host", "must be a host name or IP address", host))
        else:
            problems += _header_problems("host", host, "host")
        if not isinstance(port, int) or not 0 < port < 65536:  # noqa: PLR2004 - TCP port range
            problems.append(problem("port", "must be a TCP port between 1 and 65535", port))
        if security not in _SECURITY:
            problems.append(
                problem("security", f"must be one of {', '.join(sorted(_SECURITY))}", security)
            )
        sender_address, found = mailbox_problems("sender", sender, allow_name=True)
        problems += found
        if reply_to is not None:
            problems += mailbox_problems("reply_to", reply_to, allow_name=True)[1]
        if username is not None:
            problems += _header_problems("username", username, "username")
        if password is not None and username is None:
            problems.append(problem("password", "is given without a username; pass both"))
        if local_hostname is not None:
            problems += _header_problems("local_hostname", local_hostname, "local host name")
        if problems or sender_address is None:
            raise ConfigurationError(
                str(ValidationError(problems, subject="SmtpNotifier settings"))
            )
        self.host = host
        self.port = port
        self.security: Security = security
        self.username = username
        self._password = None if password is None else _Secret(password)
        self.timeout = timeout
        self.reply_to = reply_to
        self.local_hostname = local_hostname
        self._sender = sender_address
        self._ssl_context = ssl_context
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._lock = threading.Lock()
        self._connection = _Connection()
        self._finalizer = weakref.finalize(self, self._connection.abort)

    def __repr__(self) -> str:
        password = "" if self._password is None else ", password='***'"
        return (
            f"SmtpNotifier(host={self.host!r}, port={self.port}, sender={str(self._sender)!r}, "
            f"security={self.security!r}, username={self.username!r}{password})"
        )

    @property
    def channel(self) -> str:
        """Always ``"email"``."""
        return _CHANNEL

    @property
    def sender(self) -> str:
        """The From address, as it appears in the header."""
        return str(self._sender)

    # ------------------------------------------------------------------ building

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """The e-mail for ``message``, ready for ``smtplib``; ValidationError if a header is unsafe.

        Text and HTML go in a multipart/alternative (text first); attachments
        (the PDF) follow with their filenames.
        """
        return email_for(message, sender=self._sender, at=self._clock.now(), reply_to=self.reply_to)

    # ------------------------------------------------------------------ sending

    def send(self, message: OutgoingMessage) -> Delivery:
        """Send ``message`` to its one recipient; returns the Delivery with the Message-ID.

        Raises ValidationError (nothing sent) for unsafe headers, DeliveryError
        otherwise: ``retryable=True`` for 4xx replies, timeouts and a server
        that is down; ``retryable=False`` for 5xx replies and refused logins.
        """
        email_message = self.build(message)
        recipient = parse_mailbox("recipient", message.recipient).addr_spec
        with self._lock:
            self._deliver(email_message, recipient)
        message_id = str(email_message["Message-ID"])
        log.debug("sent %s as %s via %s:%s", message.key, message_id, self.host, self.port)
        return Delivery(message.key, _CHANNEL, self._clock.now(), provider_id=message_id)

    def close(self) -> None:
        """Close the kept-open connection (the next send opens a new one)."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _deliver(self, email_message: EmailMessage, recipient: str) -> None:
        """Send over the kept connection, reconnecting once if the server dropped it."""
        for attempt in (1, 2):
            if self._connection.pid != os.getpid():
                self._connection.smtp = None  # a forked child never talks on its parent's socket
                self._connection.pid = os.getpid()
            reused = self._connection.smtp is not None
            smtp = self._connection.smtp or self._open(recipient)
            self._connection.smtp = smtp
            try:
                smtp.send_message(email_message, self._sender.addr_spec, [recipient])
            except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                self._connection.abort()
                if reused and attempt == 1:
                    log.debug(
                        "SMTP server %s:%s dropped the connection; reconnecting",
                        self.host,
                        self.port,
                    )
                    continue
                raise self._error(exc, recipient) from exc
            except (smtplib.SMTPException, OSError) as exc:
                if smtp.sock is None or not isinstance(exc, smtplib.SMTPResponseException):
                    self._connection.abort()  # after a reply error smtplib has reset the session
                raise self._error(exc, recipient) from exc
            return

    def _open(self, recipient: str) -> smtplib.SMTP:
        """A new connection: TLS as configured, then the login."""
        context = self._ssl_context or ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc, recipient) from exc
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"SMTP server {self._where} does not offer STARTTLS; use "
                        "security='ssl' for an implicit-TLS port (465), or security='none' "
                        "only for a trusted local relay",
                        channel=_CHANNEL,
                        recipient=recipient,
                        retryable=False,
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username is not None:
                password = "" if self._password is None else self._password.reveal()
                smtp.login(self.username, password)
        except DeliveryError:
            smtp.close()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise self._error(exc, recipient) from exc
        return smtp

    # ------------------------------------------------------------------ errors

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _error(self, exc: BaseException, recipient: str) -> DeliveryError:
        """Translate an smtplib or socket error into a DeliveryError that never shows the password."""
        retryable, text = self._describe(exc)
        return DeliveryError(
            self._scrub(text), channel=_CHANNEL, recipient=recipient, retryable=retryable
        )

    def _describe(self, exc: BaseException) -> tuple[bool, str]:  # noqa: PLR0911 - one branch per smtplib error
        where = self._where
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            if exc.smtp_code in _TEMPORARY:
                return True, f"SMTP server {where} could not check the login now: {_reply(exc)}"
            return False, (
                f"SMTP server {where} refused the login of user {self.username!r} "
                f"({_reply(exc)}): check the username and password given to SmtpNotifier"
            )
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in exc.recipients.values()]
            replies = "; ".join(f"{c} {_text(r)}" for c, r in exc.recipients.values())
            if codes and all(c in _TEMPORARY for c in codes):
                return True, f"SMTP server {where} deferred the recipient: {replies}"
            return False, f"SMTP server {where} refused the recipient: {replies}; check the address"
        if isinstance(exc, smtplib.SMTPResponseException):
            if exc.smtp_code in _TEMPORARY:
                return True, f"SMTP server {where} answered with a temporary failure: {_reply(exc)}"
            return False, f"SMTP server {where} refused the message: {_reply(exc)}"
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return True, f"SMTP server {where} closed the connection ({exc})"
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return False, (
                f"SMTP server {where} does not support what SmtpNotifier needs ({exc}); "
                "servers often offer AUTH only after STARTTLS: check security="
            )
        if isinstance(exc, smtplib.SMTPException):
            return False, f"SMTP with {where} failed: {exc}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return False, (
                f"the certificate of SMTP server {where} was not accepted ({exc.verify_message}); "
                "check the host name, or pass ssl_context= trusting the server's certificate"
            )
        if isinstance(exc, TimeoutError):
            return True, f"SMTP server {where} did not answer within {self.timeout} s"
        if isinstance(exc, ConnectionRefusedError):
            return True, f"SMTP server {where} refused the connection (is it running?)"
        return True, f"could not talk to SMTP server {where}: {exc}"

    def _scrub(self, text: str) -> str:
        if self._password is not None and self._password.reveal():
            text = text.replace(self._password.reveal(), "***")
        return text


def email_for(
    message: OutgoingMessage, *, sender: Address, at: datetime, reply_to: str | None = None
) -> EmailMessage:
    """The e-mail for ``message`` from ``sender``; ValidationError if a header is unsafe.

    Text and HTML go in a multipart/alternative (text first), then attachments (the PDF).
    Message-ID comes from the key; From names the seller (``data["seller"]``) if sender has no name.
    """
    recipient, problems = mailbox_problems("recipient", message.recipient)
    problems += _header_problems("subject", message.subject, "subject")
    for i, doc in enumerate(message.attachments):
        problems += _header_problems(f"attachments[{i}].filename", doc.filename, "filename")
        if doc.media_type.count("/") != 1:
            problems.append(
                problem(f"attachments[{i}].media_type", "must be type/subtype", doc.media_type)
            )
    if problems or recipient is None:
        raise ValidationError(problems, subject="e-mail message")
    email_message = EmailMessage(policy=SMTP_POLICY)
    email_message["Message-ID"] = message_id_for(message.key, _idna(sender.domain))
    email_message["Date"] = format_datetime(at)
    email_message["From"] = sender_named(sender, message.data.get("seller"))
    email_message["To"] = recipient
    if reply_to is not None:
        email_message["Reply-To"] = reply_to
    email_message["Subject"] = message.subject
    email_message["Auto-Submitted"] = "auto-generated"
    email_message.set_content(message.text)
    if message.html is not None:
        email_message.add_alternative(message.html, subtype="html")
    for doc in message.attachments:
        maintype, subtype = doc.media_type.split("/")
        email_message.add_attachment(
            doc.content, maintype=maintype, subtype=subtype, filename=doc.filename
        )
    return email_message


def _header_problems(path: str, value: object, what: str) -> list[Problem]:
    return header_problems(path, value, what=what)


def _idna(domain: str) -> str:
    """The ASCII form of a domain (for the Message-ID)."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain.encode("ascii", "replace").decode("ascii")


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REPLY else text[: _MAX_REPLY - 3] + "..."


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"
