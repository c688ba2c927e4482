"""``TemplateRenderer``: the Renderer port over Jinja2 templates, Babel formatting and WeasyPrint.

Templates come through a loader chain (the host's first, then the package's).
Templates a seller supplies are untrusted and run in Jinja2's immutable
sandbox. Customer data only ever enters as values of the template context.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import re
import textwrap
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import jinja2
from jinja2.exceptions import SecurityError, TemplateError, TemplateNotFound, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from invoicekit._extras import require
from invoicekit.adapters.render.branding import Branding
from invoicekit.adapters.render.formatting import Formatter, formatter
from invoicekit.adapters.render.i18n import translations
from invoicekit.adapters.render.pdf import render_pdf
from invoicekit.adapters.render.summary import lines_summary
from invoicekit.adapters.render.view import build_view, document_locale
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Seller
from invoicekit.errors import ConfigurationError, ValidationError, problem
from invoicekit.ports import DOCUMENT_KINDS, MEDIA_TYPES, DocumentContext, RenderedDocument

__all__ = ["SHORT_TEXT_LIMIT", "TEXT_WIDTH", "TemplateRenderer"]

#: Characters of a short text (an SMS) before the payment link.
SHORT_TEXT_LIMIT: Final = 160
#: Plain-text documents are wrapped at this width.
TEXT_WIDTH: Final = 76
_SUFFIX: Final = {
    "text/html": ".html",
    "application/pdf": ".html",
    "text/plain": ".txt",
    "text/x-short": ".short.txt",
}
_EXTENSION: Final = {
    "text/html": "html",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/x-short": "txt",
}
_UNSAFE_FILENAME: Final = re.compile(r"[^A-Za-z0-9._-]+")
_BLANK_RUNS: Final = re.compile(r"\n{3,}")
#: The fewest characters worth giving the summary of the lines in a short text.
_SHORT_SUMMARY_MIN: Final = 12

BrandingOption = Branding | Callable[[Seller], Branding] | None


def _package_loader() -> jinja2.BaseLoader:
    return jinja2.FileSystemLoader(Path(__file__).with_name("templates"))


def _host_loader(templates: str | Path | jinja2.BaseLoader | None) -> jinja2.BaseLoader:
    package = _package_loader()
    if templates is None:
        return package
    if isinstance(templates, jinja2.BaseLoader):
        return jinja2.ChoiceLoader([templates, package])
    folder = Path(templates)
    if not folder.is_dir():
        raise ConfigurationError(
            f"templates folder {str(folder)!r} does not exist; pass an existing folder or a Jinja2 loader"
        )
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), package])


def _environment(
    cls: type[jinja2.Environment], loader: jinja2.BaseLoader, locale: Formatter
) -> jinja2.Environment:
    env = cls(
        loader=loader,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
    )
    env.install_gettext_translations(translations(locale.locale), newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    return env


@functools.lru_cache(maxsize=256)
def _qr_uri(payload: str) -> str:
    from invoicekit.adapters.epc import qr_svg

    svg = qr_svg(payload)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _epc_qr(invoice: Invoice) -> str | None:
    """The EPC QR code of ``invoice`` as a data: URI, or None when none applies."""
    from invoicekit.adapters.epc import epc_payload

    payload = epc_payload(invoice)
    return None if payload is None else _qr_uri(payload)


def _wrap(text: str) -> str:
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if len(line) <= TEXT_WIDTH:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        bullet = indent + "  " if line.lstrip().startswith("- ") else indent
        out.extend(
            textwrap.wrap(
                line,
                TEXT_WIDTH,
                subsequent_indent=bullet,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return _BLANK_RUNS.sub("\n\n", "\n".join(out).strip("\n")) + "\n"


def _short(text: str, link: str | None) -> str:
    body = " ".join(text.split())
    if len(body) > SHORT_TEXT_LIMIT:
        body = body[: SHORT_TEXT_LIMIT - 1].rstrip() + "…"
    return f"{body} {link}" if link else body


class TemplateRenderer:
    """Renders invoices, credit notes, reminders, final notices and receipts as HTML, text and PDF.

    Args:
        branding: one ``Branding`` for every seller, or a function giving each seller's.
        templates: a folder or Jinja2 loader whose templates replace the package's
            of the same name (``invoice.html``, ``base.html``, ``document.css``, ...).
        seller_templates: templates supplied by sellers, ``{seller id: {name: source}}``;
            they are untrusted and run in Jinja2's immutable sandbox.
        pdf_options: keyword arguments for ``weasyprint.HTML.write_pdf``.
        qr: draw the EPC QR code for EUR bank transfers: None (the default) when the
            ``qr`` extra is installed, True always (it needs the extra), False never
            (the bank details are printed either way).

    Raises MissingExtraError when ``qr`` is True without the ``qr`` extra, and
    ValidationError when a seller template does not compile.
    """

    def __init__(
        self,
        *,
        branding: BrandingOption = None,
        templates: str | Path | jinja2.BaseLoader | None = None,
        seller_templates: Mapping[str, Mapping[str, str]] | None = None,
        pdf_options: Mapping[str, Any] | None = None,
        qr: bool | None = None,
    ) -> None:
        if qr is None:
            qr = importlib.util.find_spec("segno") is not None
        if qr:
            require(
                "segno",
                extra="qr",
                feature="EPC QR codes on documents (or pass TemplateRenderer(qr=False))",
            )
        self._qr = qr
        self._branding = branding
        self._loader = _host_loader(templates)
        self._seller_templates = {
            seller: dict(sources) for seller, sources in (seller_templates or {}).items()
        }
        self._pdf_options = dict(pdf_options or {})
        self._lock = threading.Lock()
        self._envs: dict[tuple[str | None, str], jinja2.Environment] = {}
        self._check_seller_templates()

    def __repr__(self) -> str:
        sellers = sorted(self._seller_templates)
        return f"TemplateRenderer(seller_templates={sellers!r}, qr={self._qr!r})"

    def _check_seller_templates(self) -> None:
        found = []
        env = _environment(ImmutableSandboxedEnvironment, self._loader, formatter("en"))
        for seller, sources in self._seller_templates.items():
            for name, source in sources.items():
                path = f"seller_templates[{seller!r}][{name!r}]"
                if not isinstance(source, str):
                    found.append(problem(path, "must be template source text", source))
                    continue
                try:
                    env.parse(source, name=name)
                except TemplateSyntaxError as exc:
                    found.append(
                        problem(path, f"does not compile: {exc.message} (line {exc.lineno})")
                    )
        if found:
            raise ValidationError(found, subject="seller templates")

    def _environment(self, seller_id: str, fmt: Formatter) -> jinja2.Environment:
        sandboxed = seller_id in self._seller_templates
        key = (seller_id if sandboxed else None, str(fmt.locale))
        with self._lock:
            env = self._envs.get(key)
            if env is None:
                if sandboxed:
                    loader = jinja2.ChoiceLoader(
                        [jinja2.DictLoader(self._seller_templates[seller_id]), self._loader]
                    )
                    env = _environment(ImmutableSandboxedEnvironment, loader, fmt)
                else:
                    env = _environment(jinja2.Environment, self._loader, fmt)
                self._envs[key] = env
        return env

    def _brand(self, seller: Seller) -> Branding:
        option = self._branding
        if option is None:
            return Branding()
        brand = option if isinstance(option, Branding) else option(seller)
        if not isinstance(brand, Branding):
            raise ConfigurationError(
                f"the branding function returned {type(brand).__name__} for seller {seller.id!r}; "
                "it must return a Branding"
            )
        return brand

    def render(
        self,
        kind: str,
        invoice: Invoice,
        *,
        media_type: str = "text/html",
        context: DocumentContext | None = None,
    ) -> RenderedDocument:
        """Render ``kind`` of ``invoice`` as ``media_type`` in the customer's language.

        Raises ValidationError for an unknown kind or media type, a draft, a context
        lacking what the kind needs, or a seller template that breaks the sandbox;
        ConfigurationError for a failing host template; MissingExtraError for PDF
        without the ``pdf`` extra.
        """
        if kind not in DOCUMENT_KINDS or media_type not in MEDIA_TYPES:
            raise ValidationError(
                [
                    problem(
                        "kind" if kind not in DOCUMENT_KINDS else "media_type",
                        f"kinds: {', '.join(DOCUMENT_KINDS)}; media types: {', '.join(MEDIA_TYPES)}",
                        kind if kind not in DOCUMENT_KINDS else media_type,
                    )
                ],
                subject="document",
            )
        fmt = formatter(document_locale(invoice))
        seller = invoice.seller
        brand = self._brand(seller) if seller is not None else Branding()
        view = build_view(
            kind,
            invoice,
            context,
            fmt=fmt,
            t=translations(fmt.locale),
            branding=brand,
            qr=_epc_qr if self._qr else None,
        )
        assert seller is not None  # noqa: S101 - build_view refuses drafts
        name = kind + _SUFFIX[media_type]
        text = self._render_template(seller.id, fmt, name, view)
        if media_type == "text/x-short" and not view["settled"]:
            text = self._with_summary(seller.id, fmt, name, view, invoice, text)
        if media_type == "text/plain":
            content = _wrap(text).encode("utf-8")
        elif media_type == "text/x-short":
            content = _short(text, view["pay"]["link"]).encode("utf-8")
        elif media_type == "application/pdf":
            content = render_pdf(text, options=self._pdf_options)
        else:
            content = text.encode("utf-8")
        number = _UNSAFE_FILENAME.sub("-", view["document_number"]).strip("-")
        short = "-short" if media_type == "text/x-short" else ""
        return RenderedDocument(
            media_type=media_type,
            content=content,
            filename=f"{kind.replace('_', '-')}-{number}{short}.{_EXTENSION[media_type]}",
            title=view["title"],
        )

    def _with_summary(  # noqa: PLR0917 - private, one call site
        self,
        seller_id: str,
        fmt: Formatter,
        name: str,
        view: dict[str, Any],
        invoice: Invoice,
        bare: str,
    ) -> str:
        """The short text again, with the summary of the lines cut to the room one SMS leaves."""

        def length(what: str) -> int:
            short = {**view["short"], "what": what}
            text = self._render_template(seller_id, fmt, name, {**view, "short": short})
            return len(" ".join(text.split()))

        used = len(" ".join(bare.split()))
        room = SHORT_TEXT_LIMIT - used - (length("x") - used - 1)
        if room < _SHORT_SUMMARY_MIN:
            return bare
        what = lines_summary(invoice.lines, fmt, translations(fmt.locale), limit=room)
        short = {**view["short"], "what": what}
        return self._render_template(seller_id, fmt, name, {**view, "short": short})

    def _render_template(
        self, seller_id: str, fmt: Formatter, name: str, view: Mapping[str, Any]
    ) -> str:
        env = self._environment(seller_id, fmt)
        sandboxed = isinstance(env, ImmutableSandboxedEnvironment)
        try:
            return env.get_template(name).render(view)
        except SecurityError as exc:
            raise ValidationError(
                [
                    problem(
                        f"seller_templates[{seller_id!r}]",
                        f"template {name!r} tried an operation the sandbox forbids ({exc}); "
                        "seller templates may only print the document's values",
                    )
                ],
                subject="seller template",
            ) from exc
        except TemplateNotFound as exc:
            if sandboxed:
                raise ValidationError(
                    [
                        problem(
                            f"seller_templates[{seller_id!r}]",
                            f"template {name!r} needs {exc.name!r}, which does not exist",
                        )
                    ],
                    subject="seller template",
                ) from exc
            raise ConfigurationError(
                f"no template {exc.name!r} for {name!r}: the host's templates must provide it "
                "or leave the package's in the loader chain"
            ) from exc
        except TemplateError as exc:
            if sandboxed:
                raise ValidationError(
                    [
                        problem(
                            f"seller_templates[{seller_id!r}]", f"template {name!r} failed: {exc}"
                        )
                    ],
                    subject="seller template",
                ) from exc
            raise ConfigurationError(f"template {name!r} failed: {exc}; fix the template") from exc
