"""Per-seller branding of documents: logo, colours, footer and legal lines.

The logo is embedded as a ``data:`` URI (documents never fetch anything), and
the colours are checked so text drawn on them stays readable.
"""

from __future__ import annotations

import base64
import re
from typing import Final

import attrs

from invoicekit.errors import ValidationError, problem

__all__ = ["Branding", "logo_media_type", "readable_on"]

_COLOR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_MAX_LOGO: Final = 512 * 1024
_MAX_TEXT: Final = 500
_MAX_LEGAL_LINES: Final = 10


def logo_media_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG or SVG image, told by its first bytes; None otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        return "image/svg+xml"
    return None


def _color(value: object) -> str:
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise ValidationError(
            [problem("color", "must be a colour like '#1f4e79' (#rrggbb)", value)],
            subject="branding",
        )
    return value.lower()


def _legal_lines(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if value is None:
        return ()
    return tuple(value)  # type: ignore[arg-type]  # any iterable of str; checked below


def _luminance(color: str) -> float:
    """WCAG relative luminance of '#rrggbb'."""
    channels = []
    for i in (1, 3, 5):
        c = int(color[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)  # noqa: PLR2004 - WCAG constants
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def readable_on(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` ('#rrggbb')."""
    lum = _luminance(background)
    on_white = (1.0 + 0.05) / (lum + 0.05)
    on_black = (lum + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#111111"


@attrs.frozen
class Branding:
    """How one seller's documents look: logo (PNG, JPEG or SVG bytes), colours, footer, legal lines.

    Raises ValidationError for a colour that is not ``#rrggbb``, a logo that is not
    PNG, JPEG or SVG (or above 512 KiB), or footer and legal lines that are not text.
    """

    logo: bytes | None = attrs.field(default=None, repr=False)
    primary_color: str = attrs.field(default="#1f4e79", converter=_color)
    accent_color: str = attrs.field(default="#b3541e", converter=_color)
    footer: str | None = None
    legal_lines: tuple[str, ...] = attrs.field(default=(), converter=_legal_lines)

    def __attrs_post_init__(self) -> None:
        found = []
        if self.logo is not None and (
            not isinstance(self.logo, bytes)
            or len(self.logo) > _MAX_LOGO
            or logo_media_type(self.logo) is None
        ):
            found.append(
                problem("logo", "must be the bytes of a PNG, JPEG or SVG image of at most 512 KiB")
            )
        if self.footer is not None and (
            not isinstance(self.footer, str) or len(self.footer) > _MAX_TEXT
        ):
            found.append(
                problem("footer", f"must be text of at most {_MAX_TEXT} characters", self.footer)
            )
        if len(self.legal_lines) > _MAX_LEGAL_LINES or not all(
            isinstance(line, str) and line.isprintable() and len(line) <= _MAX_TEXT
            for line in self.legal_lines
        ):
            found.append(
                problem(
                    "legal_lines",
                    f"must be at most {_MAX_LEGAL_LINES} lines of printable text",
                    self.legal_lines,
                )
            )
        if found:
            raise ValidationError(found, subject="branding")

    @property
    def logo_uri(self) -> str | None:
        """The logo as a ``data:`` URI, or None."""
        if self.logo is None:
            return None
        kind = logo_media_type(self.logo)
        return f"data:{kind};base64,{base64.b64encode(self.logo).decode('ascii')}"

    @property
    def on_primary(self) -> str:
        """The text colour to draw on the primary colour."""
        return readable_on(self.primary_color)
