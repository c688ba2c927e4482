"""Lazy import of an optional dependency, failing with the command that installs it.

An adapter that needs a third-party package (SQLAlchemy, WeasyPrint, Stripe, ...)
imports it through :func:`require` at the moment it is used, so ``import
invoicekit`` works with the core dependencies alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from invoicekit.errors import MissingExtraError

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["require"]


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import and return ``module``, which ``pip install 'invoicekit[extra]'`` provides.

    Args:
        module: the dotted module name to import, e.g. ``"sqlalchemy"``.
        extra: the invoicekit extra that installs it, e.g. ``"sqlalchemy"``.
        feature: what needs it, for the message, e.g. ``"SqlAlchemyStorage"``.

    Raises:
        MissingExtraError: the module cannot be imported; the message names the
            feature, the module and the ``pip install`` command to run, and the
            original ``ImportError`` is chained as its cause.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{feature} needs {module!r}: pip install 'invoicekit[{extra}]'"
        ) from exc
