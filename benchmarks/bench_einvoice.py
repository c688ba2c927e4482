"""E-invoice export: a 10-line invoice as UBL and CII against a bare lxml floor, and Factur-X.

* UBL (Peppol BIS 3.0) and CII (EN 16931): ``to_ubl`` / ``to_cii`` (profile check, the
  BT view of the frozen invoice, the tree, serialization) against a floor that builds the
  SAME element tree with straight-line ``etree.SubElement`` calls from precomputed strings
  and serializes it the same way. The floor's code is generated once from our output
  before timing (one ``SubElement`` line per element, literals only: what a hand-written
  builder would do); its bytes are checked equal to ours before timing.
* Factur-X: ``to_facturx`` (PDF/A-3b + embedded CII + XMP) against the plain WeasyPrint
  PDF of the same invoice from ``TemplateRenderer``, and against the PDF/A-3b alone.

Ratios only; no assertions on time. Usage: ``python benchmarks/bench_einvoice.py``.
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from einvoice.export_cases import invoice_of  # noqa: E402 - after sys.path
from golden import load_cases  # noqa: E402
from invoicekit.adapters.render import TemplateRenderer  # noqa: E402
from invoicekit.domain.invoice import Invoice  # noqa: E402
from invoicekit.domain.line import Line, ServicePeriod  # noqa: E402
from invoicekit.domain.tax import Vat  # noqa: E402
from invoicekit.einvoice import to_cii, to_facturx, to_ubl  # noqa: E402
from invoicekit.einvoice.facturx import PDF_VARIANT  # noqa: E402

LINES = 10


def make_invoice(n: int = LINES) -> Invoice:
    """An issued EUR invoice with ``n`` lines at 19 % and 7 %, units and service periods."""
    case = dict(load_cases())["eur_19_basic"]
    period = ServicePeriod(date(2026, 2, 1), date(2026, 2, 28))
    lines = [
        Line(
            description=f"Service item {i}",
            quantity=str(1 + i % 3),
            unit_price=f"{10 + i}.50",
            tax=Vat("19" if i % 2 else "7"),
            unit="hour" if i % 2 else "H87",
            period=period,
        )
        for i in range(n)
    ]
    return invoice_of(case, lines=lines)


def floor_builder(xml: bytes) -> Callable[[], bytes]:
    """A function building ``xml``'s element tree with one ``SubElement`` call per element.

    The code is generated from the parsed document, so every tag, attribute and text is
    a literal; running it does no lookups beyond lxml's own.
    """
    root = etree.fromstring(xml)
    out = [
        "def build():",
        f"    e0 = Element({root.tag!r}, {dict(root.attrib)!r}, nsmap={dict(root.nsmap)!r})",
    ]
    if root.text is not None:
        out.append(f"    e0.text = {root.text!r}")
    count = 0

    def walk(node: Any, name: str) -> None:
        nonlocal count
        for child in node:
            count += 1
            var = f"e{count}"
            attrib = f", {dict(child.attrib)!r}" if child.attrib else ""
            out.append(f"    {var} = SubElement({name}, {child.tag!r}{attrib})")
            if child.text is not None:
                out.append(f"    {var}.text = {child.text!r}")
            walk(child, var)

    walk(root, "e0")
    out.append('    return tostring(e0, xml_declaration=True, encoding="UTF-8")')
    scope: dict[str, Any] = {
        "Element": etree.Element,
        "SubElement": etree.SubElement,
        "tostring": etree.tostring,
    }
    exec(compile("\n".join(out), "<floor>", "exec"), scope)  # noqa: S102 - our own generated code
    build: Callable[[], bytes] = scope["build"]
    return build


#: ``--quick``: one call per figure (a smoke test, no meaningful figures).
QUICK = "--quick" in sys.argv


def per_call(fn: Callable[[], object], *, seconds: float = 1.0, repeat: int = 5) -> float:
    """Best-of-``repeat`` seconds per call, the loop sized to run about ``seconds`` each."""
    timer = timeit.Timer(fn)
    if QUICK:
        return min(timer.repeat(repeat=1, number=1))
    number, elapsed = timer.autorange()
    number = max(1, int(number * seconds / max(elapsed, 1e-9)))
    return min(timer.repeat(repeat=repeat, number=number)) / number


def xml_rows(invoice: Invoice) -> list[dict[str, Any]]:
    """Exports/s of each syntax and of its lxml floor, checked byte-identical first."""
    rows = []
    exports: dict[str, Callable[[], bytes]] = {
        "UBL (peppol)": lambda: to_ubl(invoice, "peppol"),
        "CII (en16931)": lambda: to_cii(invoice),
    }
    for syntax, export in exports.items():
        ours = export()
        floor = floor_builder(ours)
        if floor() != ours:
            raise SystemExit(f"{syntax}: the floor's bytes differ from ours; fix the floor")
        elements = sum(1 for _ in etree.fromstring(ours).iter())
        lib = per_call(export)
        base = per_call(floor)
        rows.append(
            {
                "syntax": syntax,
                "elements": elements,
                "bytes": len(ours),
                "lib_us": lib * 1e6,
                "floor_us": base * 1e6,
                "lib_per_s": 1 / lib,
                "floor_per_s": 1 / base,
                "ratio": lib / base,
            }
        )
    return rows


def pdf_rows(invoice: Invoice) -> list[dict[str, Any]]:
    """Seconds per document: plain WeasyPrint PDF, PDF/A-3b alone, and the Factur-X PDF."""
    plain = TemplateRenderer()
    pdfa = TemplateRenderer(pdf_options={"pdf_variant": PDF_VARIANT})
    cases: dict[str, Callable[[], bytes]] = {
        "plain PDF (TemplateRenderer)": lambda: (
            plain.render("invoice", invoice, media_type="application/pdf").content
        ),
        f"PDF/A-3b alone ({PDF_VARIANT})": lambda: (
            pdfa.render("invoice", invoice, media_type="application/pdf").content
        ),
        "Factur-X (to_facturx)": lambda: to_facturx(invoice, renderer=pdfa),
    }
    rows = []
    for name, make in cases.items():
        size = len(make())  # warm up: fonts, templates, compiled schemas
        seconds = per_call(make, seconds=2.0, repeat=3)
        rows.append({"document": name, "bytes": size, "ms": seconds * 1000, "per_s": 1 / seconds})
    return rows


def main() -> int:
    """Print the XML and PDF tables; exit 0."""
    invoice = make_invoice()
    rows = xml_rows(invoice)
    print(f"export of a {LINES}-line invoice vs a bare lxml build + serialization of the same tree")
    print(
        f"  {'syntax':<14} {'elements':>8} {'bytes':>6} {'ours µs':>8} {'floor µs':>9} "
        f"{'ours /s':>8} {'floor /s':>9} {'ratio':>6}"
    )
    for r in rows:
        print(
            f"  {r['syntax']:<14} {r['elements']:>8} {r['bytes']:>6} {r['lib_us']:>8.0f} "
            f"{r['floor_us']:>9.0f} {r['lib_per_s']:>8.0f} {r['floor_per_s']:>9.0f} "
            f"{r['ratio']:>6.2f}"
        )
    base = None
    print(f"Factur-X of the same {LINES}-line invoice")
    print(f"  {'document':<30} {'bytes':>7} {'ms':>7} {'per s':>6} {'vs plain':>8}")
    for r in pdf_rows(invoice):
        base = base or r["ms"]
        print(
            f"  {r['document']:<30} {r['bytes']:>7} {r['ms']:>7.1f} {r['per_s']:>6.1f} "
            f"{r['ms'] / base:>8.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
