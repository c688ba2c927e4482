"""Every script in examples/ runs in a fresh interpreter and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _run(script: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
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
