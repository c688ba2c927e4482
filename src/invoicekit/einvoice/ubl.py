"""UBL 2.1 Invoice and CreditNote (Peppol BIS Billing 3.0, XRechnung UBL, EN 16931 core).

Elements are written in the order of the UBL 2.1 schema sequences; every amount
comes from the frozen totals through :func:`invoicekit.einvoice.view.view`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from invoicekit.domain.parties import Address
from invoicekit.domain.tax import TaxCategory
from invoicekit.einvoice.formats import amount, exemption, has_rate, number, rate
from invoicekit.einvoice.view import DocumentView
from invoicekit.einvoice.view_lines import AdjustmentView

if TYPE_CHECKING:
    from invoicekit.domain.parties import Contact, ElectronicAddress
    from invoicekit.domain.tax import Tax
    from invoicekit.einvoice.profiles import Profile

__all__ = ["write"]

_INVOICE: Final = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_CREDIT_NOTE: Final = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CAC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


class _Writer:
    """Builds one UBL tree with lxml; ``cac``/``cbc`` add an aggregate or a basic element."""

    def __init__(self, etree: Any, doc: DocumentView) -> None:
        self.etree = etree
        self.doc = doc

    def cac(self, parent: Any, name: str) -> Any:
        return self.etree.SubElement(parent, f"{{{_CAC}}}{name}")

    def cbc(self, parent: Any, name: str, text: str, **attrib: str) -> Any:
        node = self.etree.SubElement(parent, f"{{{_CBC}}}{name}", attrib)
        node.text = text
        return node

    def money(self, parent: Any, name: str, value: Any) -> Any:
        return self.cbc(
            parent, name, amount(value, self.doc.currency), currencyID=self.doc.currency
        )

    # -- parties ----------------------------------------------------------------------------

    def party(
        self,
        parent: Any,
        *,
        endpoint: ElectronicAddress | None,
        trading_name: str | None,
        address: Address,
        vat_id: str | None,
        tax_number: str | None,
        legal_name: str,
        registration_id: str | None,
        contact: Contact | None,
    ) -> None:
        party = self.cac(parent, "Party")
        if endpoint is not None:
            self.cbc(party, "EndpointID", endpoint.id, schemeID=endpoint.scheme)
        if trading_name is not None:
            self.cbc(self.cac(party, "PartyName"), "Name", trading_name)
        self.address(party, address)
        for company_id, scheme in ((vat_id, "VAT"), (tax_number, "FC")):
            if company_id is not None:
                tax_scheme = self.cac(party, "PartyTaxScheme")
                self.cbc(tax_scheme, "CompanyID", company_id)
                self.cbc(self.cac(tax_scheme, "TaxScheme"), "ID", scheme)
        legal = self.cac(party, "PartyLegalEntity")
        self.cbc(legal, "RegistrationName", legal_name)
        if registration_id is not None:
            self.cbc(legal, "CompanyID", registration_id)
        if contact is not None:
            node = self.cac(party, "Contact")
            for name, value in (
                ("Name", contact.name),
                ("Telephone", contact.phone),
                ("ElectronicMail", contact.email),
            ):
                if value is not None:
                    self.cbc(node, name, value)

    def address(self, parent: Any, address: Address) -> None:
        node = self.cac(parent, "PostalAddress")
        for name, value in (
            ("StreetName", address.line1),
            ("AdditionalStreetName", address.line2),
            ("CityName", address.city),
            ("PostalZone", address.postal_code),
            ("CountrySubentity", address.region),
        ):
            if value is not None:
                self.cbc(node, name, value)
        self.cbc(self.cac(node, "Country"), "IdentificationCode", address.country)

    # -- tax --------------------------------------------------------------------------------

    def category(self, parent: Any, tax: Tax, name: str = "TaxCategory", *, reason: bool) -> None:
        node = self.cac(parent, name)
        self.cbc(node, "ID", tax.category.value)
        if has_rate(tax):
            self.cbc(node, "Percent", rate(tax.rate))
        if reason:
            text, code = exemption(tax)
            if code is not None:
                self.cbc(node, "TaxExemptionReasonCode", code)
            if text is not None:
                self.cbc(node, "TaxExemptionReason", text)
        self.cbc(self.cac(node, "TaxScheme"), "ID", "VAT")

    def adjustment(self, parent: Any, adj: AdjustmentView) -> None:
        node = self.cac(parent, "AllowanceCharge")
        self.cbc(node, "ChargeIndicator", "true" if adj.charge else "false")
        self.cbc(node, "AllowanceChargeReason", adj.reason)
        if adj.percent is not None and adj.base is not None:
            self.cbc(node, "MultiplierFactorNumeric", rate(adj.percent))
        self.money(node, "Amount", adj.amount)
        if adj.percent is not None and adj.base is not None:
            self.money(node, "BaseAmount", adj.base)
        if adj.tax is not None:
            self.category(node, adj.tax, reason=False)


def _header(w: _Writer, root: Any, profile: Profile) -> None:
    doc = w.doc
    w.cbc(root, "CustomizationID", profile.specification)
    if profile.process is not None:
        w.cbc(root, "ProfileID", profile.process)
    w.cbc(root, "ID", doc.number)
    w.cbc(root, "IssueDate", doc.issue_date.isoformat())
    if not doc.credit_note and doc.due_date is not None:
        w.cbc(root, "DueDate", doc.due_date.isoformat())
    w.cbc(root, "CreditNoteTypeCode" if doc.credit_note else "InvoiceTypeCode", doc.type_code)
    if doc.note:
        w.cbc(root, "Note", doc.note)
    w.cbc(root, "DocumentCurrencyCode", doc.currency)
    if doc.buyer_reference is not None:
        w.cbc(root, "BuyerReference", doc.buyer_reference)
    if doc.period is not None:
        period = w.cac(root, "InvoicePeriod")
        w.cbc(period, "StartDate", doc.period.start.isoformat())
        w.cbc(period, "EndDate", doc.period.end.isoformat())
    if doc.order_reference is not None:
        w.cbc(w.cac(root, "OrderReference"), "ID", doc.order_reference)
    if doc.preceding is not None:
        ref = w.cac(w.cac(root, "BillingReference"), "InvoiceDocumentReference")
        w.cbc(ref, "ID", doc.preceding[0])
        if doc.preceding[1] is not None:
            w.cbc(ref, "IssueDate", doc.preceding[1].isoformat())
    if doc.contract_reference is not None:
        w.cbc(w.cac(root, "ContractDocumentReference"), "ID", doc.contract_reference)
    if doc.project_reference is not None:
        w.cbc(w.cac(root, "ProjectReference"), "ID", doc.project_reference)


def _parties(w: _Writer, root: Any, *, omit_vat_ids: bool) -> None:
    doc = w.doc
    seller, customer = doc.seller, doc.customer
    vat = seller.tax_id if _vat_like(seller.tax_id) and not omit_vat_ids else None
    w.party(
        w.cac(root, "AccountingSupplierParty"),
        endpoint=seller.electronic_address,
        trading_name=seller.name
        if seller.legal_name and seller.legal_name != seller.name
        else None,
        address=seller.address or Address(country=seller.country),
        vat_id=vat,
        tax_number=seller.tax_id if seller.tax_id is not None and vat is None else None,
        legal_name=seller.legal_name or seller.name,
        registration_id=seller.registration_id,
        contact=seller.contact,
    )
    w.party(
        w.cac(root, "AccountingCustomerParty"),
        endpoint=customer.electronic_address,
        trading_name=None,
        address=customer.address or Address(country="ZZ"),  # refused by the profile check
        vat_id=customer.tax_id if _vat_like(customer.tax_id) and not omit_vat_ids else None,
        tax_number=None,
        legal_name=customer.name,
        registration_id=customer.registration_id,
        contact=customer.contact,
    )


def _vat_like(tax_id: str | None) -> bool:
    return tax_id is not None and len(tax_id) > 2 and tax_id[:2].isalpha() and tax_id[:2].isupper()  # noqa: PLR2004


def _payment(w: _Writer, root: Any) -> None:
    doc = w.doc
    account = doc.seller.bank_account
    if doc.payment_means is not None and account is not None:
        means = w.cac(root, "PaymentMeans")
        w.cbc(means, "PaymentMeansCode", doc.payment_means)
        w.cbc(means, "PaymentID", doc.number)
        financial = w.cac(means, "PayeeFinancialAccount")
        w.cbc(financial, "ID", account.iban)
        if account.holder is not None:
            w.cbc(financial, "Name", account.holder)
        if account.bic is not None:
            w.cbc(w.cac(financial, "FinancialInstitutionBranch"), "ID", account.bic)
    if doc.terms:
        w.cbc(w.cac(root, "PaymentTerms"), "Note", doc.terms)


def _totals(w: _Writer, root: Any) -> None:
    doc = w.doc
    t = doc.totals
    for adj in doc.adjustments:
        w.adjustment(root, adj)
    tax_total = w.cac(root, "TaxTotal")
    w.money(tax_total, "TaxAmount", t.tax_total)
    for row in t.breakdown:
        sub = w.cac(tax_total, "TaxSubtotal")
        w.money(sub, "TaxableAmount", row.base)
        w.money(sub, "TaxAmount", row.amount)
        w.category(sub, row.tax, reason=True)
    total = w.cac(root, "LegalMonetaryTotal")
    w.money(total, "LineExtensionAmount", t.line_net_total)
    w.money(total, "TaxExclusiveAmount", t.tax_exclusive)
    w.money(total, "TaxInclusiveAmount", t.tax_inclusive)
    if t.discounts:
        w.money(total, "AllowanceTotalAmount", t.discount_total)
    if t.charges:
        w.money(total, "ChargeTotalAmount", t.charge_total)
    if doc.paid:
        w.money(total, "PrepaidAmount", doc.paid)
    if t.rounding:
        w.money(total, "PayableRoundingAmount", t.rounding)
    w.money(total, "PayableAmount", doc.due)


def _lines(w: _Writer, root: Any) -> None:
    doc = w.doc
    credit = doc.credit_note
    for line in doc.lines:
        node = w.cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        w.cbc(node, "ID", line.id)
        if line.note is not None:
            w.cbc(node, "Note", line.note)
        w.cbc(
            node,
            "CreditedQuantity" if credit else "InvoicedQuantity",
            number(line.quantity),
            unitCode=line.unit,
        )
        w.money(node, "LineExtensionAmount", line.net)
        if line.period is not None:
            period = w.cac(node, "InvoicePeriod")
            w.cbc(period, "StartDate", line.period.start.isoformat())
            w.cbc(period, "EndDate", line.period.end.isoformat())
        for adj in line.adjustments:
            w.adjustment(node, adj)
        item = w.cac(node, "Item")
        w.cbc(item, "Name", line.name)
        w.category(item, line.tax, "ClassifiedTaxCategory", reason=False)
        price = w.cac(node, "Price")
        w.cbc(price, "PriceAmount", number(line.price), currencyID=doc.currency)
        if line.base_quantity != 1:
            w.cbc(price, "BaseQuantity", number(line.base_quantity), unitCode=line.unit)


def write(etree: Any, doc: DocumentView, profile: Profile) -> bytes:
    """The UBL 2.1 document of ``doc`` under ``profile`` as UTF-8 bytes (same input, same bytes)."""
    root_ns = _CREDIT_NOTE if doc.credit_note else _INVOICE
    root = etree.Element(
        f"{{{root_ns}}}{'CreditNote' if doc.credit_note else 'Invoice'}",
        nsmap={None: root_ns, "cac": _CAC, "cbc": _CBC},
    )
    w = _Writer(etree, doc)
    _header(w, root, profile)
    outside = any(row.tax.category is TaxCategory.OUTSIDE_SCOPE for row in doc.totals.breakdown)
    _parties(w, root, omit_vat_ids=outside)
    if doc.delivery_date is not None:
        w.cbc(w.cac(root, "Delivery"), "ActualDeliveryDate", doc.delivery_date.isoformat())
    _payment(w, root)
    _totals(w, root)
    _lines(w, root)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data
