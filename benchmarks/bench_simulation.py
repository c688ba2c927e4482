"""Ten years of monthly billing for 1,000 customers, simulated on the in-memory store (goal: 60 s).

The simulator (``invoicekit.testing.simulation``, T34) runs every day of ten years:
each customer is billed a monthly retainer by a recurring template, reminders,
late fees and final notices go out by four sellers' dunning policies (queued, not
rendered: ``dispatch=False``), and customers pay on time, late, in part, after a
failed card, never (written off) or with a refund, by a seeded plan. No faults, no
per-step checks (``--checks`` adds them); the whole store is checked after timing.

The floor, measured in the same run: the same number of invoices drafted and issued
in batches (``draft_many``, ``issue_many``) and each paid once, with no daily job,
on a fresh in-memory store (timed on at most 5,000 invoices and scaled). The ratio
is what simulating every day costs over the bare work. CPU seconds of this process.

Usage: ``python benchmarks/bench_simulation.py [--quick] [--customers 1000] [--years 10]
[--budget 900] [--checks] [--profile] [--json]``. ``--budget`` stops a run that takes
longer (CPU seconds) and reports how far it got, year by year.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from decimal import Decimal
from typing import Any

import common

import invoicekit as ik
from invoicekit.services.billing import Billing
from invoicekit.testing.invariants import violations
from invoicekit.testing.simulation import Simulation, SimulationConfig, StepInfo

GOAL_S = 60.0
SELLERS = 4
FLOOR_MAX = 5_000


class _OverBudget(Exception):  # noqa: N818 - a signal to stop, not an error
    """The run took longer than ``--budget``."""


def config(customers: int, years: int, *, checks: bool) -> SimulationConfig:
    return SimulationConfig(
        sellers=SELLERS,
        customers=max(1, customers // SELLERS),
        days=round(365.25 * years),
        quiet_days=0,
        retainer_share=1.0,
        one_off_rate=0.0,
        dispatch=False,
        check_steps=checks,
        check_end=False,
    )


def simulate(
    customers: int, years: int, *, checks: bool, budget: float, profile: bool
) -> dict[str, Any]:
    """Run the simulation; CPU seconds, the seconds at each year's end, invoices, the profile."""
    years_done: list[float] = []
    start = time.process_time()

    def clock(_: Billing, step: StepInfo) -> None:
        if step.day // 365 > len(years_done):
            years_done.append(time.process_time() - start)
        if time.process_time() - start > budget:
            raise _OverBudget

    sim = Simulation(1, config(customers, years, checks=checks), after_step=clock)
    profiler = cProfile.Profile() if profile else None
    finished = True
    try:
        if profiler is not None:
            profiler.enable()
        sim.run()
    except _OverBudget:
        finished = False
    finally:
        if profiler is not None:
            profiler.disable()
    seconds = time.process_time() - start
    invoices = sum(_count(sim.billing, s) for s in _sellers(sim))
    top = ""
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        top = out.getvalue()
    check_start = time.process_time()
    found = [v for s in _sellers(sim) for v in violations(sim.billing, s)] if finished else []
    return {
        "seconds": seconds,
        "finished": finished,
        "years": years_done,
        "invoices": invoices,
        "check_seconds": time.process_time() - check_start,
        "violations": [str(v) for v in found[:5]],
        "profile": top,
    }


def _sellers(sim: Simulation) -> list[str]:
    return [f"s{k}" for k in range(sim.config.sellers)]


def _count(billing: Billing, seller_id: str) -> int:
    books, after, n = billing.seller(seller_id), None, 0
    while True:
        page = books.invoices.list(limit=1000, after=after)
        n += len(page)
        if len(page) < 1000:  # noqa: PLR2004 - the page size
            return n
        after = page[-1].id


def floor(n: int) -> float:
    """CPU seconds to draft, issue and pay ``n`` one-line invoices in batches (scaled from a sample)."""
    sample = max(1, min(n, FLOOR_MAX))
    billing = ik.Billing.in_memory(clock=common.clock(), dispatch="worker")
    books, customer = common.books_of(billing)
    line = ik.Line("Retainer", quantity=1, unit_price=Decimal("1500.00"), tax=ik.Vat("19"))
    specs = [{"customer_id": customer, "lines": [line], "terms": ik.NetDays(14)}]
    start = time.process_time()
    ids: list[str] = []
    for first in range(0, sample, common.DRAFT_BATCH):
        batch = specs * min(common.DRAFT_BATCH, sample - first)
        ids += [common.ids_of(x) for x in books.invoices.draft_many(batch)]
    common.issue_many(books, ids)
    for invoice_id in ids:
        books.payments.record(invoice_id, Decimal("1785.00"))
    return (time.process_time() - start) * n / sample


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20 customers, one year")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--budget", type=float, default=900.0, help="stop after this many CPU s")
    parser.add_argument("--checks", action="store_true", help="check every step as well")
    parser.add_argument("--profile", action="store_true", help="print the top costs (cProfile)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    customers, years = (20, 1) if args.quick else (args.customers, args.years)
    got = simulate(customers, years, checks=args.checks, budget=args.budget, profile=args.profile)
    floor_s = floor(got["invoices"])
    case = f"{years}-year simulation, {customers} customers" + (" (checked)" if args.checks else "")
    row = {
        "case": case,
        "n": got["invoices"],
        "library": got["seconds"],
        "floor": floor_s,
        "unit": "s",
        "ratio": got["seconds"] / floor_s,
        "goal": f"<= {GOAL_S:.0f} s" if (customers, years) == (1000, 10) else "(size differs)",
        "met": (got["finished"] and got["seconds"] <= GOAL_S)
        if (customers, years) == (1000, 10)
        else None,
        "variant": common.variant(),
        "note": ("finished" if got["finished"] else f"stopped at the budget of {args.budget:.0f} s")
        + "; CPU s at each year's end: "
        + ", ".join(f"{s:.0f}" for s in got["years"])
        + f"; whole-store check {got['check_seconds']:.1f} s",
    }
    if args.json:
        print(json.dumps([row]))
    else:
        common.report([row])
        if got["profile"]:
            print(got["profile"])
    if got["violations"]:
        print("invariant violations:", *got["violations"], sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
