"""Every script in examples/ runs in a fresh interpreter and prints what it promises."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _run(script: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in ``cwd`` (a fresh temporary folder by default: examples write files)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    if cwd is None:
        cwd = Path(tempfile.mkdtemp(prefix="example-"))
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_there_are_examples() -> None:
    assert any(p.name == "first_invoice.py" for p in EXAMPLES)


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path) -> None:
    result = _run(script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), f"{script.name} printed nothing"


def test_first_invoice_prints_invoice_and_explanation() -> None:
    out = _run(ROOT / "examples" / "first_invoice.py").stdout
    assert "Invoice INV-2026-00001 for Globex GmbH" in out
    assert "total 1230.71 EUR, paid 500.00, due 730.71: partially_paid" in out
    assert "BT-112 total with tax          1230.71" in out
    assert "Rounding steps (4):" in out
    assert "line 3 base: 9.9567 -> 9.96 (+0.0033; half_up)" in out


def test_first_invoice_computes_what_the_tutorial_shows() -> None:
    page = (ROOT / "docs" / "tutorial" / "first-invoice.md").read_text(encoding="utf-8")
    shown = page.split("```text\n", 1)[1].split("```", 1)[0]
    assert shown.startswith("Totals in EUR")
    assert shown in _run(ROOT / "examples" / "first_invoice.py").stdout


#: An amount below one euro: "0,01 €", "€0.00" (not the end of "10,00").
CENTS = re.compile(r"(?<![\d.,])0[.,]\d\d")
ZERO = re.compile(r"(?<![\d.,])0[.,]00")
#: The demo's simulated six months end before this.
END_OF_DEMO = datetime(2026, 7, 1, tzinfo=UTC)


def test_the_demo_bills_six_months_and_leaves_documents_and_messages(tmp_path: Path) -> None:
    result = _run(ROOT / "examples" / "small_business.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "demo-output"
    assert "24 invoices over 6 months" in result.stdout
    assert "failed messages: 0" in result.stdout
    assert len(list((out / "invoices").glob("*.html"))) == 24
    emails = list((out / "outbox" / "email").glob("*.eml"))
    kinds = {p.name.split("-")[0] for p in emails}
    assert {"invoice", "receipt", "reminder", "final_notice", "credit_note"} <= kinds
    assert list((out / "outbox" / "sms").glob("*.json"))
    assert list((out / "outbox" / "webhook").glob("*.json"))
    for path in emails:
        sent = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert sent["From"] == "Northwind Studio <billing@northwind.example>", path.name
        assert "  " not in sent["Subject"], sent["Subject"]
        assert sent["Date"].datetime < END_OF_DEMO, sent["Date"]  # the simulated clock
        if path.name.startswith(("reminder", "final_notice")):  # not for cents: 1.00 minimum
            assert not CENTS.search(sent["Subject"]), sent["Subject"]
    titles = [
        re.search(r"<title>(.*)</title>", p.read_text()).group(1)  # type: ignore[union-attr]
        for p in (out / "invoices").glob("*.html")
    ]
    assert any(t.endswith(": vollständig bezahlt") for t in titles), titles  # Globex pays
    assert not [t for t in titles if ZERO.search(t)], titles  # never "0,00 € due"


def test_send_invoice_reaches_every_channel_once(tmp_path: Path) -> None:
    result = _run(ROOT / "examples" / "send_invoice.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "4 messages: email sent, sms sent, webhook sent, in_app sent" in out
    assert "invoice-INV-2026-00001.pdf" in out
    assert "signature verified" in out
    assert "each recipient saw each message once" in out
