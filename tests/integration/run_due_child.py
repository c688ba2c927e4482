"""The child of the T28 run_due test: ``python -m integration.run_due_child DB ISO-NOW``.

Opens the SQLite file with the fault points of ``INVOICEKIT_FAULT`` (a real SIGKILL at
the n-th hit of a point) and calls ``run_due`` once at the given moment.
"""

from __future__ import annotations

import sys
from datetime import datetime

import invoicekit as ik
from invoicekit.faults import FaultPoints
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer


def main(argv: list[str]) -> int:
    path, iso = argv
    now = datetime.fromisoformat(iso)
    with ik.Billing.sqlite(
        path,
        clock=FixedClock(now),
        faults=FaultPoints.from_env(),
        notifiers=[MemoryNotifier(channel="email")],
        renderer=MemoryRenderer(),
    ) as billing:
        billing.run_due(now)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
