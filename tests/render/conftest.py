"""Fixtures of the rendering tests: issued invoices with bank details, and renderers."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("invoicekit.testing.contracts.renderer")

from collections.abc import Callable  # noqa: E402 - after the rewrite hook
from decimal import Decimal  # noqa: E402

import attrs  # noqa: E402

from factories import customer, issued, line, seller, utc  # noqa: E402
from invoicekit.adapters.render import TemplateRenderer  # noqa: E402
from invoicekit.domain import lifecycle as lc  # noqa: E402
from invoicekit.domain.events import CreditNoteIssued  # noqa: E402
from invoicekit.domain.invoice import CreditNote, Invoice  # noqa: E402
from invoicekit.domain.parties import Address, BankAccount, Seller  # noqa: E402

PAY_LINK = "https://pay.example/i/7f3a9c"
IBAN = "DE89 3704 0044 0532 0130 00"


def bank_seller(**overrides: object) -> Seller:
    """The default factory seller with an address, a VAT id and a bank account."""
    fields: dict[str, object] = {
        "name": "Northwind Studio",
        "legal_name": "Northwind Studio GmbH",
        "tax_id": "DE123456789",
        "address": Address("DE", line1="Hauptstr. 1", city="Berlin", postal_code="10115"),
        "bank_account": BankAccount(IBAN, bic="COBADEFFXXX"),
    }
    fields.update(overrides)
    return seller(**fields)


def full_invoice(
    *,
    locale: str | None = None,
    link: str | None = PAY_LINK,
    unit_price: str = "780.00",
    **seller_overrides: object,
) -> Invoice:
    """928.20 EUR due 2026-03-31 from Northwind Studio to Globex, memo and footer set."""
    s = bank_seller(**seller_overrides)
    c = customer(
        s,
        locale=locale,
        tax_id="FR40303265045",
        address=Address("FR", line1="1 rue de la Paix", city="Paris", postal_code="75002"),
    )
    invoice = issued(
        of=s,
        to=c,
        lines=[
            line(unit_price, "1", description="Brand design"),
            line("0.00", Decimal("1.50"), description="Workshop"),
        ],
        memo="Project Falcon, phase 1",
        footer="Thank you for choosing Northwind.",
    )
    return attrs.evolve(invoice, payment_link=link) if link else invoice


def credit(invoice: Invoice, net: str, reason: str | None = None) -> tuple[Invoice, CreditNote]:
    """``invoice`` after credit note CN-2026-00001 of ``net`` plus VAT ("Goodwill"), and the note."""
    credited, events = lc.apply(
        invoice,
        lc.Credit(
            credit_note_id="cn1",
            number="CN-2026-00001",
            lines=(line(net, description="Goodwill"),),
            reason=reason,
        ),
        at=utc(2026, 3, 6),
    )
    (note,) = (e.credit_note for e in events if isinstance(e, CreditNoteIssued))
    return credited, note


@pytest.fixture
def renderer() -> TemplateRenderer:
    """A renderer with the package templates, default branding and EPC QR codes."""
    return TemplateRenderer()


@pytest.fixture
def make_invoice() -> Callable[..., Invoice]:
    """``full_invoice`` as a fixture: ``make_invoice(locale="de", link=None, ...)``."""
    return full_invoice


@pytest.fixture
def make_seller() -> Callable[..., Seller]:
    """``bank_seller`` as a fixture."""
    return bank_seller


@pytest.fixture
def invoice() -> Invoice:
    """An issued English invoice with a payment link and bank details."""
    return full_invoice()
