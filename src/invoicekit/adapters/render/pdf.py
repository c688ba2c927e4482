"""PDF documents drawn by WeasyPrint from the same HTML, with a URL fetcher that fetches nothing outside.

Documents embed their images as ``data:`` URIs, so the fetcher refuses every
other URL: no ``file://`` (a template or logo cannot read the server's files)
and no ``http(s)://`` (rendering never reaches the network). The only other
URLs served are the package's own resources, as ``invoicekit-resource:<path>``.

Speed: a document styled by the package's ``document.css`` alone (every
package template) is drawn with that sheet parsed once per process, followed
by the PDF-only ``templates/pdf.css`` (block layout instead of flex and grid,
fixed table widths), with one font configuration per thread: about half the
CPU of WeasyPrint's plain path, the same page look.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

from invoicekit._extras import require
from invoicekit.errors import ConfigurationError

__all__ = ["RESOURCE_SCHEME", "refuse_reason", "render_pdf"]

#: The URL scheme of files shipped in this package (``invoicekit-resource:templates/x.css``).
RESOURCE_SCHEME: Final = "invoicekit-resource:"
_PACKAGE: Final = __package__ or "invoicekit.adapters.render"
_LOG: Final = logging.getLogger(__name__)
#: The one ``<style>`` element of a document, its text in group 1.
_STYLE: Final = re.compile(r"<style>(.*?)</style>", re.DOTALL | re.IGNORECASE)
#: Other ways a document brings styles in; then it is drawn the plain way.
_OTHER_STYLES: Final = re.compile(r"<style\b|<link\b", re.IGNORECASE)
_THREAD: Final = threading.local()


def refuse_reason(url: str) -> str | None:
    """Why ``url`` must not be fetched, or None for a ``data:`` URL or a package resource."""
    lowered = url.strip().lower()
    if lowered.startswith("data:"):
        return None
    if lowered.startswith(RESOURCE_SCHEME):
        parts = url.strip()[len(RESOURCE_SCHEME) :].split("/")
        if any(p in ("", ".", "..") or "\\" in p for p in parts):
            return "package resource paths may not leave the package"
        return None
    return "documents fetch only data: URLs and invoicekit's own resources"


def _resource(url: str) -> bytes:
    target = resources.files(_PACKAGE)
    for part in url.strip()[len(RESOURCE_SCHEME) :].split("/"):
        target = target / part
    return target.read_bytes()


@functools.cache
def _fetcher_class() -> type[Any]:
    """A WeasyPrint ``URLFetcher`` that serves data: URLs and package resources only."""
    weasyprint_urls = require("weasyprint.urls", extra="pdf", feature="PDF rendering")

    class RestrictedFetcher(weasyprint_urls.URLFetcher):  # type: ignore[misc,name-defined]
        """Refuses file://, http(s):// and every other scheme; logs each refusal."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=["data"], allow_redirects=False)

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            reason = refuse_reason(url)
            if reason is not None:
                _LOG.warning("refused to fetch %.200r while rendering a PDF: %s", url, reason)
                raise ValueError(f"refused {url[:200]!r}: {reason}")
            if url.strip().lower().startswith(RESOURCE_SCHEME):
                return weasyprint_urls.URLFetcherResponse(url, _resource(url))
            return super().fetch(url, headers)

    return RestrictedFetcher


@functools.lru_cache(maxsize=64)
def _sheet(css: str) -> Any:
    """``css`` parsed by WeasyPrint once per process (one entry per seller's colours)."""
    weasyprint = require("weasyprint", extra="pdf", feature="PDF rendering")
    return weasyprint.CSS(string=css, url_fetcher=_fetcher_class()())


@functools.cache
def _package_mark() -> str:
    """The first line of the package's ``document.css``, the sheet ``pdf.css`` is written against."""
    return _resource(f"{RESOURCE_SCHEME}templates/document.css").decode("utf-8").splitlines()[0]


def _font_config() -> Any:
    """This thread's WeasyPrint font configuration, so Pango's font caches outlive one document.

    Per thread because Pango font maps are not thread-safe; only documents
    without ``@font-face`` use it, so no document's fonts reach another's.
    """
    config = getattr(_THREAD, "font_config", None)
    if config is None:
        fonts = require("weasyprint.text.fonts", extra="pdf", feature="PDF rendering")
        config = _THREAD.font_config = fonts.FontConfiguration()
    return config


def _lifted(html: str) -> tuple[str, list[Any], Any]:
    """``html`` without its ``<style>`` element, the sheets and the font configuration to draw it with.

    Only a document styled by the package's ``document.css`` alone (one
    ``<style>``, no ``<link>``, no ``@font-face``) is lifted, and drawn with
    ``pdf.css`` after it; any other is returned unchanged, drawn the plain way.
    """
    found = _STYLE.search(html)
    if found is None or _package_mark() not in found.group(1) or "@font-face" in found.group(1):
        return html, [], None
    rest = html[: found.start()] + html[found.end() :]
    if _OTHER_STYLES.search(rest):
        return html, [], None
    print_sheet = _resource(f"{RESOURCE_SCHEME}templates/pdf.css").decode("utf-8")
    return rest, [_sheet(found.group(1)), _sheet(print_sheet)], _font_config()


def render_pdf(html: str, *, options: Mapping[str, Any] | None = None) -> bytes:
    """The PDF of ``html`` (A4 through the document's print CSS), fetching nothing outside.

    ``options`` go to ``weasyprint.HTML.write_pdf`` (``pdf_variant``, ``uncompressed_pdf``, ...).
    Raises MissingExtraError without the ``pdf`` extra and ConfigurationError when
    WeasyPrint refuses an option.
    """
    weasyprint = require("weasyprint", extra="pdf", feature="PDF rendering")
    body, sheets, font_config = _lifted(html)
    document = weasyprint.HTML(string=body, url_fetcher=_fetcher_class()())
    chosen = dict(options or {})
    sheets.extend(chosen.pop("stylesheets", None) or ())
    chosen.setdefault("font_config", font_config)
    try:
        data: bytes = document.write_pdf(stylesheets=sheets, **chosen)
    except TypeError as exc:
        raise ConfigurationError(
            f"WeasyPrint refused the PDF options {sorted(options or {})}: {exc}; "
            "pass only options weasyprint.HTML.write_pdf accepts"
        ) from exc
    return data
