"""E-invoice reading: ``read()`` of a 10-line invoice against bare lxml and one walk.

The document is the 10-line invoice of ``bench_einvoice.py`` exported as UBL
(EN 16931) and as CII. ``read`` parses through the hardened parser, maps every term
into the model, builds the Invoice through its public constructors and recomputes
the sums under each rounding convention until one reproduces them. The floor parses
the same bytes with ``lxml.etree.fromstring`` and visits every element once, reading
its tag, text and attributes. Ratios only; no assertions on time (goal <= 5x).
Usage: ``python benchmarks/bench_einvoice_read.py [--quick]``.
"""

from __future__ import annotations

import sys
import time
import timeit
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_einvoice import make_invoice  # noqa: E402 - after sys.path

from invoicekit.einvoice import read, to_cii, to_ubl  # noqa: E402

#: ``--quick``: one call per figure (a smoke test, no meaningful figures).
QUICK = "--quick" in sys.argv
GOAL = 5.0


def floor(xml: bytes) -> int:
    """Parse with bare lxml and walk every element once (tag, text, attributes)."""
    root = etree.fromstring(xml)
    seen = 0
    for node in root.iter():
        seen += len(node.tag) if isinstance(node.tag, str) else 0
        seen += len(node.text or "") + len(node.attrib)
    return seen


def per_call(fn: object) -> float:
    """Best-of-5 CPU seconds per call (other jobs' time left out), about a second each."""
    timer = timeit.Timer(fn, timer=time.process_time)  # type: ignore[arg-type]
    if QUICK:
        return min(timer.repeat(repeat=1, number=1))
    number, _ = timer.autorange()
    number = max(1, number * 5)
    return min(timer.repeat(repeat=5, number=number)) / number


def main() -> int:
    """Print read and floor times per syntax with their ratio; exit 0."""
    invoice = make_invoice()
    documents = {"UBL (EN 16931)": to_ubl(invoice, "en16931"), "CII (EN 16931)": to_cii(invoice)}
    print(
        f"read a {len(invoice.lines)}-line invoice vs bare lxml parse + one walk (goal <= {GOAL}x)"
    )
    print(f"  {'syntax':<15} {'read':>10} {'floor':>10} {'read/s':>8} {'ratio':>6}")
    for name, xml in documents.items():
        result = read(xml)
        if not result.totals_match or result.warnings:
            raise SystemExit(f"the {name} document does not read cleanly: fix it before timing")
        ours = per_call(lambda xml=xml: read(xml))
        base = per_call(lambda xml=xml: floor(xml))
        print(
            f"  {name:<15} {ours * 1e6:>8.0f}µs {base * 1e6:>8.0f}µs "
            f"{1 / ours:>8.0f} {ours / base:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
