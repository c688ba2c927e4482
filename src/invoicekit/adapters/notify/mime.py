"""E-mail headers Python's own folding gets wrong, made right: non-ASCII subjects and the From name.

``email.policy.SMTP`` folds "Northwind, €12" as "Northwind, " CRLF " =?utf-8?...?=":
unfolded, that reads "Northwind,  €12" (two spaces). A subject with non-ASCII
text is therefore written as encoded words only, whose separating spaces
readers drop; a long ASCII one is folded at its own spaces (Python would start it
on a line of its own, read back with a leading space). Both read as rendered.
"""

from __future__ import annotations

import base64
from email.headerregistry import Address
from email.policy import EmailPolicy
from typing import Any, Final

from invoicekit.adapters.notify.headers import header_problems
from invoicekit.errors import ValidationError

__all__ = ["SMTP_POLICY", "encoded_words", "folded_subject", "sender_named"]

#: UTF-8 bytes per encoded word: 12 + 52 characters, so "Subject: " and a word fit 78.
_WORD_BYTES: Final = 39
#: Characters of a header line (RFC 5322 recommends 78).
_LINE: Final = 78
_FOLD: Final = "\r\n "


def encoded_words(text: str) -> str:
    """``text`` as RFC 2047 base64 encoded words, one per folded line, never splitting a character."""
    words: list[str] = []
    chunk = b""
    for char in text:
        data = char.encode("utf-8")
        if len(chunk) + len(data) > _WORD_BYTES:
            words.append(chunk.decode("utf-8"))
            chunk = b""
        chunk += data
    words.append(chunk.decode("utf-8"))
    return _FOLD.join(
        "=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words
    )


def folded_subject(text: str) -> str:
    """A Subject value that unfolds to exactly ``text``: encoded words, or ASCII folded at spaces."""
    if not text.isascii():
        return encoded_words(text)
    lines = [""]
    width = _LINE - len("Subject: ")
    for word in text.split(" "):
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)  # the fold's own space stands for the one between the words
            width = _LINE - 1
        else:
            lines[-1] = f"{lines[-1]} {word}" if len(lines) > 1 or lines[-1] else word
    return _FOLD.join(lines)


class _Policy(EmailPolicy):
    """``email.policy.SMTP``, except that subjects are stored folded as :func:`folded_subject` says."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        """The header as stored; a Subject pre-folded so the generator leaves it as it is."""
        if name.lower() == "subject" and isinstance(value, str):
            return (name, folded_subject(value))
        stored: tuple[str, Any] = super().header_store_parse(name, value)
        return stored


#: The policy of every e-mail invoicekit writes: CRLF line ends, subjects that read as rendered.
SMTP_POLICY: Final = _Policy(linesep="\r\n")


def sender_named(sender: Address, name: object) -> Address:
    """``sender`` with ``name`` (the seller's) as display name, unless it has one already.

    Raises ValidationError for a name with a line break (no header is injected).
    """
    if sender.display_name or not isinstance(name, str) or not name.strip():
        return sender
    problems = header_problems("data.seller", name, what="seller name")
    if problems:
        raise ValidationError(problems, subject="e-mail message")
    return Address(display_name=" ".join(name.split()), addr_spec=sender.addr_spec)
