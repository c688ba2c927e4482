"""A process that runs one event handler over a SQLite store, for the crash test.

``python -m integration.events_child STORE LOG [KILL_AT]``: registers the handler
``crm`` for ``invoice.issued``, which appends the notice id to LOG (flushed and
synced: the handler's side effect). With KILL_AT (1-based), the process kills
itself with SIGKILL right after that call's side effect, before the cursor moves:
a crash mid-handler. Without it, it dispatches until nothing is left.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import invoicekit as ik


def main(store: str, log: str, kill_at: int | None) -> None:
    """Run the handler once over everything new; die at call ``kill_at`` if given."""
    calls = 0

    def crm(notice: ik.EventNotice) -> None:
        nonlocal calls
        calls += 1
        with Path(log).open("a", encoding="utf-8") as out:
            out.write(f"{notice.id}\n")
            out.flush()
            os.fsync(out.fileno())
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    with ik.Billing.sqlite(store) as billing:
        billing.on("invoice.issued", crm, name="crm")
        while billing.dispatch_events(limit=10).called:
            pass


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
