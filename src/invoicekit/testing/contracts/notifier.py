"""The behaviour every ``Notifier`` must show, checked against what its far end received.

Subclass :class:`NotifierContract` as ``TestMyNotifier`` and override the
``notifier`` and ``received`` fixtures (and ``secrets``,
``unreachable_notifier`` and ``recipient`` where they apply)::

    class TestSmtpNotifier(NotifierContract):
        @pytest.fixture
        def notifier(self, smtp_server): ...

        @pytest.fixture
        def received(self, smtp_server):
            return lambda: [
                ReceivedMessage(m.message_id, m.rcpt_tos[0], m.text, m.subject)
                for m in smtp_server.messages
            ]
"""

# ruff: noqa: S101
# (a contract suite checks with assert, as tests do; pytest rewrites these modules)

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Final

import attrs
import pytest

from invoicekit.errors import DeliveryError, ValidationError
from invoicekit.ports import Notifier, OutgoingMessage

__all__ = ["CHANNELS", "NotifierContract", "ReceivedMessage"]

#: The channels a notifier may deliver on.
CHANNELS: Final = frozenset({"email", "sms", "webhook", "in_app"})

#: A recipient that every notifier of the channel accepts, unless the subclass overrides ``recipient``.
DEFAULT_RECIPIENTS: Final = {
    "email": "payer@example.test",
    "sms": "+4930901820",
    "in_app": "cus_contract",
}

_INJECTIONS: Final = (
    "\r\nBcc: evil@x.example",
    "\nBcc: evil@x.example",
    "\rBcc: evil@x.example",
)
_counter = itertools.count(1)


@attrs.frozen
class ReceivedMessage:
    """What the far end got: the id it sees (derived from the key), the recipient and the text."""

    #: The id the far end can deduplicate on (Message-ID, Idempotency-Key, webhook id, inbox key).
    id: str
    recipient: str
    text: str
    #: None for channels that carry no subject (SMS).
    subject: str | None = None


