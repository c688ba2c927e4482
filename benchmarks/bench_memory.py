"""Peak memory (RSS) of ``issue_many`` over N drafts on SQLite, against a process that only opened the store.

Each figure is a fresh child process reporting ``resource.getrusage(RUSAGE_SELF).ru_maxrss``:
the baseline opens the store and reads the ids; the measured one does the same,
then issues every draft with ``books.invoices.issue_many`` (500 per transaction).
The same is done with N / 10 drafts: memory that stays flat in N grows far less
than 10x when N does (the goal: the growth over the baseline at N is at most 2x
the growth at N / 10, plus 2 MB of noise).

The drafts are made once through the public API and copied raw (the library's
own document with the id changed) into a file kept under ``benchmarks/.data/``.
Usage: ``python benchmarks/bench_memory.py [--quick] [--n 100000] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import common

NOISE_MB = 2.0


def drafts_file(n: int) -> Path:
    """A file with ``n`` 10-line drafts of seller s1, made once and kept under .data/."""
    common.DATA.mkdir(exist_ok=True)
    path = common.DATA / f"drafts-{n}-{common.template_key()}.sqlite"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for leftover in common.DATA.glob(f"{partial.name}*"):
        leftover.unlink()
    billing = common.sqlite_billing(partial, "NORMAL")
    books, customer = common.books_of(billing)
    common.draft_all(books, customer, 1, prefix="template-")
    billing.close()
    conn = sqlite3.connect(partial, isolation_level=None)
    columns = "seller_id, id, customer_id, status, series, version, doc"
    row = conn.execute(f"SELECT {columns} FROM invoices").fetchone()  # noqa: S608 - constants only
    template = json.loads(row[6])
    conn.execute("BEGIN")
    conn.execute("DELETE FROM invoices")
    insert = f"INSERT INTO invoices ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - constants only
    for start in range(0, n, 10_000):
        batch = []
        for k in range(start, min(n, start + 10_000)):
            doc = json.dumps(with_id(template, f"d{k:07d}"), sort_keys=True, separators=(",", ":"))
            batch.append((row[0], f"d{k:07d}", *row[2:6], doc))
        conn.executemany(insert, batch)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(path)
    return path


def with_id(document: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    """The draft document with another id (format 2 keeps it in the frozen part ``f``)."""
    if "f" in document:
        return dict(document, f=dict(document["f"], id=invoice_id))
    return dict(document, id=invoice_id)


def child(path: str, issue: bool) -> None:
    """In the child: open the store, read the ids, maybe issue them all; print peak RSS in MB."""
    billing = common.sqlite_billing(Path(path), "NORMAL")
    books = billing.seller(common.SELLER)
    conn = sqlite3.connect(path)
    ids = [r[0] for r in conn.execute("SELECT id FROM invoices ORDER BY id")]
    conn.close()
    issued = common.issue_many(books, ids) if issue else 0
    billing.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    print(json.dumps({"peak_mb": peak_kb / 1024, "issued": issued}))


def measure(n: int, issue: bool) -> float:
    """Peak RSS (MB) of a child over a fresh copy of the ``n`` drafts file."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "drafts.sqlite"
        shutil.copyfile(drafts_file(n), copy)
        args = [sys.executable, __file__, "--child", str(copy)] + (["--issue"] if issue else [])
        out = subprocess.run(args, capture_output=True, text=True, check=True)  # noqa: S603
        result = json.loads(out.stdout.splitlines()[-1])
        if issue and result["issued"] != n:
            raise RuntimeError(f"issued {result['issued']} of {n} drafts")
        return float(result["peak_mb"])


def run(*, quick: bool = False, n: int = 10_000) -> list[common.Row]:
    if quick:
        n = 200
    small = max(n // 10, 1)
    base, peak = measure(n, issue=False), measure(n, issue=True)
    base_small, peak_small = measure(small, issue=False), measure(small, issue=True)
    growth, growth_small = peak - base, peak_small - base_small
    return [
        {
            "case": "issue_many peak RSS (MB)",
            "n": n,
            "library": peak,
            "floor": base,
            "unit": "MB",
            "ratio": peak / base,
            "goal": "flat in N",
            "met": growth <= 2 * growth_small + NOISE_MB,
            "variant": common.variant(),
            "note": (
                f"+{growth:.1f} MB over the store opened; at N={small:,}: "
                f"{peak_small:.1f} MB against {base_small:.1f} MB, +{growth_small:.1f} MB"
            ),
        }
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="one JSON list of rows")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--issue", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.issue)
        return 0
    common.emit(run(quick=args.quick, n=args.n), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
