"""Run every benchmark and print ratios against floors measured in the same run.

Usage: ``python benchmarks/run.py [--quick] [--large] [--json]``. The storage
benchmarks run as child processes, once with the orjson accelerator (when it is
installed) and once with ``INVOICEKIT_JSON=stdlib``; ``--large`` is the opt-in
run of benchmarks/README.md (1,000,000 invoices for the overdue page, 100,000
drafts for peak memory); ``--quick`` is a smoke test with tiny sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import bench_totals
import bench_values
import common

HERE = Path(__file__).resolve().parent
#: Storage benchmarks: run per JSON variant, each printing ``--json`` rows.
STORAGE = ("bench_sqlite.py", "bench_postgres.py", "bench_memory.py", "bench_run_due.py")
#: Benchmarks that run as scripts of their own (they need extras: pdf, qr, einvoice, testing).
SCRIPTS = (
    "bench_render.py",
    "bench_smtp.py",
    "bench_einvoice.py",
    "bench_einvoice_validate.py",
    "bench_einvoice_read.py",
    "bench_pay_page.py",
    "bench_codec.py",
    "bench_webhooks.py",
    "bench_simulation.py",
    "bench_usage.py",
    "bench_subscriptions.py",
    "bench_reports.py",
    "bench_summaries.py",
    "bench_dashboard.py",
)

#: Scripts that fail today, with why; run.py names them instead of running them.
BROKEN: dict[str, str] = {}


def variants() -> list[tuple[str, dict[str, str]]]:
    """(name, environment) of each JSON variant to run: the accelerator if installed, the stdlib."""
    plain = {**os.environ, common.JSON_ENV: "stdlib"}
    try:
        import orjson  # noqa: F401 - only whether it is installed
    except ImportError:
        return [("stdlib", plain)]
    fast = {k: v for k, v in os.environ.items() if k != common.JSON_ENV}
    return [("orjson", fast), ("stdlib", plain)]


def storage_rows(script: str, args: list[str], env: dict[str, str]) -> list[common.Row]:
    """The rows one storage benchmark prints with ``--json``; a failure is one row saying why."""
    command = [sys.executable, str(HERE / script), "--json", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    sys.stderr.write(done.stderr)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("["):
            return list(json.loads(line))
    print(done.stdout, end="")
    raise RuntimeError(f"{script} {' '.join(args)} failed (exit code {done.returncode})")


def storage_args(script: str, quick: bool, large: bool) -> list[str]:
    if script == "bench_run_due.py":  # both stores, 10,000 templates
        return ["--postgres", "--quick"] if quick else ["--postgres"]
    if quick:
        return ["--quick"]
    if large and script == "bench_memory.py":
        return ["--n", "100000"]
    if large:
        return ["--overdue-n", "1000000"]
    return []


def run_scripts(*, quick: bool, as_json: bool) -> list[str]:
    """Run the scripts of SCRIPTS (output captured with ``as_json``); the names of those that failed."""
    failed = []
    for script in SCRIPTS:
        if script in BROKEN:
            print(f"\n{script}: not run, broken: {BROKEN[script]}", file=sys.stderr)
            continue
        if not as_json:
            print(f"\n{script}:", flush=True)
        extra = ["--quick"] if quick else []
        done = subprocess.run(  # noqa: S603
            [sys.executable, str(HERE / script), *extra],
            check=False,
            capture_output=as_json,
            text=True,
        )
        if done.returncode:
            print(f"  {script} failed (exit code {done.returncode})", file=sys.stderr)
            if as_json:
                sys.stderr.write(done.stdout + done.stderr)
            failed.append(script)
    return failed


def main() -> int:
    """Print each benchmark's rows; exit 1 when a benchmark failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--large", action="store_true", help="1M invoices, 100k drafts (long)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    out: dict[str, object] = {"machine": common.machine()}
    if not args.json:
        print("machine: " + ", ".join(f"{k} {v}" for k, v in common.machine().items()))
    rows = bench_totals.run(quick=args.quick)
    out["totals"] = rows
    if not args.json:
        print("totals: invoicekit compute_totals vs hand-written Decimal floor (2 VAT rates)")
        bench_totals.report(rows)
    values = bench_values.run(quick=args.quick)
    out["values"] = values
    if not args.json:
        print("\nvalues: building a 10-line invoice's lines and totals vs py-invoices (pydantic)")
        bench_values.report(values)
    failed = []
    for name, env in variants():
        if not args.json:
            print(f"\nstorage, JSON {name}:", flush=True)
        for script in STORAGE:
            try:
                got = storage_rows(script, storage_args(script, args.quick, args.large), env)
            except RuntimeError as exc:
                print(f"  {exc}", file=sys.stderr, flush=True)
                failed.append(script)
                continue
            out[f"{script.removesuffix('.py')}[{name}]"] = got
            if not args.json:
                common.report(got)
    if args.json:
        print(json.dumps(out, indent=2), flush=True)
    failed += run_scripts(quick=args.quick, as_json=args.json)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
