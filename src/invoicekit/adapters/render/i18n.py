"""Message catalogs: the ``.po`` files shipped with the package, compiled in memory at first use.

English is the source language. No ``.mo`` binaries are kept in git: each
catalog is read with Babel and compiled once per process, per locale.
"""

from __future__ import annotations

import functools
from importlib import resources
from io import BytesIO
from typing import Final

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["DOMAIN", "available_locales", "translations"]

#: The gettext domain of invoicekit's catalogs.
DOMAIN: Final = "invoicekit"
_LOCALE_DIR: Final = "locale"


def _catalog_file(language: str) -> resources.abc.Traversable | None:
    path = (
        resources.files(__package__ or "invoicekit.adapters.render")
        / _LOCALE_DIR
        / language
        / "LC_MESSAGES"
        / f"{DOMAIN}.po"
    )
    return path if path.is_file() else None


def available_locales() -> tuple[str, ...]:
    """The languages with a shipped catalog, English (the source) first."""
    base = resources.files(__package__ or "invoicekit.adapters.render") / _LOCALE_DIR
    found = sorted(p.name for p in base.iterdir() if p.is_dir() and _catalog_file(p.name))
    return ("en", *found)


@functools.lru_cache(maxsize=32)
def _compiled(name: str) -> NullTranslations:
    """Compile the shipped catalog ``name`` ('de', 'de_CH') or return no translations."""
    source = _catalog_file(name)
    if source is None:
        return NullTranslations()
    with source.open("rb") as fh:
        catalog = read_po(fh, locale=name, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def translations(locale: Locale) -> NullTranslations:
    """The translations for ``locale``: its own catalog ('de_CH'), else its language's ('de').

    English, and any language without a catalog, gets the source strings.
    """
    for name in (str(locale), locale.language):
        if _catalog_file(name) is not None:
            return _compiled(name)
    return NullTranslations()
