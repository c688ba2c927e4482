"""``SentMessages``: what a test's ``Billing`` sent, found by recipient and kind.

``assert_sent`` fails with a list of everything that did go out, so a test that
expected a reminder and got an invoice says so instead of ``assert [] == [...]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from invoicekit.domain import checks
from invoicekit.errors import Problem, problem
from invoicekit.ports import DOCUMENT_KINDS, OutgoingMessage
from invoicekit.testing.fakes import MemoryNotifier

__all__ = ["RECORDED_CHANNELS", "SentMessages"]

#: The channels a ``SentMessages`` records by default (the in-app inbox is ``books.inbox``).
RECORDED_CHANNELS: Final = ("email", "sms", "webhook")


class SentMessages:
    """Recording notifiers for e-mail, SMS and webhook that share one list, and queries over it.

    Pass :attr:`notifiers` to ``Billing(notifiers=...)``; every message they
    accept lands in :attr:`messages`, oldest first, whatever its channel.
    """

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []
        self.notifiers = tuple(MemoryNotifier(c, self.messages) for c in RECORDED_CHANNELS)

    def __iter__(self) -> Iterator[OutgoingMessage]:
        return iter(list(self.messages))

    def __len__(self) -> int:
        return len(self.messages)

    def __repr__(self) -> str:
        return f"SentMessages({len(self.messages)} sent)"

    def clear(self) -> None:
        """Forget what was sent so far (a resent key is then recorded again)."""
        self.messages.clear()

    def to(
        self, recipient: str, *, kind: str | None = None, channel: str | None = None
    ) -> list[OutgoingMessage]:
        """The messages sent to ``recipient`` (an e-mail address, phone number or URL), oldest first.

        ``kind`` (invoice, reminder, final_notice, receipt, credit_note) and
        ``channel`` narrow the search; an unknown kind is a ValidationError.
        """
        checks.refuse(_problems(recipient, kind, channel), "sent messages")
        return [
            m
            for m in self.messages
            if m.recipient == recipient and kind in (None, m.kind) and channel in (None, m.channel)
        ]

    def assert_sent(
        self,
        recipient: str,
        *,
        kind: str | None = None,
        channel: str | None = None,
        count: int | None = None,
    ) -> list[OutgoingMessage]:
        """The messages :meth:`to` finds; when there are none, an AssertionError listing all that was sent.

        ``count`` asks for exactly that many instead (``count=0``: none was sent).
        """
        __tracebackhide__ = True
        if count is not None:
            checks.refuse(checks.at_least("count", count, 0), "sent messages")
        found = self.to(recipient, kind=kind, channel=channel)
        if len(found) == count or (count is None and found):
            return found
        raise AssertionError(
            f"expected {_wanted(kind, count)} to {recipient}{f' by {channel}' if channel else ''}, "
            f"found {len(found)}; {self.listing()}"
        )

    def listing(self) -> str:
        """What was sent, one numbered line per message (channel, kind, recipient, subject)."""
        if not self.messages:
            return "nothing was sent (failed messages are in books.messages.failed())"
        lines = [
            f"  {n}. {m.channel} {m.kind or '-'} to {m.recipient or '(default URL)'}: {m.subject!r}"
            for n, m in enumerate(self.messages, 1)
        ]
        return "sent:\n" + "\n".join(lines)


def _problems(recipient: object, kind: object, channel: object) -> list[Problem]:
    """A recipient or channel that is not a string; a kind no document has."""
    found = checks.instance("recipient", recipient, str, "a string such as 'ap@globex.example'")
    if channel is not None:
        found += checks.instance("channel", channel, str, "a channel name such as 'email'")
    if kind is not None and kind not in DOCUMENT_KINDS:
        found.append(problem("kind", f"allowed: {', '.join(DOCUMENT_KINDS)}", kind))
    return found


def _wanted(kind: str | None, count: int | None) -> str:
    """'a reminder', 'an invoice', '0 reminders', '2 messages'."""
    what = kind or "message"
    if count is None:
        return f"{'an' if what[0] in 'aeiou' else 'a'} {what}"
    return f"{count} {what}{'' if count == 1 else 's'}"
