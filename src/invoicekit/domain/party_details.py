"""The parts of a party: postal address, bank account, electronic address and contact.

Split from :mod:`invoicekit.domain.parties` (which re-exports these names): each
value checks itself at construction and raises ValidationError naming the field.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from invoicekit.domain import checks
from invoicekit.domain.party_checks import _MAX_ENDPOINT, _email, _phone, _text
from invoicekit.errors import Problem, ValidationError, problem

__all__ = [
    "Address",
    "BankAccount",
    "Contact",
    "ElectronicAddress",
    "iban_checksum_ok",
]

_IBAN: Final = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC: Final = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_EAS_SCHEME: Final = re.compile(r"[0-9]{4}|[A-Z]{2,4}")


@attrs.frozen
class Address:
    """A postal address; ``country`` is an ISO 3166-1 alpha-2 code (EN 16931 BG-5/BG-8)."""

    country: str
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None

    def __attrs_post_init__(self) -> None:
        found = self.problems("")
        if found:
            raise ValidationError(found, subject="address")

    def problems(self, path: str) -> list[Problem]:
        """Every rule this address breaks, with paths under ``path``."""
        where = f"{path}." if path else ""
        found: list[Problem] = []
        found += checks.country(f"{where}country", self.country)
        for name in ("line1", "line2", "city", "postal_code", "region"):
            _text(found, f"{where}{name}", getattr(self, name), required=False)
        return found


def _compact(value: object) -> object:
    """An IBAN or BIC as people write it ('DE89 3704 0044 ...') in its stored form."""
    return value.replace(" ", "").upper() if isinstance(value, str) else value


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


@attrs.frozen
class BankAccount:
    """Where a customer pays by bank transfer (EN 16931 BG-17): IBAN, optional BIC and holder.

    Spaces are removed and letters upper-cased, so ``"de89 3704 0044 0532 0130 00"`` is accepted.
    """

    iban: str = attrs.field(converter=_compact)
    bic: str | None = attrs.field(default=None, converter=_compact)
    #: The account holder when it differs from the seller's name.
    holder: str | None = None

    def __attrs_post_init__(self) -> None:
        found: list[Problem] = []
        if not isinstance(self.iban, str) or not _IBAN.fullmatch(self.iban):
            found.append(
                problem("iban", "must be an IBAN like 'DE89 3704 0044 0532 0130 00'", self.iban)
            )
        elif not iban_checksum_ok(self.iban):
            found.append(
                problem("iban", "check digits do not match (a typo in the IBAN?)", self.iban)
            )
        if self.bic is not None and (not isinstance(self.bic, str) or not _BIC.fullmatch(self.bic)):
            found.append(
                problem("bic", "must be a BIC of 8 or 11 characters like 'COBADEFFXXX'", self.bic)
            )
        _text(found, "holder", self.holder, required=False, limit=70)
        if found:
            raise ValidationError(found, subject="bank account")

    @property
    def display_iban(self) -> str:
        """The IBAN in groups of four, as printed on invoices."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))


@attrs.frozen
class ElectronicAddress:
    """Where an e-invoice is delivered (EN 16931 BT-34/BT-49): an EAS scheme code and an id.

    ``ElectronicAddress("0088", "4035811991021")`` (GLN), ``("9930", "DE811234567")``
    (German VAT number), ``("EM", "ap@example.com")`` (e-mail); Peppol needs one.
    """

    scheme: str
    id: str

    def __attrs_post_init__(self) -> None:
        found: list[Problem] = []
        if not isinstance(self.scheme, str) or not _EAS_SCHEME.fullmatch(self.scheme):
            found.append(
                problem("scheme", "must be an EAS code like '0088', '9930' or 'EM'", self.scheme)
            )
        _text(found, "id", self.id, required=True, limit=_MAX_ENDPOINT)
        if self.scheme == "EM" and not found:
            _email(found, "id", self.id)
        if found:
            raise ValidationError(found, subject="electronic address")


@attrs.frozen
class Contact:
    """A contact point at a party (EN 16931 BG-6/BG-9): a name, a phone number, an e-mail."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None

    def __attrs_post_init__(self) -> None:
        found: list[Problem] = []
        _text(found, "name", self.name, required=False)
        _phone(found, "phone", self.phone)
        _email(found, "email", self.email)
        if self.name is None and self.phone is None and self.email is None:
            found.append(problem("name", "give at least one of name, phone or email"))
        if found:
            raise ValidationError(found, subject="contact")


def _party_ids(
    found: list[Problem], electronic_address: object, registration_id: object, contact: object
) -> None:
    """Check the e-invoicing fields a seller and a customer share."""
    if electronic_address is not None and not isinstance(electronic_address, ElectronicAddress):
        found.append(
            problem("electronic_address", "must be an ElectronicAddress", electronic_address)
        )
    _text(found, "registration_id", registration_id, required=False, limit=_MAX_ENDPOINT)
    if contact is not None and not isinstance(contact, Contact):
        found.append(problem("contact", "must be a Contact", contact))
