"""The benchmarks still run: ``benchmarks/run.py --quick`` (tiny sizes) exits 0 with every row.

No timing is asserted; this only keeps the benchmark code from rotting as the
API it calls changes. Needs the PostgreSQL server the other integration tests use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
#: Rows each storage benchmark prints (by case), per JSON variant.
CASES = {
    "bench_sqlite": {
        "issue_many NORMAL",
        "issue_many NORMAL (floor + outbox)",
        "draft+issue NORMAL",
        "draft+issue FULL",
        "overdue page (ms)",
    },
    "bench_postgres": {"PG issue_many", "PG draft+issue", "PG overdue page (ms)"},
    "bench_memory": {"issue_many peak RSS (MB)"},
    "bench_run_due": {"run_due SQLite", "run_due PostgreSQL"},
}


def test_every_benchmark_is_run_by_run_py() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import run

        listed = {*run.STORAGE, *run.SCRIPTS, "bench_totals.py", "bench_values.py"}
    finally:
        sys.path.remove(str(BENCH))
    assert {p.name for p in BENCH.glob("bench_*.py")} <= listed


def test_quick_run_prints_every_row(tmp_path: Path) -> None:
    env = {**os.environ, "INVOICEKIT_BENCH_DATA": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    admin = os.environ.get("INVOICEKIT_PG_ADMIN_URL")
    if admin:
        url = sa.make_url(admin).set(drivername="postgresql")
        env["INVOICEKIT_BENCH_PG_URL"] = url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["totals"]
    assert out["values"]["cases"]
    for key, rows in out.items():
        if key in {"machine", "totals", "values"}:
            continue
        name, variant = key.rstrip("]").split("[")
        assert {row["case"] for row in rows} == CASES[name], key
        for row in rows:
            assert row["variant"] == variant
            assert row["library"] > 0
            assert row["floor"] > 0
    assert {key.split("[")[0] for key in out} >= set(CASES)
