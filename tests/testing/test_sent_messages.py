"""``SentMessages``: recording across channels in order, finding by recipient and kind, failing readably."""

from __future__ import annotations

import pytest

from invoicekit.errors import ValidationError
from invoicekit.ports import OutgoingMessage
from invoicekit.testing import SentMessages

GLOBEX = "ap@globex.example"


def message(
    n: int, channel: str = "email", kind: str = "invoice", to: str = GLOBEX
) -> OutgoingMessage:
    return OutgoingMessage(
        key=f"inv_{n}:{kind}:1:{channel}",
        channel=channel,
        recipient=to,
        subject=f"{kind} {n}",
        text="",
        seller_id="sel_1",
        kind=kind,
    )


def sending(*messages: OutgoingMessage) -> SentMessages:
    sent = SentMessages()
    channels = {n.channel: n for n in sent.notifiers}
    for m in messages:
        channels[m.channel].send(m)
    return sent


def test_the_channels_share_one_list_in_the_order_sent() -> None:
    sent = sending(message(1), message(1, "sms", to="+4930901820"), message(2, kind="reminder"))

    assert [n.channel for n in sent.notifiers] == ["email", "sms", "webhook"]
    assert [m.subject for m in sent] == ["invoice 1", "invoice 1", "reminder 2"]
    assert len(sent) == 3


def test_to_finds_by_recipient_kind_and_channel() -> None:
    sent = sending(
        message(1), message(2, kind="reminder"), message(3, to="billing@initech.example")
    )

    assert [m.subject for m in sent.to(GLOBEX)] == ["invoice 1", "reminder 2"]
    assert [m.subject for m in sent.to(GLOBEX, kind="reminder")] == ["reminder 2"]
    assert sent.to(GLOBEX, channel="sms") == []


def test_assert_sent_returns_what_it_found() -> None:
    sent = sending(message(1), message(2))

    assert [m.subject for m in sent.assert_sent(GLOBEX, kind="invoice", count=2)] == [
        "invoice 1",
        "invoice 2",
    ]


def test_the_failure_lists_what_was_sent() -> None:
    sent = sending(message(1), message(2, "webhook", "receipt", to=""))

    with pytest.raises(AssertionError) as failed:
        sent.assert_sent(GLOBEX, kind="reminder", channel="email")

    assert str(failed.value) == (
        "expected a reminder to ap@globex.example by email, found 0; sent:\n"
        "  1. email invoice to ap@globex.example: 'invoice 1'\n"
        "  2. webhook receipt to (default URL): 'receipt 2'"
    )


def test_a_count_that_differs_fails_naming_both_counts() -> None:
    sent = sending(message(1), message(2))

    with pytest.raises(
        AssertionError, match=r"^expected 0 invoices to ap@globex\.example, found 2;"
    ):
        sent.assert_sent(GLOBEX, kind="invoice", count=0)
    with pytest.raises(AssertionError, match=r"^expected an invoice to x@y\.example, found 0;"):
        sent.assert_sent("x@y.example", kind="invoice")


def test_when_nothing_was_sent_the_failure_says_where_failed_messages_are() -> None:
    with pytest.raises(AssertionError, match=r"nothing was sent \(failed messages are in books"):
        SentMessages().assert_sent(GLOBEX)


def test_clear_forgets_so_a_resent_key_is_recorded_again() -> None:
    sent = sending(message(1))
    sent.clear()
    email = sent.notifiers[0]

    assert not email.send(message(1)).duplicate
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.to(GLOBEX, kind="reminders"), "kind"),
        (lambda s: s.to(None), "recipient"),
        (lambda s: s.to(GLOBEX, channel=["email"]), "channel"),
        (lambda s: s.assert_sent(GLOBEX, count=-1), "count"),
        (lambda s: s.assert_sent(GLOBEX, count=True), "count"),
    ],
)
def test_bad_arguments_are_validation_errors_naming_the_field(call, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        call(sending(message(1)))

    assert [p.path for p in refused.value.problems] == [field]
