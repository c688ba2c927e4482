"""The pytest plugin, run as a host application's suite would run it (through ``pytester``).

The how-to page's examples are the host's tests: they are taken from the page and
run, so the page shows code that passes and the failure message pytest really prints.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

# Imported here, before any inner run, so pytester's module snapshot keeps them:
# an inner run that imported them first would leave the outer run a second copy.
import invoicekit.adapters.notify.smtp
import invoicekit.adapters.render
import invoicekit.testing.pytest_plugin
import invoicekit.testing.smtp

pytest_plugins = ["pytester"]

PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "test-your-billing-code.md"
PLUGIN = "invoicekit.testing.pytest_plugin"
# `-p invoicekit` loads the entry point even where PYTEST_DISABLE_PLUGIN_AUTOLOAD is set.
ARGS = ("-p", "invoicekit", "-p", "no:cacheprovider")


def fenced(kind: str) -> list[str]:
    """The page's code blocks of one kind (python, text), in order."""
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{kind}\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def test_the_plugin_is_a_pytest11_entry_point() -> None:
    [entry] = [
        e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "invoicekit"
    ]
    assert entry.value == PLUGIN


def test_the_page_examples_pass_and_the_failure_reads_as_the_page_shows(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_page="\n\n".join(fenced("python")))

    result = pytester.runpytest(*ARGS)

    # One example fails on purpose, to show the message.
    result.assert_outcomes(passed=4, failed=1)
    reported = [line.removeprefix("E").strip() for line in result.outlines if line.startswith("E ")]
    [shown] = fenced("text")
    for line in shown.splitlines():
        assert line.strip() in reported, "\n".join(result.outlines)


def test_every_fixture_is_named_invoicekit_something(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", *ARGS)

    ours = [
        line.split()[0]
        for line in result.outlines
        if "invoicekit/testing/pytest_plugin.py:" in line
    ]
    assert sorted(ours) == sorted(
        name for name in invoicekit.testing.pytest_plugin.__all__ if name != "START"
    )
    assert all(name.startswith("invoicekit_") for name in ours)


def test_the_smtp_server_stops_after_the_test_and_leaves_nothing_open(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import gc
        import smtplib
        import socket

        import pytest

        PORTS = []
        HELD = []


        def test_sends_and_ends_with_a_connection_open(invoicekit_smtp):
            PORTS.append(invoicekit_smtp.port)
            with smtplib.SMTP(invoicekit_smtp.host, invoicekit_smtp.port) as client:
                client.sendmail("a@x.example", ["b@y.example"], b"Subject: hi\\r\\n\\r\\nhi")
            assert [m.rcpt_tos for m in invoicekit_smtp.wait_for(1)] == [("b@y.example",)]
            HELD.append(socket.create_connection((invoicekit_smtp.host, invoicekit_smtp.port)))
            assert HELD[0].recv(100).startswith(b"220")


        def test_then_nothing_listens_and_nothing_is_left_to_collect():
            HELD.pop().close()
            gc.collect()  # an unclosed transport of the server would warn here
            with pytest.raises(OSError):
                smtplib.SMTP("127.0.0.1", PORTS[0], timeout=5)
        """
    )

    strict = (
        "-W",
        "error::pytest.PytestUnraisableExceptionWarning",
        "-W",
        "error::ResourceWarning",
    )
    pytester.runpytest(*strict, *ARGS).assert_outcomes(passed=2)


def test_each_test_gets_its_own_billing_clock_and_messages(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        import invoicekit as ik


        @pytest.mark.parametrize("run", [1, 2])
        def test_fresh(run, invoicekit_books, invoicekit_clock, invoicekit_sent):
            assert invoicekit_clock.now().isoformat() == "2026-03-02T09:00:00+00:00"
            assert len(invoicekit_sent) == 0
            customer = invoicekit_books.customers.create("Globex", email="ap@globex.example")
            invoicekit_clock.advance(days=40)
            line = ik.Line("Retainer", quantity="1", unit_price="100.00", tax=ik.Vat("19"))
            draft = invoicekit_books.invoices.draft(customer.id, lines=[line])
            assert invoicekit_books.invoices.list() == [draft]
        """
    )

    pytester.runpytest(*ARGS).assert_outcomes(passed=2)


def test_loading_the_plugin_imports_no_adapter_and_no_extra() -> None:
    # The packages above it (invoicekit, invoicekit.testing) are imported with it: that
    # cost is `import invoicekit`'s; the plugin itself adds no renderer, notifier or extra.
    code = (
        f"import sys, {PLUGIN}; "
        "print(sorted(m for m in sys.modules if m.startswith("
        "('invoicekit.adapters.render', 'invoicekit.adapters.notify', "
        "'invoicekit.testing.smtp', 'jinja2', 'aiosmtpd', 'sqlalchemy', 'lxml'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
