"""What Peppol BIS 3.0 and XRechnung 3.0 require beyond EN 16931, checked before writing.

Split from :mod:`invoicekit.einvoice.profiles`, which runs these checks for the
profiles that name them: electronic addresses, references, the seller contact and
address, payment instructions and the KoSIT cash-discount (Skonto) format.
"""

from __future__ import annotations

import re
from typing import Final

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Address, Customer, ElectronicAddress, Seller
from invoicekit.einvoice.codes import EAS, identifier_problem
from invoicekit.errors import Problem, problem

__all__: list[str] = []

_SKONTO: Final = re.compile(
    r"#SKONTO#TAGE=[0-9]+#PROZENT=[0-9]+\.[0-9]{2}(?:#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#"
)


def _endpoint(path: str, address: ElectronicAddress | None, who: str, why: str) -> list[Problem]:
    if address is None:
        return [
            problem(
                path,
                f"{why} requires the {who}'s electronic address; set electronic_address="
                "ElectronicAddress(scheme, id), e.g. ('0088', GLN) or ('9930', VAT id)",
            )
        ]
    if address.scheme not in EAS:
        return [problem(path, "not an EAS scheme code (e.g. 0088, 0208, 9930, EM)", address.scheme)]
    why_not = identifier_problem(address.scheme, address.id)
    return [] if why_not is None else [problem(path, why_not, address.id)]


def _references(doc: Invoice | CreditNote) -> tuple[str | None, str | None] | None:
    """BT-10 and BT-13 of ``doc``; None for a credit note of a model that carries neither."""
    if isinstance(doc, CreditNote) and not hasattr(doc, "buyer_reference"):
        return None
    return doc.buyer_reference, doc.order_reference


def _peppol(doc: Invoice | CreditNote, seller: Seller, customer: Customer) -> list[Problem]:
    found = _endpoint(
        "BT-34 seller.electronic_address",
        seller.electronic_address,
        "seller",
        "Peppol (PEPPOL-EN16931-R020)",
    )
    found += _endpoint(
        "BT-49 customer.electronic_address",
        customer.electronic_address,
        "buyer",
        "Peppol (PEPPOL-EN16931-R010)",
    )
    refs = _references(doc)
    if refs is not None and not any(refs):
        found.append(
            problem(
                "BT-10 buyer_reference",
                "Peppol requires a buyer reference or a purchase order reference (BT-13 "
                "order_reference) (PEPPOL-EN16931-R003)",
            )
        )
    return found


def _xrechnung(doc: Invoice | CreditNote, seller: Seller, customer: Customer) -> list[Problem]:
    found: list[Problem] = []
    refs = _references(doc)
    if refs is not None and not refs[0]:
        found.append(
            problem(
                "BT-10 buyer_reference",
                "XRechnung requires a buyer reference (Leitweg-ID) (BR-DE-15)",
            )
        )
    found += _endpoint(
        "BT-34 seller.electronic_address", seller.electronic_address, "seller", "XRechnung 3.0"
    )
    found += _endpoint(
        "BT-49 customer.electronic_address", customer.electronic_address, "buyer", "XRechnung 3.0"
    )
    contact = seller.contact
    for bt, field, rule in (
        ("BT-41", "name", "BR-DE-5"),
        ("BT-42", "phone", "BR-DE-6"),
        ("BT-43", "email", "BR-DE-7"),
    ):
        if contact is None or getattr(contact, field) is None:
            found.append(
                problem(
                    f"{bt} seller.contact.{field}",
                    f"XRechnung requires the seller contact's {field} (BR-DE-2, {rule}); set "
                    "Seller.contact=Contact(name=..., phone=..., email=...)",
                )
            )
    address: Address | None = seller.address
    for bt, field, rule in (("BT-37", "city", "BR-DE-3"), ("BT-38", "postal_code", "BR-DE-4")):
        if address is None or getattr(address, field) is None:
            found.append(
                problem(
                    f"{bt} seller.address.{field}",
                    f"XRechnung requires the seller's {field.replace('_', ' ')} ({rule})",
                )
            )
    buyer_address = customer.address
    if buyer_address is not None:
        for bt, field, rule in (("BT-52", "city", "BR-DE-8"), ("BT-53", "postal_code", "BR-DE-9")):
            if getattr(buyer_address, field) is None:
                found.append(
                    problem(
                        f"{bt} customer.address.{field}",
                        f"XRechnung requires the buyer's {field.replace('_', ' ')} ({rule})",
                    )
                )
    if seller.bank_account is None:
        found.append(
            problem(
                "BG-16 seller.bank_account",
                "XRechnung requires payment instructions (BR-DE-1); set "
                "Seller.bank_account=BankAccount(iban=...)",
            )
        )
    if isinstance(doc, Invoice):
        found += _skonto(doc.terms.describe())
    return found


def _skonto(text: str) -> list[Problem]:
    """BR-DE-18: a BT-20 line that starts with '#' is a cash discount in KoSIT's format.

    The format is ``#SKONTO#TAGE=14#PROZENT=2.00#`` (optionally ``#BASISBETRAG=...#``),
    one per line, and the payment terms then end with a line break.
    """
    lines = [line.strip() for line in text.splitlines()]
    coded = [line for line in lines if line.startswith("#")]
    found = [
        problem(
            "BT-20 terms",
            "XRechnung reads a payment-terms line starting with '#' as a cash discount; "
            "write it as '#SKONTO#TAGE=14#PROZENT=2.00#' (BR-DE-18)",
            line,
        )
        for line in coded
        if not _SKONTO.fullmatch(line)
    ]
    if coded and not found and not text.endswith("\n"):
        found.append(
            problem(
                "BT-20 terms",
                "XRechnung payment terms with a cash discount end with a line break (BR-DE-18)",
                text,
            )
        )
    return found
