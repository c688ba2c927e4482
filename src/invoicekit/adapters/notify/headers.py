"""Checks for values that become message headers: one line, no control characters, one address.

A CR or LF in a subject, a name or an address would let customer data add
headers or recipients (T43); notifiers run these checks before anything
leaves the process, so a refused message never reaches the far end.
"""

from __future__ import annotations

import email.errors
import re
from email.headerregistry import Address

from invoicekit.errors import Problem, ValidationError, problem

__all__ = [
    "check_message",
    "header_problems",
    "mailbox_problems",
    "parse_mailbox",
    "require_header",
]

#: C0 controls (CR, LF, TAB, NUL, ...), DEL, C1 controls and the Unicode line and
#: paragraph separators: none of them belongs in a one-line header value.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_ADDRESS = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<addr>[^<>]*)>$")


def header_problems(path: str, value: object, *, what: str) -> list[Problem]:
    """The problems with ``value`` as a one-line header value (empty list when fine)."""
    if not isinstance(value, str):
        return [problem(path, f"{what} must be text", value)]
    found = _CONTROL.search(value)
    if found is not None:
        return [
            problem(
                path,
                f"{what} must be one line without control characters; found "
                f"{found.group()!r} at position {found.start()} (a line break here could "
                "add headers or recipients, so the message was not sent)",
                value,
            )
        ]
    return []


def check_message(recipient: object, subject: object) -> None:
    """Refuse a message whose recipient or subject is not one safe line (T43): ValidationError."""
    problems = header_problems("recipient", recipient, what="recipient")
    problems += header_problems("subject", subject, what="subject")
    if problems:
        raise ValidationError(problems, subject="message")


def require_header(path: str, value: object, *, what: str, subject: str = "message") -> str:
    """Return ``value`` if it is a safe one-line header value; raise ValidationError if not."""
    problems = header_problems(path, value, what=what)
    if problems:
        raise ValidationError(problems, subject=subject)
    return str(value)


def mailbox_problems(
    path: str, value: object, *, what: str = "e-mail address", allow_name: bool = False
) -> tuple[Address | None, list[Problem]]:
    """Parse exactly one mailbox (``a@x.example``, or ``Name <a@x.example>`` if ``allow_name``).

    Returns the parsed address and no problems, or None and the problems found.
    """
    problems = header_problems(path, value, what=what)
    if problems:
        return None, problems
    text = str(value).strip()
    name = ""
    spec = text
    named = _NAMED_ADDRESS.match(text)
    if named is not None:
        if not allow_name:
            return None, [problem(path, f"{what} must be a bare address like a@x.example", value)]
        name = named.group("name").strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':  # noqa: PLR2004 - a pair of quotes
            name = name[1:-1]
        spec = named.group("addr").strip()
    try:
        address = Address(display_name=name, addr_spec=spec)
    except (ValueError, IndexError, email.errors.MessageError):
        address = None
    if address is None or not address.username or not address.domain:
        return None, [
            problem(
                path,
                f"{what} must be exactly one address like a@x.example "
                "(ASCII before the @, no lists, no commas or semicolons)",
                value,
            )
        ]
    return address, []


def parse_mailbox(
    path: str,
    value: object,
    *,
    what: str = "e-mail address",
    allow_name: bool = False,
    subject: str = "message",
) -> Address:
    """Exactly one mailbox from ``value``; raise ValidationError for anything else."""
    address, problems = mailbox_problems(path, value, what=what, allow_name=allow_name)
    if address is None:
        raise ValidationError(problems, subject=subject)
    return address
