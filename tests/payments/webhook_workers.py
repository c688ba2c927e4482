"""Code that runs in other processes for the webhook tests (T17 processes, T29 crashes).

Run as a script (``python -m payments.webhook_workers DB DELIVERIES``) it opens the
SQLite file with the fault points armed from ``$INVOICEKIT_FAULT`` and hands each
delivery of the JSON file (body and headers) to ``billing.webhooks.receive``, printing
each outcome. ``deliver_all`` does the same in a ``multiprocessing`` worker.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

import invoicekit as ik
from invoicekit.adapters.payments import SandboxPayments
from invoicekit.errors import ConcurrencyError
from invoicekit.faults import FaultPoints

__all__ = ["SECRETS", "deliver_all", "open_billing"]

SECRETS: Final = ["whsec_" + "d29ya2VyLXNlY3JldC13b3JrZXItc2VjcmV0"]


def sandbox() -> SandboxPayments:
    """The sandbox every process reads notices with (one secret, real time)."""
    return SandboxPayments(
        base_url="http://127.0.0.1:9/pay", webhook_url="http://127.0.0.1:9/none", secrets=SECRETS
    )


def open_billing(path: str | Path, *, faults: FaultPoints | None = None) -> ik.Billing:
    """A Billing on the SQLite file, paid through the sandbox."""
    return ik.Billing.sqlite(path, payments=sandbox(), faults=faults)


def deliver_all(path: str, deliveries: list[tuple[str, dict[str, str]]]) -> list[str]:
    """Receive every (body, headers); the outcomes, retrying a busy database."""
    outcomes: list[str] = []
    with open_billing(path) as billing:
        for body, headers in deliveries:
            for _ in range(20):
                try:
                    result = billing.webhooks.receive("sandbox", body.encode(), headers)
                except ConcurrencyError:
                    continue
                outcomes.append(result.outcome)
                break
            else:
                outcomes.append("busy")
    return outcomes


def main(argv: list[str]) -> int:
    """``DB DELIVERIES``: receive each delivery of the JSON file, faults from the environment."""
    path, deliveries_file = argv
    deliveries: list[Any] = json.loads(Path(deliveries_file).read_text(encoding="utf-8"))
    with open_billing(path, faults=FaultPoints.from_env()) as billing:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        for body, headers in deliveries:
            result = billing.webhooks.receive("sandbox", body.encode(), headers)
            sys.stdout.write(f"{result.outcome}\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
