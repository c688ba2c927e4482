"""EN 16931 rules of single VAT categories the model leaves to the export: split payment (B).

Split payment is Italy's: BR-B-01 wants a domestic Italian invoice, BR-B-02 no standard
rate beside it; and Factur-X's CII code list has no B at all, so such an invoice is UBL only.
"""

from __future__ import annotations

from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.tax import TaxCategory
from invoicekit.errors import Problem, problem

__all__ = ["cii_category_problems", "split_payment_problems"]


def split_payment_problems(
    categories: set[TaxCategory], seller: Seller, customer: Customer
) -> list[Problem]:
    """BR-B-01 and BR-B-02: split payment (B) is domestic Italian and never beside S."""
    if TaxCategory.SPLIT_PAYMENT not in categories:
        return []
    found: list[Problem] = []
    if TaxCategory.STANDARD in categories:
        found.append(
            problem(
                "BT-151 lines[].tax",
                "split payment (B) and standard rate (S) are never on one invoice (BR-B-02); "
                "invoice them separately",
            )
        )
    countries = {
        seller.country,
        seller.address.country if seller.address else None,
        customer.address.country if customer.address else None,
    } - {None}
    if countries != {"IT"}:
        found.append(
            problem(
                "BT-40 seller.address.country",
                "split payment (B) is for domestic Italian invoices only: seller and buyer "
                "in IT (BR-B-01)",
                ", ".join(sorted(c for c in countries if c is not None)),
            )
        )
    return found


def cii_category_problems(categories: set[TaxCategory]) -> list[Problem]:
    """What the Factur-X CII code lists cannot hold: split payment (B)."""
    if TaxCategory.SPLIT_PAYMENT not in categories:
        return []
    return [
        problem(
            "BT-151 lines[].tax",
            "the Factur-X CII rules do not list split payment (B); export this invoice "
            "as UBL (to_ubl), which EN 16931 and Peppol accept with B",
        )
    ]
