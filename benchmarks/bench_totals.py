"""Totals of an invoice against a hand-written Decimal computation of the same figures.

The floor is the least work that gives the same numbers: quantize each line,
sum per VAT rate, round the tax once per rate, add up. The ratio library/floor
is what we track; absolute times depend on the machine.
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from invoicekit.domain.line import Line
from invoicekit.domain.tax import Vat
from invoicekit.domain.totals import compute_totals

CENT = Decimal("0.01")


def make_rows(n: int) -> list[tuple[Decimal, Decimal, Decimal]]:
    """``n`` lines of (quantity, unit price, rate) alternating 19 % and 7 %."""
    return [
        (
            Decimal(f"{1 + i % 7}.{i % 10}"),
            Decimal(f"{10 + i}.{(i * 37) % 100:02d}"),
            Decimal("19" if i % 2 else "7"),
        )
        for i in range(n)
    ]


def floor(rows: list[tuple[Decimal, Decimal, Decimal]]) -> tuple[Decimal, Decimal, Decimal]:
    """The hand-written computation: line nets, base per rate, tax per rate, totals."""
    bases: dict[Decimal, Decimal] = {}
    for qty, price, rate in rows:
        net = (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)
        bases[rate] = bases.get(rate, Decimal(0)) + net
    net_total = sum(bases.values(), Decimal(0))
    tax = sum(
        ((b * r / 100).quantize(CENT, rounding=ROUND_HALF_UP) for r, b in bases.items()), Decimal(0)
    )
    return net_total, tax, net_total + tax


def library(lines: list[Line]) -> tuple[Decimal, Decimal, Decimal]:
    """Invoicekit's totals of the same lines."""
    t = compute_totals("EUR", lines)
    return t.tax_exclusive, t.tax_total, t.tax_inclusive


def per_call(fn: Callable[[], object], *, seconds: float = 0.4) -> float:
    """Best-of-5 seconds per call, with the loop count chosen to run about ``seconds``."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, int(number * seconds / 0.2))
    return min(timer.repeat(repeat=5, number=number)) / number


def run(*, quick: bool = False) -> list[dict[str, object]]:
    """Measure 10, 100 and 1,000 lines (10 only and briefly when ``quick``); one row per size."""
    results = []
    vat = {Decimal("19"): Vat("19"), Decimal("7"): Vat("7")}
    for n in (10,) if quick else (10, 100, 1000):
        rows = make_rows(n)
        lines = [
            Line(f"item {i}", quantity=q, unit_price=p, tax=vat[r])
            for i, (q, p, r) in enumerate(rows)
        ]
        if library(lines) != floor(rows):
            raise RuntimeError("library and floor disagree: the benchmark compares nothing")
        seconds = 0.01 if quick else 0.4
        lib = per_call(lambda lines=lines: library(lines), seconds=seconds)
        base = per_call(lambda rows=rows: floor(rows), seconds=seconds)
        results.append(
            {"lines": n, "library_us": lib * 1e6, "floor_us": base * 1e6, "ratio": lib / base}
        )
    return results


def report(rows: list[dict[str, object]]) -> None:
    """Print the rows as a table."""
    print(f"{'lines':>6} {'library µs':>11} {'floor µs':>9} {'ratio':>6} {'µs/line':>8}")
    for row in rows:
        lines = int(row["lines"])  # type: ignore[call-overload]
        lib = float(row["library_us"])  # type: ignore[arg-type]
        base = float(row["floor_us"])  # type: ignore[arg-type]
        print(f"{lines:>6} {lib:>11.1f} {base:>9.1f} {lib / base:>6.2f} {lib / lines:>8.2f}")


if __name__ == "__main__":
    report(run(quick="--quick" in sys.argv))
