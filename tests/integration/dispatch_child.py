"""A dispatcher in a process of its own, for the crash test of delivery (T30).

``python -m integration.dispatch_child STORE PORT SELLER [LEASE]`` opens STORE (a
SQLite file, or a database URL) with the fault points armed from
``$INVOICEKIT_FAULT``, prints ``ready``, and delivers queued messages to the SMTP
server on 127.0.0.1:PORT until none is left (a message left ``sending`` by a
killed predecessor is delivered once its lease, ``LEASE`` seconds, has passed).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Final

import invoicekit as ik
from invoicekit.adapters.notify.smtp import SmtpNotifier
from invoicekit.faults import FaultPoints
from invoicekit.ports import MessageStatus
from invoicekit.testing import MemoryRenderer

LEASE: Final = timedelta(seconds=1)
SENDER: Final = "billing@northwind.example"
TESTS: Final = Path(__file__).resolve().parents[1]


def open_billing(
    store: Path | str,
    port: int,
    *,
    faults: FaultPoints | None = None,
    lease: timedelta = LEASE,
) -> ik.Billing:
    """The billing a dispatcher process works with: worker dispatch, real SMTP."""
    notifier = SmtpNotifier("127.0.0.1", port, sender=SENDER, security="none", timeout=10)
    options = {
        "notifiers": [notifier],
        "renderer": MemoryRenderer(),
        "dispatch": "worker",
        "lease": lease,
        "faults": faults,
    }
    if isinstance(store, str) and "://" in store:
        return ik.Billing.from_url(store, **options)
    return ik.Billing.sqlite(store, **options)


def child_env(fault: str | None = None) -> dict[str, str]:
    """The environment of a dispatcher process: ``tests`` importable, faults armed or not."""
    env = {k: v for k, v in os.environ.items() if k != "INVOICEKIT_FAULT"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    if fault is not None:
        env["INVOICEKIT_FAULT"] = fault
    return env


def command(
    store: Path | str, port: int, seller_id: str, lease_seconds: float | None = None
) -> list[str]:
    """The command line of a dispatcher process (``python -m integration.dispatch_child ...``)."""
    lease = [] if lease_seconds is None else [str(lease_seconds)]
    return [
        sys.executable,
        "-m",
        "integration.dispatch_child",
        str(store),
        str(port),
        seller_id,
        *lease,
    ]


def unfinished(billing: ik.Billing, seller_id: str) -> int:
    """How many of the seller's messages are queued or sending."""
    pending = (MessageStatus.QUEUED, MessageStatus.SENDING)
    return len(billing.seller(seller_id).messages.list(status=pending, limit=100_000))


def main() -> None:
    store, port, seller_id = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    lease = timedelta(seconds=float(sys.argv[4])) if len(sys.argv) > 4 else LEASE
    target = store if "://" in store else Path(store)
    billing = open_billing(target, port, faults=FaultPoints.from_env(), lease=lease)
    print("ready", flush=True)  # noqa: T201 - the parent waits for this line
    deadline = time.monotonic() + 60
    while unfinished(billing, seller_id) and time.monotonic() < deadline:
        if billing.dispatch(limit=1000).count == 0:
            time.sleep(0.1)  # a killed predecessor's lease has not expired yet
    billing.close()


if __name__ == "__main__":
    main()
