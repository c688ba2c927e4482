"""What the storage benchmarks share: the invoices, the public-API calls, goals, the machine.

The library is timed through its public API (``Billing``, ``books.invoices``);
the floors write the same rows with the bare driver. Where the API is still
moving (``draft_many``, the result of ``issue_many``, the codec) only the small
functions here need touching.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import invoicekit as ik
from invoicekit.testing.clock import FixedClock

HERE: Final = Path(__file__).resolve().parent
#: Filled databases kept between runs (gitignored); INVOICEKIT_BENCH_DATA moves them.
DATA: Final = Path(os.environ.get("INVOICEKIT_BENCH_DATA") or HERE / ".data")
#: Set to ``stdlib`` to make the codec ignore the optional orjson accelerator.
JSON_ENV: Final = "INVOICEKIT_JSON"
AT: Final = datetime(2026, 3, 2, 9, tzinfo=UTC)
SELLER: Final = "s1"
OPEN: Final = ("failed", "overdue", "partially_paid", "pending")
BATCH: Final = 500
#: Drafts per ``draft_many`` call (the library takes at most 1,000).
DRAFT_BATCH: Final = 1000
Row = dict[str, object]


def accelerated() -> bool:
    """Whether this process may use the orjson accelerator (installed and not switched off)."""
    if os.environ.get(JSON_ENV, "").lower() == "stdlib":
        return False
    try:
        import orjson  # noqa: F401 - an optional extra
    except ImportError:
        return False
    return True


def variant() -> str:
    return "orjson" if accelerated() else "stdlib"


def ten_lines(k: int = 0, lines: int = 10) -> list[ik.Line]:
    """The lines of the benchmark invoice (two VAT rates, varied prices)."""
    return [
        ik.Line(
            f"Consulting block {j + 1}, project {k % 97}",
            quantity=Decimal(1 + j % 3),
            unit_price=Decimal(f"{40 + j}.50"),
            tax=ik.Vat("19" if j % 4 else "7"),
        )
        for j in range(lines)
    ]


def clock() -> FixedClock:
    return FixedClock(AT)


def sqlite_billing(path: Path, synchronous: str) -> ik.Billing:
    """``Billing.sqlite`` with the given durability (via the storage while the facade lacks it)."""
    if "synchronous" in inspect.signature(ik.Billing.sqlite).parameters:
        return ik.Billing.sqlite(path, synchronous=synchronous, clock=clock())  # type: ignore[call-arg]
    from invoicekit.adapters.storage.sqlite import SqliteStorage

    storage = SqliteStorage.open(path, synchronous=synchronous)  # type: ignore[arg-type]
    return ik.Billing(storage=storage, clock=clock())


def books_of(billing: ik.Billing) -> tuple[Any, str]:
    """A seller with one customer; that seller's books and the customer's id."""
    seller = billing.sellers.create(
        name="Northwind Studio",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        tax_id="DE811234567",
        id=SELLER,
    )
    books = billing.seller(seller.id)
    customer = books.customers.create("Globex GmbH", email="ap@globex.example", id="c1")
    return books, customer.id


def draft_all(books: Any, customer_id: str, n: int, prefix: str = "d") -> list[str]:
    """``n`` drafts of 10 lines; ``draft_many`` when the library has it, else ``draft`` per one."""
    terms = ik.NetDays(14)
    if hasattr(books.invoices, "draft_many"):
        specs = [
            {
                "customer_id": customer_id,
                "lines": ten_lines(k),
                "terms": terms,
                "id": f"{prefix}{k}",
            }
            for k in range(n)
        ]
        made: list[str] = []
        for start in range(0, n, DRAFT_BATCH):  # draft_many takes at most 1,000 per call
            made += (
                ids_of(x) for x in books.invoices.draft_many(specs[start : start + DRAFT_BATCH])
            )
        return made
    return [
        books.invoices.draft(customer_id, lines=ten_lines(k), terms=terms, id=f"{prefix}{k}").id
        for k in range(n)
    ]


def ids_of(item: Any) -> str:
    """The invoice id of an item of a batch result (an Invoice, a light record or a pair)."""
    if isinstance(item, str):
        return item
    if isinstance(item, tuple):
        return str(item[0])
    return str(item.id)


def issue_many(books: Any, ids: Sequence[str]) -> int:
    """Issue ``ids`` with ``issue_many`` (500 per transaction); how many it reports issued.

    Only the handling of the result lives here: a list of invoices today, light
    records (or an iterator) later.
    """
    result = books.invoices.issue_many(ids, batch_size=BATCH)
    return sum(1 for _ in result)


_cpu: list[float] = [0.0]


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call; its CPU seconds (this process) are kept for ``last_cpu``."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    _cpu[0] = time.process_time() - cpu
    return time.perf_counter() - start


def last_cpu() -> float:
    """CPU seconds of this process in the last ``timed`` call (steadier than wall time under load)."""
    return _cpu[0]


def with_cpu(row: Row, library_cpu: float, floor_cpu: float) -> Row:
    """The row with the ratio of CPU seconds beside the wall-time one (in-process work only)."""
    return {**row, "cpu_ratio": library_cpu / floor_cpu}


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    return min(timed(fn) for _ in range(repeat))


def rate_row(  # noqa: PLR0917 - one row's figures
    case: str, n: int, library_s: float, floor_s: float, goal: str, met: bool | None
) -> Row:
    """One throughput row: invoices per second of each, and the time ratio."""
    return {
        "case": case,
        "n": n,
        "library": n / library_s,
        "floor": n / floor_s,
        "unit": "/s",
        "ratio": library_s / floor_s,
        "goal": goal,
        "met": met,
        "variant": variant(),
    }


def per_second_goal(  # noqa: PLR0917 - one row's figures
    case: str, n: int, lib_s: float, floor_s: float, stdlib: int, fast: int
) -> Row:
    """A throughput row whose goal is an absolute rate (higher with the accelerator)."""
    want = fast if accelerated() else stdlib
    return rate_row(case, n, lib_s, floor_s, f">= {want:,}/s", n / lib_s >= want)


def ratio_goal(case: str, n: int, lib_s: float, floor_s: float, most: float) -> Row:
    """A throughput row whose goal is a ratio to the floor."""
    return rate_row(case, n, lib_s, floor_s, f"<= {most}x floor", lib_s / floor_s <= most)


def report(rows: Iterable[Row]) -> None:
    """Print rows as a table: case, library, floor, ratio, goal and whether it is met."""
    for row in rows:
        unit = str(row["unit"])
        lib, floor = float(row["library"]), float(row["floor"])  # type: ignore[arg-type]
        fmt = "{:,.0f}" if unit == "/s" else "{:,.1f}"
        met = {True: "met", False: "NOT met", None: "-"}[row["met"]]  # type: ignore[index]
        extra = f"  ({row['note']})" if row.get("note") else ""
        if "cpu_ratio" in row:
            extra = f"  (CPU-time ratio {float(row['cpu_ratio']):.2f})" + extra  # type: ignore[arg-type]
        print(
            f"  {row['case']:<34} n={row['n']:<9,} invoicekit {fmt.format(lib):>9} {unit:<3} "
            f"floor {fmt.format(floor):>9} {unit:<3} ratio {float(row['ratio']):5.2f}  "  # type: ignore[arg-type]
            f"goal {row['goal']} [{met}]{extra}",
            flush=True,
        )


def emit(rows: list[Row], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows))
    else:
        report(rows)


# --------------------------------------------------------------------------- documents


def sample_documents(n_lines: Sequence[int] = (1, 3, 10)) -> list[tuple[dict[str, Any], str]]:
    """Issued invoices of 1, 3 and 10 lines as the library stores them (document, its text).

    Made through the public API on a scratch SQLite file and read back from the
    row, so the fill uses exactly the library's own serializer and format.
    """
    import tempfile

    made = []
    with tempfile.TemporaryDirectory() as tmp:
        billing = sqlite_billing(Path(tmp) / "t.sqlite", "NORMAL")
        books, customer = books_of(billing)
        for k, count in enumerate(n_lines):
            draft = books.invoices.draft(
                customer, lines=ten_lines(k, count), terms=ik.NetDays(30), id=f"t{k}"
            )
            books.invoices.issue(draft.id)
        billing.close()
        conn = sqlite3.connect(Path(tmp) / "t.sqlite")
        for (doc,) in conn.execute("SELECT doc FROM invoices ORDER BY id"):
            made.append((json.loads(doc), doc))
        conn.close()
    return made


def template_key() -> str:
    """A short digest of the stored format: a cached fill is reused only for the same format."""
    docs = "".join(text for _, text in sample_documents())
    return hashlib.sha256((FILL_VERSION + docs).encode()).hexdigest()[:10]


#: Bumped when ``fill_rows`` changes what it writes (2: ids set where format 2 keeps them).
FILL_VERSION: Final = "fill 2;"


STATUS_MIX: Final = (
    ["paid"] * 14 + ["pending"] * 2 + ["overdue", "partially_paid", "void", "pending"]
)


def fill_rows(n: int, seller_id: str = SELLER) -> Iterable[tuple[Any, ...]]:
    """``n`` rows of the invoices table (issued over two years, ~25 % open), varied ids and dates.

    Invoices read from ``sample_documents`` with the id, number, status and dates
    changed, then encoded and hashed by the library's serializer; the columns are
    (seller_id, id, customer_id, status, series, number, issue_date, due_date,
    version, content_hash, doc).
    """
    import attrs

    from invoicekit.domain.status import Status
    from invoicekit.serialization.stored import encode_invoice, read_invoice

    templates = [read_invoice(text, None, None) for _, text in sample_documents()]  # type: ignore[arg-type]
    for k in range(n):
        status = STATUS_MIX[k % len(STATUS_MIX)]
        day = date(2024, 1, 1) + timedelta(days=(k * 7919) % 730)
        due = day + timedelta(days=30)
        number = f"INV-{k:07d}"
        invoice = attrs.evolve(
            templates[k % len(templates)],
            seller_id=seller_id,
            id=f"inv-{k:07d}",
            number=number,
            status=Status(status),
            issue_date=day,
            due_date=due,
        )
        encoded = encode_invoice(invoice)  # the library's own format, hash from its bytes
        yield (
            seller_id,
            invoice.id,
            "c1",
            status,
            "invoice",
            number,
            day.isoformat(),
            due.isoformat(),
            invoice.version,
            encoded.content_hash,
            encoded.text,
        )


OVERDUE_ON: Final = date(2025, 12, 1)


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, str]:
    """What the figures were measured on: cores, CPU, Python, SQLite, PostgreSQL, commit, date."""
    cpu = "unknown"
    with Path("/proc/cpuinfo").open(encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(  # noqa: S603 - a fixed command
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "nproc": str(os.cpu_count()),
        "cpu": re.sub(r"\s+", " ", cpu),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "executable": sys.executable,
    }
