"""The child of the T29 test: ``python -m integration.collection_child DB SANDBOX ISO-NOW``.

Opens the SQLite books and the sandbox's SQLite state (shared with the parent, so its
charges survive the kill) with the fault points of ``INVOICEKIT_FAULT`` (a real SIGKILL
at the n-th hit of a point), and calls ``run_due`` once at the given moment.
"""

from __future__ import annotations

import sys
from datetime import datetime

import invoicekit as ik
from invoicekit.adapters.payments import SandboxPayments
from invoicekit.faults import FaultPoints
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer

SECRETS = ["whsec_" + "bmV3LXNlY3JldC1uZXctc2VjcmV0LTAx"]


def sandbox(path: str, clock: FixedClock) -> SandboxPayments:
    """The sandbox every process of the test shares (its state in ``path``)."""
    return SandboxPayments(
        base_url="https://shop.example/pay",
        webhook_url="https://shop.example/hooks",
        secrets=SECRETS,
        clock=clock,
        path=path,
    )


def main(argv: list[str]) -> int:
    books, state, iso = argv
    now = datetime.fromisoformat(iso)
    clock = FixedClock(now)
    with ik.Billing.sqlite(
        books,
        clock=clock,
        faults=FaultPoints.from_env(),
        notifiers=[MemoryNotifier(channel="email")],
        renderer=MemoryRenderer(),
        payments=[sandbox(state, clock)],
    ) as billing:
        billing.run_due(now)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
