"""T29: a process killed (``kill -9``) between the provider's charge and our commit.

The sandbox has taken the money and its notice is being received when the receiving
process dies at ``before_commit`` (nothing of the notice is stored) or at
``after_commit`` (stored, but the provider never got its 2xx). The provider delivers
again: the payment is recorded exactly once either way (``INVOICEKIT_T29_RUNS`` runs each,
default 5).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import invoicekit as ik
from billing_fixtures import line
from payments.notices import body_of
from payments.webhook_workers import open_billing, sandbox

TESTS = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("INVOICEKIT_T29_RUNS", "5"))


def _child_env(fault: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "INVOICEKIT_FAULT"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    env["INVOICEKIT_FAULT"] = fault
    return env


def _store(path: Path) -> tuple[str, Path]:
    """A seller with one issued invoice, and the file holding its success notice."""
    with open_billing(path) as billing:
        billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
        books = billing.seller("s1")
        books.customers.create(id="c1", name="Globex", email="ap@globex.example")
        invoice = books.invoices.issue(books.invoices.draft(customer_id="c1", lines=[line()]).id)
    event = body_of("evt_charge", "payment.succeeded", invoice_id=invoice.id)
    body, headers = sandbox().signed(event, at=datetime.now(UTC))
    deliveries = path.with_suffix(".json")
    deliveries.write_text(json.dumps([[body.decode(), headers]]), encoding="utf-8")
    return invoice.id, deliveries


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_t29_a_kill_during_intake_records_the_payment_once(tmp_path: Path, point: str) -> None:
    for run in range(RUNS):
        path = tmp_path / f"{point}-{run}.sqlite"
        invoice_id, deliveries = _store(path)
        child = subprocess.run(
            [sys.executable, "-m", "payments.webhook_workers", str(path), str(deliveries)],
            env=_child_env(f"{point}:1"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr
        with open_billing(path) as billing:
            books = billing.seller("s1")
            before = books.invoices.get(invoice_id)
            expected_before = 0 if point == "before_commit" else 1
            assert len(before.payments) == expected_before
            [[body, headers]] = json.loads(deliveries.read_text(encoding="utf-8"))
            again = billing.webhooks.receive("sandbox", body.encode(), headers)
            assert again.outcome == ("recorded" if point == "before_commit" else "duplicate")
            again = billing.webhooks.receive("sandbox", body.encode(), headers)
            assert again.outcome == "duplicate"
            paid = books.invoices.get(invoice_id)
            assert (paid.status, len(paid.payments)) == (ik.Status.PAID, 1)
