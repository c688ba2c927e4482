"""The ``invoicekit`` command: its help, ``run-due`` on SQLite and PostgreSQL, bad input, the demo."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest
from typer.testing import CliRunner

import invoicekit as ik
from invoicekit.cli.app import app
from pg import pg_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
RUNNER = CliRunner()
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: 20 days after issue: 6 days past the due date (net 14).
LATER = "2026-03-22T10:00:00+00:00"


def _store(url: str) -> str:
    """A store at ``url`` holding one issued invoice, net 14, of a seller with a dunning policy."""
    billing = ik.Billing.from_url(url, clock=ik.FixedClock(ISSUED))
    with billing:
        seller = billing.sellers.create(
            name="Northwind Studio",
            country="DE",
            currency="EUR",
            timezone="Europe/Berlin",
            terms=ik.NetDays(14),
            dunning=ik.DunningPolicy(steps=[ik.Step(days=3)], skip_weekends=False),
        )
        books = billing.seller(seller.id)
        client = books.customers.create("Globex GmbH", email="ap@globex.example")
        line = ik.Line(
            "Design", quantity=Decimal(1), unit_price=Decimal("100.00"), tax=ik.Vat("19")
        )
        draft = books.invoices.draft(client.id, lines=[line])
        return books.invoices.issue(draft.id).id


def _status(url: str, invoice_id: str) -> str:
    with ik.Billing.from_url(url) as billing:
        [seller] = billing.sellers.list()
        return billing.seller(seller.id).invoices.get(invoice_id).status.value


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).parent / "invoicekit"
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, timeout=300, check=False, env=env
    )


def test_help_lists_the_commands() -> None:
    result = RUNNER.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "run-due" in result.output


def _dry_then_real(db: str, url: str, invoice_id: str) -> None:
    dry = RUNNER.invoke(
        app, ["run-due", "--db", db, "--dry-run", "--now", LATER], terminal_width=200
    )
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output
    assert "planned" in dry.output
    assert "mark_overdue" in dry.output
    assert _status(url, invoice_id) == "pending"  # the dry run wrote nothing
    real = RUNNER.invoke(app, ["run-due", "--db", db, "--now", LATER], terminal_width=200)
    assert real.exit_code == 0, real.output
    assert "mark_overdue" in real.output
    assert "0 done" not in real.output
    assert _status(url, invoice_id) == "overdue"
    again = RUNNER.invoke(app, ["run-due", "--db", db, "--now", LATER], terminal_width=200)
    assert again.exit_code == 0, again.output
    assert "0 done" in again.output  # the second run changes nothing


def test_run_due_dry_run_then_real_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "books.db"
    invoice_id = _store(f"sqlite:///{path}")
    _dry_then_real(str(path), f"sqlite:///{path}", invoice_id)


def test_run_due_dry_run_then_real_on_postgresql(pg_url: str) -> None:  # noqa: F811
    invoice_id = _store(pg_url)
    _dry_then_real(pg_url, pg_url, invoice_id)


FACTORY = """
import invoicekit as ik

CALLS = []


def make(url):
    CALLS.append(url)
    return ik.Billing.from_url(url)


def not_billing(url):
    return "a string"
