"""invoicekit._extras.require: lazy imports of extras and the error naming the extra."""

from __future__ import annotations

import json

import pytest

from invoicekit._extras import require
from invoicekit.errors import ConfigurationError, InvoiceKitError, MissingExtraError

MISSING = "invoicekit_no_such_module_9f3a7c"


def test_require_returns_the_imported_module() -> None:
    assert require("json", extra="unused", feature="JSON export") is json


def test_require_imports_a_dotted_submodule() -> None:
    module = require("json.decoder", extra="unused", feature="JSON export")

    assert module.__name__ == "json.decoder"


def test_missing_module_raises_missing_extra_error_naming_the_extra() -> None:
    with pytest.raises(MissingExtraError) as caught:
        require(MISSING, extra="pdf", feature="PDF rendering")

    assert str(caught.value) == f"PDF rendering needs {MISSING!r}: pip install 'invoicekit[pdf]'"


def test_missing_module_error_is_catchable_as_import_and_configuration_error() -> None:
    with pytest.raises(MissingExtraError) as caught:
        require(MISSING, extra="stripe", feature="StripePayments")

    assert isinstance(caught.value, ImportError)
    assert isinstance(caught.value, ConfigurationError)
    assert isinstance(caught.value, InvoiceKitError)


def test_missing_module_error_chains_the_original_import_error() -> None:
    with pytest.raises(MissingExtraError) as caught:
        require(MISSING, extra="web", feature="the web extra")

    cause = caught.value.__cause__
    assert isinstance(cause, ModuleNotFoundError)
    assert cause.name == MISSING


def test_missing_submodule_of_an_existing_package_is_reported_too() -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'invoicekit\[sqlalchemy\]'"):
        require("json.no_such_submodule", extra="sqlalchemy", feature="SqlAlchemyStorage")
