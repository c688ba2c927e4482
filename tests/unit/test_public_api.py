"""The public API (issue 12): ``invoicekit.__all__`` is sorted, complete, importable and documented.

As httpx tests its exports: every public name of the package is in ``__all__`` and
every name in ``__all__`` is in the table of docs/reference/api.md, linked to the
object it names, whose module the reference documents. Importing the package on a
core-only install (the extras' modules blocked in a subprocess) loads no extra.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Final

import attrs
import pytest

import invoicekit
from invoicekit.services.billing import Billing
from invoicekit.services.fields import (
    BillingOptions,
    CustomerChanges,
    CustomerSettings,
    DraftFields,
    SellerChanges,
    SellerFields,
)
from invoicekit.services.invoices import Invoices

DOCS: Final = Path(__file__).resolve().parents[2] / "docs"
API_PAGE: Final = DOCS / "reference" / "api.md"
#: ``{py:class}`Name <invoicekit.module.Name>``` in the table of api.md.
_ROW: Final = re.compile(r"^\| \{py:\w+\}`(\w+) <([\w.]+)>`", re.MULTILINE)
_AUTODOC: Final = re.compile(r"^\.\. auto(?:module|class|function):: ([\w.]+)", re.MULTILINE)


def test_all_is_sorted_without_duplicates() -> None:
    assert invoicekit.__all__ == sorted(set(invoicekit.__all__))


def test_every_public_name_of_the_package_is_in_all() -> None:
    public = {
        name
        for name in dir(invoicekit)  # with the names imported on first use
        if not name.startswith("_") and not isinstance(getattr(invoicekit, name), types.ModuleType)
    }
    assert sorted(public - set(invoicekit.__all__)) == []


def test_every_name_in_all_is_importable() -> None:
    for name in invoicekit.__all__:
        assert getattr(invoicekit, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    assert not hasattr(invoicekit, "to_pdf")


def test_what_the_docs_import_from_deep_modules_is_exported() -> None:
    wanted = {"ElectronicAddress", "Contact", "TemplateRenderer", "SmtpNotifier"}
    wanted |= {"ManualPayments", "FixedClock", "to_ubl", "to_cii", "to_facturx", "read_facturx"}
    assert sorted(wanted - set(invoicekit.__all__)) == []


_DEEP_IMPORT: Final = re.compile(
    r"^\s*from (invoicekit\.[\w.]+) import (?:\(([^)]*)\)|([\w, ]+))", re.MULTILINE
)


def test_docs_readme_and_examples_import_top_level_names_from_invoicekit() -> None:
    root = DOCS.parent
    pages = [*DOCS.glob("*/*.md"), root / "README.md", *(root / "examples").glob("*.py")]
    deep = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for module, wrapped, names in _DEEP_IMPORT.findall(text):
            for name in filter(None, (n.strip() for n in (wrapped or names).split(","))):
                try:
                    value = getattr(importlib.import_module(module), name, None)
                except ImportError:  # that module's extra is not installed here (a core-only
                    continue  # run on another Python); the full-extras run checks it
                if name in invoicekit.__all__ and value is getattr(invoicekit, name):
                    deep.append(f"{page.name}: from {module} import {name}")
    assert deep == [], "import these from invoicekit"


def _documented_paths() -> set[str]:
    return {
        path
        for page in (DOCS / "reference").glob("*.md")
        for path in _AUTODOC.findall(page.read_text(encoding="utf-8"))
    }


def test_every_name_in_all_is_in_the_api_reference_and_links_to_its_object() -> None:
    rows = _ROW.findall(API_PAGE.read_text(encoding="utf-8"))
    assert sorted(name for name, _ in rows) == invoicekit.__all__
    documented = _documented_paths()
    for name, target in rows:
        module, _, attr = target.rpartition(".")
        value = getattr(invoicekit, name)
        if isinstance(value, types.ModuleType):
            assert value.__name__ == target
            assert target in documented, f"{target}: no automodule in docs/reference"
        else:
            assert getattr(importlib.import_module(module), attr) is value, target
            assert {target, module} & documented, f"{target}: not in docs/reference"


def _dist(name: str) -> str:
    """A distribution name in its normal form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _extra_modules() -> list[str]:
    """Top-level modules installed by invoicekit's extras only (not by a core dependency)."""
    requires = importlib.metadata.requires("invoicekit") or []
    first = re.compile(r"[A-Za-z0-9._-]+")
    named = [(_dist(m.group()), "extra ==" in req) for req in requires if (m := first.match(req))]
    core = {name for name, extra in named if not extra}
    extras = {name for name, extra in named if extra} - {"invoicekit"}
    return sorted(
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if {_dist(d) for d in dists} & extras
        and not {_dist(d) for d in dists} & core
        and module.isidentifier()
    )