"""


def test_run_due_builds_billing_with_the_hosts_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "host_billing.py").write_text(FACTORY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "books.db"
    invoice_id = _store(f"sqlite:///{path}")
    result = RUNNER.invoke(
        app, ["run-due", "--db", str(path), "--app", "host_billing:make", "--now", LATER]
    )
    assert result.exit_code == 0, result.output
    import host_billing  # type: ignore[import-not-found]

    assert [f"sqlite:///{path}"] == host_billing.CALLS
    assert _status(f"sqlite:///{path}", invoice_id) == "overdue"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--db", "missing.db"], "no such SQLite file"),
        (["--db", "sqlite:relative.db"], "no such SQLite file"),
        (["--db", "nosuchdriver://host/db"], "cannot open the store"),
        (["--db", "memory://", "--app", "no_such_module_here:make"], "cannot import"),
        (["--db", "memory://", "--app", "json"], "give module:factory"),
        (["--db", "memory://", "--app", "json:no_such_name"], "has no callable"),
        (["--db", "memory://", "--app", "host_billing:not_billing"], "not a Billing"),
        (["--db", "memory://", "--now", "yesterday"], "give ISO 8601"),
        (["--db", "memory://", "--now", "2026-03-01T09:00:00"], "give an offset"),
    ],
)
def test_bad_input_is_exit_code_2_and_a_clear_message(
    args: list[str], says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "host_billing.py").write_text(FACTORY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = RUNNER.invoke(app, ["run-due", *args], terminal_width=300)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output


def test_a_bad_url_as_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    result = _command("run-due", "--db", "postgresql+nosuchdriver://x/y")
    assert result.returncode == 2
    assert "cannot open the store" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_the_command_names_the_extra_when_typer_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from invoicekit import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "typer" else real(name, *a)
    )
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 2
    assert "pip install 'invoicekit[cli]'" in capsys.readouterr().err


def test_the_demo_writes_every_promised_kind(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = _command("demo", "--out", str(out), "--months", "2")
    assert result.returncode == 0, result.stderr
    assert "invoices over 2 months" in result.stdout
    assert "Where to look" in result.stdout
    # The subscriptions: Stark moved from Basic to Pro mid-January, Vandelay pays for usage.
    subs = result.stdout.split("Subscriptions", 1)[1].split("Messages sent", 1)[0]
    for shown in ("Stark Textil", "social-pro", "Vandelay Import", "ads"):
        assert shown in subs
    # Saved cards charged by run_due: first charges (one declined) and a retry of it.
    cards = result.stdout.split("Saved cards charged", 1)[1].split("Where to look", 1)[0]
    first = next(line for line in cards.splitlines() if "first charge" in line)
    retry = next(line for line in cards.splitlines() if "retry" in line)
    assert [int(n) for n in first.split() if n.isdigit()][1] >= 1  # the declined card
    assert sum(int(n) for n in retry.split() if n.isdigit()) >= 1  # retried by run_due
    documents = out / "documents"
    for kind in ("invoice", "reminder", "final_notice", "credit_note", "receipt"):
        assert list((documents / kind).glob("*.html")), f"no {kind} HTML"
    pdf = importlib_has("weasyprint")
    if pdf:
        invoices = list((documents / "invoice").glob("*.html"))
        assert len(list((documents / "invoice").glob("*.pdf"))) >= len(invoices) // 2
        assert list((documents / "credit_note").glob("*.pdf"))
    emails = sorted((out / "emails").glob("*.eml"))
    kinds = {p.name.split("-")[4] for p in emails}
    assert {"invoice", "reminder", "final_notice", "credit_note", "receipt"} <= kinds
    assert "payment_failed" in kinds  # the client whose saved card is declined
    first = email.message_from_bytes(
        next(p for p in emails if "-invoice-" in p.name).read_bytes(), policy=policy.default
    )
    attached = [part.get_content_type() for part in first.iter_attachments()]
    assert attached == (["application/pdf"] if pdf else [])
    assert list((out / "sms").glob("*.json"))
    assert list((out / "in_app").glob("*.json"))
    with ik.Billing.sqlite(out / "billing.db") as billing:
        [seller] = billing.sellers.list()
        books = billing.seller(seller.id)
        card = [p for i in books.invoices.list(limit=500) for p in books.payments.list(i.id)]
        assert any(p.method == "sandbox" for p in card)  # paid by card through the sandbox
        saved = [c for c in books.customers.list(limit=100) if c.payment_method is not None]
        assert {c.name for c in saved} == {"Acme Anvils", "Cyberdyne AG"}
        assert all("Brightside Marketing" in c.payment_method.consent for c in saved)
        assert date(2026, 1, 1) <= min(i.issue_date for i in books.invoices.list(limit=500))
        lines = [
            line
            for i in books.invoices.list(limit=500)
            if i.metadata.get("subscription") is not None
            for line in i.lines
        ]
        assert any(line.description.startswith("Unused time on") for line in lines)  # prorated
        assert any(line.description.startswith("Ad impressions") for line in lines)  # usage
        assert all(line.note for line in lines)  # every line shows its arithmetic


def importlib_has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_the_readme_starts_with_the_demo_and_its_extras_exist() -> None:
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("```console\n", 1)[1].split("```", 1)[0].strip()
    assert first.endswith("invoicekit demo")
    extras = first.split("'.[", 1)[1].split("]'", 1)[0].split(",")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "cli" in extras
    assert set(extras) <= set(declared["optional-dependencies"])
    assert declared["scripts"]["invoicekit"] == "invoicekit.cli:main"
    assert (ROOT / "docs" / "_static" / "screenshots" / "demo-summary.svg").is_file()
