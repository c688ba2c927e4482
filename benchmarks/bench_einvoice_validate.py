"""E-invoice validation: the one-time cost of compiling each rule set, then validations/s.

Rule sets are compiled once per process (``prepare``) and cached; the figure that
matters for a server is validations/s afterwards. The documents are the two-line
EN 16931 samples of the test suite (UBL Invoice and CII CrossIndustryInvoice).
Usage: ``python benchmarks/bench_einvoice_validate.py``.
"""

from __future__ import annotations

import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from invoicekit.einvoice.validation import prepare, validate  # noqa: E402 - after sys.path

SAMPLES = ROOT / "tests" / "einvoice" / "samples"
CASES = {
    "ubl": (SAMPLES / "ubl-invoice.xml", ("ubl-xsd", "en16931-ubl")),
    "cii": (SAMPLES / "cii-invoice.xml", ("cii-xsd", "en16931-cii")),
}


def compile_costs() -> list[dict[str, object]]:
    """Seconds to compile each rule set once (the first call in this process)."""
    rows: list[dict[str, object]] = []
    for _, names in CASES.values():
        for name in names:
            start = time.perf_counter()
            prepare(name)
            rows.append({"rule_set": name, "compile_s": time.perf_counter() - start})
    return rows


#: ``--quick``: one call per figure (a smoke test, no meaningful figures).
QUICK = "--quick" in sys.argv


def per_call(fn: object, *, seconds: float = 1.0) -> float:
    """Best-of-5 seconds per call, with the loop count chosen to run about ``seconds``."""
    timer = timeit.Timer(fn)  # type: ignore[arg-type]
    if QUICK:
        return min(timer.repeat(repeat=1, number=1))
    number, _ = timer.autorange()
    number = max(1, int(number * seconds / 0.2))
    return min(timer.repeat(repeat=5, number=number)) / number


def throughput() -> list[dict[str, object]]:
    """Validations/s after compilation: all of 'auto', then each rule set alone."""
    rows: list[dict[str, object]] = []
    for syntax, (path, names) in CASES.items():
        xml = path.read_bytes()
        if not validate(xml).valid:
            raise SystemExit(f"the {syntax} sample is not valid: fix it before timing")
        for rules in ("auto", *names):
            seconds = per_call(lambda xml=xml, rules=rules: validate(xml, rules=rules))
            rows.append(
                {"syntax": syntax, "rules": rules, "ms": seconds * 1000, "per_s": 1 / seconds}
            )
    return rows


def main() -> int:
    """Print compile costs and validations/s; exit 0."""
    costs = compile_costs()
    rows = throughput()
    print("compile once per process:")
    for row in costs:
        print(f"  {row['rule_set']:<12} {float(row['compile_s']):6.2f} s")  # type: ignore[arg-type]
    print("validate after compilation (2-line invoice):")
    print(f"  {'syntax':<6} {'rules':<12} {'ms':>7} {'per s':>8}")
    for row in rows:
        ms = float(row["ms"])  # type: ignore[arg-type]
        per_s = float(row["per_s"])  # type: ignore[arg-type]
        print(f"  {row['syntax']:<6} {row['rules']:<12} {ms:>7.2f} {per_s:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
