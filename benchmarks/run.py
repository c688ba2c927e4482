"""Run every benchmark and print ratios against floors measured in the same run.

Usage: ``python benchmarks/run.py`` (add ``--json`` for machine-readable output).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import bench_sqlite
import bench_totals
import bench_values

#: Benchmarks that run as scripts of their own (they need extras: pdf, qr, einvoice, testing).
SCRIPTS = (
    "bench_render.py",
    "bench_smtp.py",
    "bench_einvoice.py",
    "bench_einvoice_validate.py",
)


def main() -> int:
    """Print each benchmark's rows; exit 0."""
    rows = bench_totals.run()
    values = bench_values.run()
    sqlite_rows = bench_sqlite.run()
    if "--json" in sys.argv:
        print(json.dumps({"totals": rows, "values": values, "sqlite": sqlite_rows}, indent=2))
        return 0
    print("totals: invoicekit compute_totals vs hand-written Decimal floor (2 VAT rates)")
    print(f"{'lines':>6} {'library µs':>11} {'floor µs':>9} {'ratio':>6} {'µs/line':>8}")
    for row in rows:
        lines = int(row["lines"])  # type: ignore[call-overload]
        lib = float(row["library_us"])  # type: ignore[arg-type]
        base = float(row["floor_us"])  # type: ignore[arg-type]
        print(f"{lines:>6} {lib:>11.1f} {base:>9.1f} {lib / base:>6.2f} {lib / lines:>8.2f}")
    print()
    print("values: building a 10-line invoice's lines and totals vs py-invoices (pydantic)")
    bench_values.report(values)
    print()
    print("sqlite: SqliteStorage vs raw sqlite3 doing the same SQL (same run, same disk)")
    bench_sqlite.report(sqlite_rows)
    here = Path(__file__).resolve().parent
    for script in SCRIPTS:
        if (here / script).exists():
            print(f"\n{script}:", flush=True)
            subprocess.run([sys.executable, str(here / script)], check=False)  # noqa: S603
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
