"""What keeping the live summaries adds to issuing an invoice and recording a payment (goal <= 10 %).

Same run, same store, same workload, rounds alternating between the library as it is
("with") and the library with the summaries' writer switched off ("without": the
``changed`` method of the store's summaries replaced by a no-op for that round). Each
round drafts ``--n`` invoices of 10 lines, issues them one by one (``issue``: one
transaction each) and records a payment on each (``payments.record``); only ``issue``
and ``record`` are timed, in wall time and in this process's CPU time.

Stable enough to decide the goal on a shared machine: the rounds come in pairs run back
to back (with/without, the order alternating: ABBA), a garbage collection before each
timed part, and the figure is the median over the pairs of each pair's ratio, so a
slow stretch of the machine lands on both sides of one ratio instead of on one mode.
Beside it, the fastest round of each mode compared (load only ever adds time). The CPU
time (of the benchmark's process: the library's own work; PostgreSQL's server
time shows in wall time only) moves much less than wall time under load.

Stores: SQLite (a file, ``synchronous=NORMAL``, so the fsync does not hide the work)
and PostgreSQL (a database made for the run and dropped after it).

Usage: ``python benchmarks/bench_summaries.py [--quick] [--n 200] [--rounds 9]
[--sqlite-only | --postgres-only] [--json]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import common

import invoicekit as ik
from invoicekit.adapters.storage.sqlalchemy_summaries import SqlSummaries
from invoicekit.adapters.storage.sqlite_summaries import SqliteSummaries

GOAL: Final = 1.10


@contextlib.contextmanager
def summaries_off(cls: type[Any]) -> Iterator[None]:
    """The summaries of ``cls``' store not kept while the block runs (the "without" rounds)."""
    kept = cls.changed
    cls.changed = lambda _self, _invoices, **_options: None
    try:
        yield
    finally:
        cls.changed = kept


#: (wall seconds, CPU seconds) of one timed part.
Timing = tuple[float, float]


@contextlib.contextmanager
def timed(found: list[Timing]) -> Iterator[None]:
    """Append the wall and CPU seconds the block takes (after a garbage collection)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    found.append((time.perf_counter() - wall, time.process_time() - cpu))


def one_round(billing: ik.Billing, tag: str, n: int) -> tuple[Timing, Timing]:
    """(wall, CPU) seconds to issue ``n`` invoices one by one, and to record a payment on each."""
    seller = billing.sellers.create(
        name="Northwind Studio", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    books = billing.seller(seller.id)
    customers = [books.customers.create(f"Client {k}").id for k in range(20)]
    drafts = [
        books.invoices.draft(customers[k % 20], lines=common.ten_lines(k), id=f"{tag}-{k}").id
        for k in range(n)
    ]
    found: list[Timing] = []
    with timed(found):
        issued = [books.invoices.issue(d) for d in drafts]
    with timed(found):
        for invoice in issued:
            books.payments.record(invoice.id, invoice.amount_due)
    return found[0], found[1]


def _ratio(pairs: list[tuple[float, float]]) -> float:
    """The median over the pairs of with ÷ without."""
    return statistics.median(w / wo for w, wo in pairs)


def _best(pairs: list[tuple[float, float]]) -> float:
    """The fastest round with ÷ the fastest without (load only ever adds time)."""
    return min(w for w, _ in pairs) / min(wo for _, wo in pairs)


def measure(
    name: str, make: Callable[[], ik.Billing], cls: type[Any], n: int, rounds: int
) -> list[dict[str, str]]:
    """Alternate pairs of rounds with and without the summaries on one store; a row per operation."""
    # (operation, clock) -> [(with, without) of each pair]
    pairs: dict[tuple[str, int], list[tuple[float, float]]] = {}
    with make() as billing:
        one_round(billing, "warm", max(n // 10, 5))
        for r in range(rounds):
            got: dict[str, tuple[Timing, Timing]] = {}
            for mode in ("with", "without") if r % 2 == 0 else ("without", "with"):
                context = summaries_off(cls) if mode == "without" else contextlib.nullcontext()
                with context:
                    got[mode] = one_round(billing, f"{mode}{r}", n)
            for op in (0, 1):
                for clock in (0, 1):
                    pairs.setdefault((("issue", "record payment")[op], clock), []).append(
                        (got["with"][op][clock], got["without"][op][clock])
                    )
    rows = []
    for operation in ("issue", "record payment"):
        wall, cpu = pairs[operation, 0], pairs[operation, 1]
        ratio, cpu_ratio = _ratio(wall), _ratio(cpu)
        rows.append(
            {
                "case": f"{name}: {operation}",
                "n": str(n),
                "rounds": str(rounds),
                "with ms/op": f"{statistics.median(w for w, _ in wall) / n * 1000:.3f}",
                "without ms/op": f"{statistics.median(wo for _, wo in wall) / n * 1000:.3f}",
                "added": f"{(ratio - 1) * 100:+.1f} %",
                "added (pairs)": " ".join(f"{(w / wo - 1) * 100:+.0f}" for w, wo in wall),
                "cpu with ms/op": f"{statistics.median(w for w, _ in cpu) / n * 1000:.3f}",
                "cpu without ms/op": f"{statistics.median(wo for _, wo in cpu) / n * 1000:.3f}",
                "cpu added": f"{(cpu_ratio - 1) * 100:+.1f} %",
                "best added": f"{(_best(wall) - 1) * 100:+.1f} %",
                "cpu best added": f"{(_best(cpu) - 1) * 100:+.1f} %",
                "goal": f"<= +10 %: {'met' if ratio <= GOAL else 'NOT met'}",
            }
        )
    return rows


def _sqlite() -> ik.Billing:
    folder = Path(tempfile.mkdtemp(prefix="bench-summaries-"))
    return common.sqlite_billing(folder / "books.sqlite", "NORMAL")


@contextlib.contextmanager
def _postgres_url() -> Iterator[str]:
    import bench_postgres as bp
    import sqlalchemy as sa
    from psycopg import sql

    with bp.admin() as (conn, url):
        name = f"invoicekit_bench_summaries_{secrets.token_hex(4)}"
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield bp.library_url(
                sa.make_url(url).set(database=name).render_as_string(hide_password=False)
            )
        finally:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def main(argv: list[str] | None = None) -> list[dict[str, str]]:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 invoices, 3 pairs of rounds")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=9, help="pairs of rounds")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    n, rounds = (50, 3) if args.quick else (args.n, args.rounds)
    rows: list[dict[str, str]] = []
    if not args.postgres_only:
        rows += measure("SQLite", _sqlite, SqliteSummaries, n, rounds)
    if not args.sqlite_only:
        with _postgres_url() as url:
            rows += measure(
                "PostgreSQL",
                lambda: ik.Billing.from_url(url, clock=common.clock()),
                SqlSummaries,
                n,
                rounds,
            )
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print(
                f"  {row['case']:<28} n={row['n']:<4} wall: with {row['with ms/op']:>6} "
                f"without {row['without ms/op']:>6} ms/op, added {row['added']:>7}  "
                f"(pairs: {row['added (pairs)']})  CPU: with {row['cpu with ms/op']:>6} "
                f"without {row['cpu without ms/op']:>6} ms/op, added {row['cpu added']:>7}  "
                f"best/best: wall {row['best added']}, CPU {row['cpu best added']}  {row['goal']}"
            )
    return rows


if __name__ == "__main__":
    main()
