"""Building the values of a 10-line invoice and its totals, against py-invoices (pydantic).

Both build the same ten lines (integer quantities, prices with cents, VAT 19 % and
7 %) with full validation and compute net, tax and gross; the totals are checked to
agree before timing. Best of 5 repeats, both in the same run. Without py-invoices
installed only invoicekit's figures are given, with how to install the peer.

Run: ``python benchmarks/bench_values.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_totals import per_call as timed

from invoicekit.domain.line import Line
from invoicekit.domain.tax import Tax, TaxCategory, Vat
from invoicekit.domain.totals import compute_totals

PEER = "py-invoices"
#: py-invoices 4 and 5 need Python >= 3.14; 3.0.0 is the newest for older Pythons.
INSTALL = f"pip install {PEER}  (5.0.2 on Python >= 3.14, 3.0.0 before)"

Row = tuple[int, str, str]


def make_rows(n: int = 10) -> list[Row]:
    """``n`` lines of (quantity, unit price, VAT rate), rates alternating 7 % and 19 %."""
    return [(1 + i % 7, f"{10 + i}.{(i * 37) % 100:02d}", "19" if i % 2 else "7") for i in range(n)]


def invoicekit_build(rows: list[Row], number: Callable[[str], Any]) -> Callable[[], Any]:
    """Build the lines (each with its Vat) and compute the totals; ``number`` makes the inputs."""
    given = [(f"item {i}", number(str(q)), number(p), r) for i, (q, p, r) in enumerate(rows)]

    def build() -> tuple[Decimal, Decimal, Decimal]:
        lines = [Line(d, quantity=q, unit_price=p, tax=Vat(r)) for d, q, p, r in given]
        totals = compute_totals("EUR", lines)
        return totals.tax_exclusive, totals.tax_total, totals.tax_inclusive

    return build


def peer_build(rows: list[Row], number: Callable[[str], Any]) -> Callable[[], Any] | None:
    """The same in py-invoices: InvoiceLine models, the Invoice, invoice_totals; None if absent."""
    try:
        from py_invoices.core.totals import invoice_totals
        from pydantic_invoices.schemas import Invoice, InvoiceLine
        from pydantic_invoices.vo import Money
    except ImportError:
        return None
    given = [(i + 1, f"item {i}", q, number(p), float(r)) for i, (q, p, r) in enumerate(rows)]

    def build() -> tuple[Decimal, Decimal, Decimal]:
        lines = [
            InvoiceLine(
                id=k,
                invoice_id=1,
                description=d,
                quantity=q,
                unit_price=Money(p, "EUR"),
                tax_rate=r,
            )
            for k, d, q, p, r in given
        ]
        invoice = Invoice(
            id=1, number="1", client_id=1, issue_date=date(2026, 1, 1), due_date=None, lines=lines
        )
        totals = invoice_totals(invoice)
        return totals.net.amount, totals.tax.amount, totals.gross.amount

    return build


def peer_version() -> str | None:
    """The installed py-invoices version, or None."""
    try:
        return metadata.version(PEER)
    except metadata.PackageNotFoundError:
        return None


def run(*, quick: bool = False) -> dict[str, Any]:
    """Time each case; the peer's figures are None when it is not installed.

    ``quick`` times each case for a fraction of the time (a smoke test, not a figure).
    """
    seconds = 0.02 if quick else 0.4

    def per_call(fn: Any) -> float:
        return timed(fn, seconds=seconds)

    rows = make_rows()
    cases: list[dict[str, Any]] = []
    for label, number in (("Decimal inputs", Decimal), ("str inputs", str)):
        ours = invoicekit_build(rows, number)
        theirs = peer_build(rows, number)
        if theirs is not None and ours() != theirs():
            raise RuntimeError(f"totals disagree: {ours()} != {theirs()}")
        ik = per_call(ours)
        peer = per_call(theirs) if theirs is not None else None
        cases.append({"case": label, "invoicekit_us": ik * 1e6, "peer_us": _us(peer)})
    tax = Vat("19")
    q, p = Decimal(3), Decimal("12.50")
    ten = [Line("x", quantity=q, unit_price=p, tax=tax)] * 10
    parts = {
        "one Line (Decimal inputs, a Vat given)": per_call(
            lambda: Line("item", quantity=q, unit_price=p, tax=tax)
        ),
        "one Line (str inputs)": per_call(
            lambda: Line("item", quantity="3", unit_price="12.50", tax=tax)
        ),
        "Vat('19') (kept after the first)": per_call(lambda: Vat("19")),
        "Tax(S, '19') (built afresh)": per_call(lambda: Tax(TaxCategory.STANDARD, "19")),
        "compute_totals of 10 lines": per_call(lambda: compute_totals("EUR", ten)),
    }
    return {
        "peer": peer_version(),
        "cases": cases,
        "parts_us": {name: seconds * 1e6 for name, seconds in parts.items()},
    }


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e6


def report(result: dict[str, Any]) -> None:
    """Print the cases and the parts."""
    peer = result["peer"]
    print(f"10 lines with their Vat + totals; peer: {PEER} {peer or '(not installed)'}")
    print(f"{'case':<16} {'invoicekit µs':>14} {'peer µs':>8} {'ratio':>6}")
    for row in result["cases"]:
        ik, other = row["invoicekit_us"], row["peer_us"]
        if other is None:
            print(f"{row['case']:<16} {ik:>14.1f} {'-':>8} {'-':>6}")
        else:
            print(f"{row['case']:<16} {ik:>14.1f} {other:>8.1f} {ik / other:>6.2f}")
    if peer is None:
        print(f"(to compare with the peer: {INSTALL})")
    for name, us in result["parts_us"].items():
        print(f"  {name:<42} {us:>7.2f} µs")


if __name__ == "__main__":
    report(run(quick="--quick" in sys.argv))