class NotifierContract:
    """Behaviour every Notifier adapter must show. Subclass as ``TestXNotifier``."""

    @pytest.fixture
    def notifier(self) -> Notifier:
        """The notifier under test, delivering to a far end that ``received`` reads."""
        raise NotImplementedError("override the 'notifier' fixture")

    @pytest.fixture
    def received(self) -> Callable[[], list[ReceivedMessage]]:
        """A callable returning everything the far end has received so far, oldest first."""
        raise NotImplementedError("override the 'received' fixture")

    @pytest.fixture
    def secrets(self) -> list[str]:
        """Secrets the notifier holds (passwords, tokens) that must never show in its repr."""
        return []

    @pytest.fixture
    def unreachable_notifier(self) -> Notifier | None:
        """A notifier whose far end is down (a closed port), or None to skip that check."""
        return None

    @pytest.fixture
    def recipient(self, notifier: Notifier) -> str:
        """A valid recipient on the notifier's channel."""
        if notifier.channel not in DEFAULT_RECIPIENTS:
            raise NotImplementedError(f"override the 'recipient' fixture for {notifier.channel!r}")
        return DEFAULT_RECIPIENTS[notifier.channel]

    @pytest.fixture
    def make_message(self, notifier: Notifier, recipient: str) -> Callable[..., OutgoingMessage]:
        """Build a valid message for the notifier's channel; keyword arguments replace fields."""

        def make(**changes: object) -> OutgoingMessage:
            n = next(_counter)
            fields: dict[str, object] = {
                "key": f"inv_contract_{n}:invoice:1:{notifier.channel}",
                "channel": notifier.channel,
                "recipient": recipient,
                "subject": f"Invoice INV-{n:05d}",
                "text": f"Invoice INV-{n:05d}: 928.00 EUR due 15 March. Pay: https://pay.example.test/i/{n}",
                "url": f"https://pay.example.test/i/{n}",
                "seller_id": "sel_contract",
                "customer_id": "cus_contract",
                "kind": "invoice",
                "invoice_id": f"inv_contract_{n}",
                "data": {"number": f"INV-{n:05d}", "amount_due": "928.00", "currency": "EUR"},
            }
            fields.update(changes)
            return OutgoingMessage(**fields)  # type: ignore[arg-type]

        return make

    # ------------------------------------------------------------------ checks

    def test_channel_is_one_of_the_four(self, notifier: Notifier) -> None:
        """``channel`` is email, sms, webhook or in_app."""
        assert notifier.channel in CHANNELS

    def test_a_valid_message_arrives_once_with_its_text(
        self,
        notifier: Notifier,
        received: Callable[[], list[ReceivedMessage]],
        make_message: Callable[..., OutgoingMessage],
    ) -> None:
        """A valid message reaches the far end once, with its text, subject and a non-empty id."""
        message = make_message()
        delivery = notifier.send(message)
        assert delivery.key == message.key
        assert delivery.channel == notifier.channel
        assert not delivery.duplicate
        got = received()
        assert len(got) == 1
        assert got[0].id
        assert _normal(message.text) in _normal(got[0].text)
        if got[0].subject is not None:
            assert got[0].subject == message.subject

    def test_the_far_end_sees_an_id_derived_from_the_key(
        self,
        notifier: Notifier,
        received: Callable[[], list[ReceivedMessage]],
        make_message: Callable[..., OutgoingMessage],
    ) -> None:
        """The far end's id comes from the key: same key, same id (even rebuilt); other key, other id."""
        first = make_message()
        other = make_message()
        # The same key in a message built again (as after a crash): the id must not change.
        again = make_message(key=first.key, subject=first.subject, text=first.text)
        deliveries = [notifier.send(m) for m in (first, other, again)]
        ids = [r.id for r in received()]
        if deliveries[2].duplicate:
            assert len(ids) == len(deliveries) - 1, "a duplicate was reported but arrived"
            assert ids[0] != ids[1]
        else:
            assert len(ids) == len(deliveries)
            assert ids[0] == ids[2]
            assert ids[0] != ids[1]

    def test_sending_the_same_message_twice_is_recognisably_one_message(
        self,
        notifier: Notifier,
        received: Callable[[], list[ReceivedMessage]],
        make_message: Callable[..., OutgoingMessage],
    ) -> None:
        """Sent twice, a message is either deduplicated or arrives twice under one id."""
        message = make_message()
        sends = [notifier.send(message) for _ in range(2)]
        assert sends[1].key == message.key
        ids = [r.id for r in received()]
        assert len(ids) == (1 if sends[1].duplicate else len(sends))
        assert len(set(ids)) == 1

    @pytest.mark.parametrize("injection", _INJECTIONS, ids=["crlf", "lf", "cr"])
    @pytest.mark.parametrize("field", ["recipient", "subject"])
    def test_a_line_break_in_a_header_is_refused_and_nothing_arrives(
        self,
        notifier: Notifier,
        received: Callable[[], list[ReceivedMessage]],
        make_message: Callable[..., OutgoingMessage],
        field: str,
        injection: str,
    ) -> None:
        """CR or LF in the recipient or subject is refused for good and nothing arrives (T43)."""
        valid = make_message()
        message = make_message(**{field: getattr(valid, field) + injection})
        with pytest.raises((ValidationError, DeliveryError)) as caught:
            notifier.send(message)
        if isinstance(caught.value, DeliveryError):
            assert not caught.value.retryable, "a refused header must not be retried"
        assert received() == []

    def test_repr_shows_no_secret(self, notifier: Notifier, secrets: list[str]) -> None:
        """Neither repr nor str of the notifier shows a password or token (T42)."""
        shown = f"{notifier!r} {notifier!s}"
        for secret in secrets:
            assert secret not in shown

    def test_an_unreachable_far_end_is_a_retryable_delivery_error(
        self,
        unreachable_notifier: Notifier | None,
        make_message: Callable[..., OutgoingMessage],
        secrets: list[str],
    ) -> None:
        """A far end that is down gives a retryable DeliveryError that shows no secret."""
        if unreachable_notifier is None:
            pytest.skip("no unreachable_notifier for this adapter")
        with pytest.raises(DeliveryError) as caught:
            unreachable_notifier.send(make_message())
        assert caught.value.retryable
        for secret in secrets:
            assert secret not in str(caught.value)


def _normal(text: str) -> str:
    return " ".join(text.split())
