"""Documents: ``TemplateRenderer`` (HTML, plain text, short text, PDF) and per-seller ``Branding``.

PDF needs the ``pdf`` extra (WeasyPrint) and the EPC QR code the ``qr`` extra (segno);
both are imported only when used.
"""

from invoicekit.adapters.render.branding import Branding
from invoicekit.adapters.render.renderer import TemplateRenderer

__all__ = ["Branding", "TemplateRenderer"]