def _run_core_only(code: str) -> str:
    """Run ``code`` in a fresh interpreter where importing any extra's module fails."""
    # The extras installed here, and the main ones by name (a core-only install has none).
    blocked = sorted(
        {*_extra_modules(), "lxml", "segno", "sqlalchemy", "phonenumbers", "weasyprint"}
    )
    script = f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
    done = subprocess.run(
        [sys.executable, "-c", script + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_invoicekit_on_a_core_only_install_loads_no_extra() -> None:
    out = _run_core_only(
        """
        import invoicekit
        print(sorted(m for m in sys.modules if ".adapters." in m or ".testing" in m))
        from invoicekit import *  # noqa: F403
        names = [getattr(invoicekit, name) for name in invoicekit.__all__]
        loaded = [m for m in sys.modules if sys.modules[m] is not None]
        print(sorted(m for m in loaded if m.partition(".")[0] in BLOCKED))
        """.replace("BLOCKED", repr(_extra_modules()))
    )
    # The adapters are imported when first used, the extras' modules never.
    assert out.split() == ["[]", "[]"]


def test_template_renderer_works_on_a_core_only_install_without_the_qr_code() -> None:
    out = _run_core_only(
        """
        from datetime import UTC, datetime
        import invoicekit as ik
        from invoicekit.adapters.render import TemplateRenderer
        from invoicekit.testing.clock import FixedClock
        clock = FixedClock(datetime(2026, 5, 1, tzinfo=UTC))
        billing = ik.Billing.in_memory(clock=clock)
        seller = billing.sellers.create(
            name="Acme", country="DE", currency="EUR",
            bank_account=ik.BankAccount("DE89 3704 0044 0532 0130 00"),
        )
        books = billing.seller(seller.id)
        customer = books.customers.create("Hooli", email="ap@example.com")
        draft = books.invoices.draft(customer.id, lines=[ik.Line("Work", quantity="1", unit_price="10.00", tax=ik.Vat("19"))])
        invoice = books.invoices.issue(draft.id)
        html = TemplateRenderer().render("invoice", invoice).content.decode()
        print("DE89 3704" in html, "image/svg+xml" in html)
        """
    )
    assert out.split() == ["True", "False"]


def test_the_e_invoice_validator_without_the_extra_is_a_missing_extra_error() -> None:
    out = _run_core_only(
        """
        from invoicekit import MissingExtraError
        for module, name in [
            ("invoicekit.einvoice.validation", "validate"),
            ("invoicekit.einvoice", "validate"),
        ]:
            try:
                getattr(__import__(module, fromlist=[name]), name)
            except MissingExtraError as exc:
                print(exc)
        """
    )
    assert (
        out.splitlines()
        == ["e-invoice validation needs 'lxml.etree': pip install 'invoicekit[einvoice]'"] * 2
    )


def test_notifiers_is_the_one_way_to_pass_notifiers() -> None:
    assert "notifier" not in inspect.signature(Billing).parameters
    assert "notifiers" in inspect.signature(Billing).parameters


def test_the_typed_keywords_name_every_field_and_option() -> None:
    # A new Seller/Customer field or Billing option fails here until fields.py lists it.
    seller = {f.name for f in attrs.fields(invoicekit.Seller)} - {"id"}
    customer = {f.name for f in attrs.fields(invoicekit.Customer)} - {"id", "seller_id"}
    named = {"name", "email", "phone", "address", "channels"}  # customers.create's own
    assert SellerFields.__required_keys__ == {"name", "country", "currency"}
    assert SellerFields.__optional_keys__ | SellerFields.__required_keys__ == seller
    assert SellerChanges.__optional_keys__ == seller
    assert CustomerChanges.__optional_keys__ == customer
    assert CustomerSettings.__optional_keys__ == customer - named
    options = set(inspect.signature(Billing).parameters) - {"storage"}
    assert BillingOptions.__optional_keys__ == options
    draft = set(inspect.signature(Invoices.draft).parameters) - {"self", "idempotency_key"}
    assert DraftFields.__required_keys__ == {"customer_id", "lines"}
    assert DraftFields.__optional_keys__ | DraftFields.__required_keys__ == draft


def test_a_seller_field_left_out_is_a_validation_error_naming_it() -> None:
    billing = Billing.in_memory()
    with pytest.raises(invoicekit.ValidationError) as caught:
        billing.sellers.create(country="DE")  # type: ignore[call-arg]
    assert [p.path for p in caught.value.problems] == ["currency", "name"]
    assert "a seller needs country, currency, name" in str(caught.value)
    assert billing.sellers.list() == []
