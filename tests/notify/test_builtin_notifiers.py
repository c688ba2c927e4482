"""The in-app inbox and the folder notifier pass the Notifier contract like the network ones."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import attrs
import pytest

from invoicekit.adapters.notify.files import FileNotifier
from invoicekit.adapters.notify.inbox import InAppNotifier
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.ports import Notifier, OutgoingMessage, Storage
from invoicekit.testing import FixedClock
from invoicekit.testing.contracts import NotifierContract, ReceivedMessage

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class TestInAppNotifier(NotifierContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Storage:
        return SqliteStorage.open(tmp_path / "inbox.db")

    @pytest.fixture
    def notifier(self, storage: Storage) -> Notifier:
        return InAppNotifier(storage, FixedClock(AT))

    @pytest.fixture
    def received(self, storage: Storage) -> object:
        def read() -> list[ReceivedMessage]:
            with storage.transaction(write=False) as tx:
                items = tx.inbox.list("sel_contract", "cus_contract", limit=1000)
            return [ReceivedMessage(i.key, i.customer_id, i.text, i.title) for i in reversed(items)]

        return read

    @pytest.fixture
    def unreachable_notifier(self, tmp_path: Path) -> Notifier:
        closed = SqliteStorage.open(tmp_path / "closed.db")
        closed.close()
        return InAppNotifier(closed, FixedClock(AT))


class TestFileNotifierEmail(NotifierContract):
    @pytest.fixture
    def notifier(self, tmp_path: Path) -> Notifier:
        return FileNotifier(tmp_path / "out", channel="email", clock=FixedClock(AT))

    @pytest.fixture
    def unreachable_notifier(self, tmp_path: Path) -> Notifier:
        blocker = tmp_path / "a-file"
        blocker.write_text("a folder cannot be made below a file")
        return FileNotifier(blocker / "out", channel="email", clock=FixedClock(AT))

    @pytest.fixture
    def received(self, tmp_path: Path) -> object:
        def read() -> list[ReceivedMessage]:
            found = []
            for path in sorted((tmp_path / "out").glob("*.eml")):
                mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
                body = mail.get_body(("plain",))
                text = "" if body is None else body.get_content()  # type: ignore[union-attr]
                found.append(ReceivedMessage(mail["Message-ID"], mail["To"], text, mail["Subject"]))
            return found

        return read


class TestFileNotifierSms(NotifierContract):
    @pytest.fixture
    def notifier(self, tmp_path: Path) -> Notifier:
        return FileNotifier(tmp_path / "out", channel="sms", clock=FixedClock(AT))

    @pytest.fixture
    def unreachable_notifier(self, tmp_path: Path) -> Notifier:
        blocker = tmp_path / "a-file"
        blocker.write_text("a folder cannot be made below a file")
        return FileNotifier(blocker / "out", channel="sms", clock=FixedClock(AT))

    @pytest.fixture
    def received(self, tmp_path: Path) -> object:
        def read() -> list[ReceivedMessage]:
            docs = [json.loads(p.read_text()) for p in sorted((tmp_path / "out").glob("*.json"))]
            return [
                ReceivedMessage(d["key"], d["recipient"], d["text"], d["subject"]) for d in docs
            ]

        return read


def test_file_notifier_keeps_two_sellers_messages_with_one_key(tmp_path: Path) -> None:
    # Keys are unique per seller: two sellers' invoices may share an id (an order number).
    notifier = FileNotifier(tmp_path / "out", channel="sms", clock=FixedClock(AT))
    message = OutgoingMessage(
        key="order-1042:invoice:1:sms",
        channel="sms",
        recipient="+4930123456",
        subject="Invoice",
        text="Invoice order-1042",
        seller_id="sel_a",
        customer_id="cus_1",
        kind="invoice",
        invoice_id="order-1042",
    )
    first = notifier.send(message)
    second = notifier.send(attrs.evolve(message, seller_id="sel_b"))
    again = notifier.send(message)
    assert (first.duplicate, second.duplicate, again.duplicate) == (False, False, True)
    assert len(list((tmp_path / "out").glob("*.json"))) == 2
