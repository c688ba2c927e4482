"""Party details as a received e-invoice states them, kept even where issuing would refuse them.

A receiver cannot correct the sender's IBAN, BIC or electronic address; the e-invoice
reader keeps them as stated and warns. Issuing keeps the strict checks of ``parties``.
"""

from __future__ import annotations

from typing import Final, TypeVar

from invoicekit.domain.parties import BankAccount, ElectronicAddress
from invoicekit.errors import Problem, ValidationError, problem

__all__ = ["received_account", "received_address"]

_V = TypeVar("_V")
_LIMIT: Final = 100


def _line(found: list[Problem], path: str, value: object, *, required: bool) -> None:
    """One line of printable text at most ``_LIMIT`` long: what any stored text must be."""
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        found.append(problem(path, "must be a non-empty string", value))
    elif len(value) > _LIMIT or not value.isprintable():
        found.append(
            problem(path, f"must be one printable line of at most {_LIMIT} characters", value)
        )


def _unchecked(cls: type[_V], **fields: object) -> _V:
    """An instance of the frozen attrs ``cls`` with ``fields`` as given, its own checks skipped."""
    built = object.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(built, name, value)
    return built


def received_account(iban: str, bic: str | None = None, holder: str | None = None) -> BankAccount:
    """The payee account (BG-17) as stated: IBAN shape, check digits and BIC length unchecked."""
    try:
        return BankAccount(iban=iban, bic=bic, holder=holder)
    except ValidationError:
        found: list[Problem] = []
        _line(found, "iban", iban, required=True)
        _line(found, "bic", bic, required=False)
        _line(found, "holder", holder, required=False)
        if found:
            raise ValidationError(found, subject="bank account") from None
    return _unchecked(
        BankAccount,
        iban=iban.replace(" ", "").upper(),
        bic=bic.replace(" ", "").upper() if bic is not None else None,
        holder=holder,
    )


def received_address(scheme: str, id: str) -> ElectronicAddress:
    """The electronic address (BT-34/49) as stated: an ``EM`` id need not be a bare e-mail."""
    try:
        return ElectronicAddress(scheme, id)
    except ValidationError:
        found: list[Problem] = []
        _line(found, "id", id, required=True)
        if scheme != "EM" or found:
            raise
    return _unchecked(ElectronicAddress, scheme=scheme, id=id)
