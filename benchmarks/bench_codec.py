"""The stored-document codec: encode, hash and decode one issued 10-line invoice.

Format 1 (cattrs: unstructure, json.dumps, the content hash over a second encoding,
json.loads, structure with validation) against format 2 (compact, encoded once, the
hash from the bytes written, a trusted load), in the same run. The JSON backend is
the one ``INVOICEKIT_JSON`` picks; ``--both`` runs this script again for each.

Usage: ``python benchmarks/bench_codec.py [--both] [--json] [--quick]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import invoicekit as ik
from invoicekit.domain import lifecycle
from invoicekit.domain.parties import Customer, Seller
from invoicekit.serialization import (
    canonical_json,
    content_hash,
    encode_invoice,
    from_document,
    json_backend,
    make_converter,
    read_invoice,
    to_document,
)

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def ten_line_invoice() -> ik.Invoice:
    """The issue's shape: 10 lines at 7 % and 19 % VAT, issued, default settings."""
    seller = Seller(id="s1", name="Northwind", country="DE", currency="EUR", tax_id="DE811234567")
    customer = Customer(id="c1", seller_id="s1", name="Globex", email="ap@globex.example")
    lines = [
        ik.Line(
            f"Item {i}",
            quantity=f"{1 + i % 7}.{i % 10}",
            unit_price=f"{10 + i}.{(i * 37) % 100:02d}",
            tax=ik.Vat("19" if i % 2 else "7"),
        )
        for i in range(10)
    ]
    draft = ik.Invoice.draft(id="i1", seller=seller, customer=customer, lines=lines, at=AT)
    command = lifecycle.Issue(
        number="INV-2026-00001", seller=seller, customer=customer, issue_date=AT.date()
    )
    issued, _ = lifecycle.apply(draft, command, at=AT)
    return issued


#: ``--quick``: one call per step (a smoke test for ``run.py --quick``, no meaningful figures).
QUICK = "--quick" in sys.argv


def best_us(fn: Callable[[], object], number: int) -> float:
    """The best of 7 repeats, in microseconds of CPU time per call.

    CPU time, so other load on the machine costs less than it would in wall time.
    """
    if QUICK:
        number = 1
    timer = timeit.Timer(fn, timer=time.process_time)
    return min(timer.repeat(number=number, repeat=1 if QUICK else 7)) / number * 1e6


def run() -> dict[str, Any]:
    """Time every step of both formats on one invoice."""
    invoice = ten_line_invoice()
    converter = make_converter()
    old_doc = to_document(converter, invoice)
    old_text = canonical_json(old_doc)
    old_hash = content_hash(old_doc)
    new = encode_invoice(invoice)
    new_hash = new.content_hash
    if read_invoice(new.text, new_hash, converter) != invoice:
        raise SystemExit("format 2 did not read back the invoice it wrote")
    rows = {
        "format 1 unstructure (cattrs)": best_us(lambda: to_document(converter, invoice), 300),
        "format 1 json.dumps": best_us(lambda: canonical_json(old_doc), 300),
        "format 1 content hash": best_us(lambda: content_hash(old_doc), 300),
        "format 1 json.loads": best_us(lambda: json.loads(old_text), 300),
        "format 1 structure (cattrs, validating)": best_us(
            lambda: from_document(converter, old_doc, ik.Invoice), 100
        ),
        "format 2 encode (text + frozen bytes)": best_us(lambda: encode_invoice(invoice), 300),
        "format 2 content hash of the bytes": best_us(lambda: new.content_hash, 1000),
        "format 2 read, hash checked (trusted)": best_us(
            lambda: read_invoice(new.text, new_hash, converter), 300
        ),
        "format 2 read a draft (no hash)": best_us(
            lambda: read_invoice(new.text, None, converter), 300
        ),
    }
    write_1 = rows["format 1 unstructure (cattrs)"] * 2 + rows["format 1 content hash"] * 2
    write_1 += rows["format 1 json.dumps"]
    read_1 = rows["format 1 json.loads"] + rows["format 1 content hash"]
    read_1 += rows["format 1 structure (cattrs, validating)"]
    write_2 = rows["format 2 encode (text + frozen bytes)"]
    write_2 += rows["format 2 content hash of the bytes"]
    return {
        "backend": json_backend(),
        "bytes": {"format 1": len(old_text.encode()), "format 2": len(new.text.encode())},
        "hashes differ": old_hash != new_hash,
        "steps_us": rows,
        # What issuing one invoice cost the codec: the issue path encoded and hashed twice
        # (service and store) and read the row back with validation.
        "issue_us": {
            "format 1": write_1 + read_1,
            "format 2": write_2 + rows["format 2 read, hash checked (trusted)"],
        },
    }


def report(result: dict[str, Any]) -> None:
    """Print one run."""
    print(f"JSON backend: {result['backend']}")
    sizes = result["bytes"]
    print(f"  stored document: format 1 {sizes['format 1']} B, format 2 {sizes['format 2']} B")
    for name, us in result["steps_us"].items():
        print(f"  {name:<44} {us:8.1f} µs")
    issue = result["issue_us"]
    print(
        f"  codec cost of issuing one invoice (write + read with hash): "
        f"format 1 {issue['format 1']:.0f} µs, format 2 {issue['format 2']:.0f} µs "
        f"({issue['format 1'] / issue['format 2']:.1f}x)"
    )


def main() -> int:
    """Run once, or once per backend with ``--both``."""
    if "--both" in sys.argv:
        for backend in ("stdlib", "orjson"):
            env = {**os.environ, "INVOICEKIT_JSON": backend}
            args = [a for a in sys.argv[1:] if a != "--both"]
            subprocess.run([sys.executable, __file__, *args], env=env, check=True)  # noqa: S603
        return 0
    result = run()
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
