"""UN/CEFACT Cross Industry Invoice D16B (Factur-X / ZUGFeRD EN16931, XRechnung CII).

Elements are written in the order of the CII D16B schema sequences; every amount
comes from the frozen totals through :func:`invoicekit.einvoice.view.view`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final

from invoicekit.domain.parties import Address
from invoicekit.domain.tax import TaxCategory
from invoicekit.einvoice.formats import amount, exemption, has_rate, number, rate
from invoicekit.einvoice.view import DocumentView
from invoicekit.einvoice.view_lines import AdjustmentView, LineView

if TYPE_CHECKING:
    from decimal import Decimal

    from invoicekit.domain.parties import Contact, ElectronicAddress
    from invoicekit.domain.tax import Tax
    from invoicekit.einvoice.profiles import Profile

__all__ = ["write"]

_RSM: Final = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM: Final = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT: Final = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_QDT: Final = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_COUNTRY_PREFIX_LEN: Final = 2


class _Writer:
    """Builds one CII tree with lxml; ``ram`` adds an element, with text when given."""

    def __init__(self, etree: Any, doc: DocumentView) -> None:
        self.etree = etree
        self.doc = doc

    def el(self, parent: Any, ns: str, name: str, text: str | None = None, **attrib: str) -> Any:
        node = self.etree.SubElement(parent, f"{{{ns}}}{name}", attrib)
        if text is not None:
            node.text = text
        return node

    def ram(self, parent: Any, name: str, text: str | None = None, **attrib: str) -> Any:
        return self.el(parent, _RAM, name, text, **attrib)

    def money(self, parent: Any, name: str, value: Decimal, *, currency: bool = False) -> Any:
        attrib = {"currencyID": self.doc.currency} if currency else {}
        return self.ram(parent, name, amount(value, self.doc.currency), **attrib)

    def date(self, parent: Any, name: str, value: date, ns: str = _UDT) -> None:
        self.el(
            self.ram(parent, name), ns, "DateTimeString", value.strftime("%Y%m%d"), format="102"
        )

    def indicator(self, parent: Any, charge: bool) -> None:
        self.el(
            self.ram(parent, "ChargeIndicator"), _UDT, "Indicator", "true" if charge else "false"
        )

    # -- parties ----------------------------------------------------------------------------

    def party(
        self,
        parent: Any,
        name: str,
        *,
        legal_name: str,
        registration_id: str | None,
        trading_name: str | None,
        contact: Contact | None,
        address: Address,
        endpoint: ElectronicAddress | None,
        vat_id: str | None,
        tax_number: str | None,
    ) -> None:
        party = self.ram(parent, name)
        self.ram(party, "Name", legal_name)
        if registration_id is not None or trading_name is not None:
            org = self.ram(party, "SpecifiedLegalOrganization")
            if registration_id is not None:
                self.ram(org, "ID", registration_id)
            if trading_name is not None:
                self.ram(org, "TradingBusinessName", trading_name)
        if contact is not None:
            self.contact(party, contact)
        postal = self.ram(party, "PostalTradeAddress")
        for field, value in (
            ("PostcodeCode", address.postal_code),
            ("LineOne", address.line1),
            ("LineTwo", address.line2),
            ("CityName", address.city),
        ):
            if value is not None:
                self.ram(postal, field, value)
        self.ram(postal, "CountryID", address.country)
        if address.region is not None:
            self.ram(postal, "CountrySubDivisionName", address.region)
        if endpoint is not None:
            uri = self.ram(party, "URIUniversalCommunication")
            self.ram(uri, "URIID", endpoint.id, schemeID=endpoint.scheme)
        for value, scheme in ((vat_id, "VA"), (tax_number, "FC")):
            if value is not None:
                self.ram(self.ram(party, "SpecifiedTaxRegistration"), "ID", value, schemeID=scheme)

    def contact(self, parent: Any, contact: Contact) -> None:
        node = self.ram(parent, "DefinedTradeContact")
        if contact.name is not None:
            self.ram(node, "PersonName", contact.name)
        if contact.phone is not None:
            phone = self.ram(node, "TelephoneUniversalCommunication")
            self.ram(phone, "CompleteNumber", contact.phone)
        if contact.email is not None:
            email = self.ram(node, "EmailURIUniversalCommunication")
            self.ram(email, "URIID", contact.email)

    # -- tax --------------------------------------------------------------------------------

    def category(self, parent: Any, name: str, tax: Tax) -> None:
        node = self.ram(parent, name)
        self.ram(node, "TypeCode", "VAT")
        self.ram(node, "CategoryCode", tax.category.value)
        if has_rate(tax):
            self.ram(node, "RateApplicablePercent", rate(tax.rate))

    def adjustment(self, parent: Any, adj: AdjustmentView) -> None:
        node = self.ram(parent, "SpecifiedTradeAllowanceCharge")
        self.indicator(node, adj.charge)
        if adj.percent is not None and adj.base is not None:
            self.ram(node, "CalculationPercent", rate(adj.percent))
            self.money(node, "BasisAmount", adj.base)
        self.money(node, "ActualAmount", adj.amount)
        self.ram(node, "Reason", adj.reason)
        if adj.tax is not None:
            self.category(node, "CategoryTradeTax", adj.tax)


def _vat_like(tax_id: str | None) -> bool:
    return (
        tax_id is not None
        and len(tax_id) > _COUNTRY_PREFIX_LEN
        and tax_id[:_COUNTRY_PREFIX_LEN].isalpha()
        and tax_id[:_COUNTRY_PREFIX_LEN].isupper()
    )


def _line(w: _Writer, parent: Any, line: LineView) -> None:
    item = w.ram(parent, "IncludedSupplyChainTradeLineItem")
    document = w.ram(item, "AssociatedDocumentLineDocument")
    w.ram(document, "LineID", line.id)
    if line.note is not None:
        w.ram(w.ram(document, "IncludedNote"), "Content", line.note)
    w.ram(w.ram(item, "SpecifiedTradeProduct"), "Name", line.name)
    agreement = w.ram(item, "SpecifiedLineTradeAgreement")
    price = w.ram(agreement, "NetPriceProductTradePrice")
    w.ram(price, "ChargeAmount", number(line.price))
    if line.base_quantity != 1:
        w.ram(price, "BasisQuantity", number(line.base_quantity), unitCode=line.unit)
    delivery = w.ram(item, "SpecifiedLineTradeDelivery")
    w.ram(delivery, "BilledQuantity", number(line.quantity), unitCode=line.unit)
    settlement = w.ram(item, "SpecifiedLineTradeSettlement")
    w.category(settlement, "ApplicableTradeTax", line.tax)
    if line.period is not None:
        period = w.ram(settlement, "BillingSpecifiedPeriod")
        w.date(period, "StartDateTime", line.period.start)
        w.date(period, "EndDateTime", line.period.end)
    for adj in line.adjustments:
        w.adjustment(settlement, adj)
    summation = w.ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    w.money(summation, "LineTotalAmount", line.net)


def _agreement(w: _Writer, parent: Any, *, omit_vat_ids: bool) -> None:
    doc = w.doc
    seller, customer = doc.seller, doc.customer
    agreement = w.ram(parent, "ApplicableHeaderTradeAgreement")
    if doc.buyer_reference is not None:
        w.ram(agreement, "BuyerReference", doc.buyer_reference)
    vat = seller.tax_id if _vat_like(seller.tax_id) and not omit_vat_ids else None
    w.party(
        agreement,
        "SellerTradeParty",
        legal_name=seller.legal_name or seller.name,
        registration_id=seller.registration_id,
        trading_name=seller.name
        if seller.legal_name and seller.legal_name != seller.name
        else None,
        contact=seller.contact,
        address=seller.address or Address(country=seller.country),
        endpoint=seller.electronic_address,
        vat_id=vat,
        tax_number=seller.tax_id if seller.tax_id is not None and vat is None else None,
    )
    w.party(
        agreement,
        "BuyerTradeParty",
        legal_name=customer.name,
        registration_id=customer.registration_id,
        trading_name=None,
        contact=customer.contact,
        address=customer.address or Address(country="ZZ"),  # refused by the profile check
        endpoint=customer.electronic_address,
        vat_id=customer.tax_id if _vat_like(customer.tax_id) and not omit_vat_ids else None,
        tax_number=None,
    )
    if doc.order_reference is not None:
        order = w.ram(agreement, "BuyerOrderReferencedDocument")
        w.ram(order, "IssuerAssignedID", doc.order_reference)
    if doc.contract_reference is not None:
        contract = w.ram(agreement, "ContractReferencedDocument")
        w.ram(contract, "IssuerAssignedID", doc.contract_reference)
    if doc.project_reference is not None:
        project = w.ram(agreement, "SpecifiedProcuringProject")
        w.ram(project, "ID", doc.project_reference)
        w.ram(project, "Name", "Project reference")


def _settlement(w: _Writer, parent: Any) -> None:
    doc = w.doc
    settlement = w.ram(parent, "ApplicableHeaderTradeSettlement")
    account = doc.seller.bank_account
    if doc.payment_means is not None and account is not None:
        w.ram(settlement, "PaymentReference", doc.number)
    w.ram(settlement, "InvoiceCurrencyCode", doc.currency)
    if doc.payment_means is not None and account is not None:
        means = w.ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        w.ram(means, "TypeCode", doc.payment_means)
        creditor = w.ram(means, "PayeePartyCreditorFinancialAccount")
        w.ram(creditor, "IBANID", account.iban)
        if account.holder is not None:
            w.ram(creditor, "AccountName", account.holder)
        if account.bic is not None:
            w.ram(w.ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", account.bic)
    _breakdown(w, settlement)
    if doc.period is not None:
        period = w.ram(settlement, "BillingSpecifiedPeriod")
        w.date(period, "StartDateTime", doc.period.start)
        w.date(period, "EndDateTime", doc.period.end)
    for adj in doc.adjustments:
        w.adjustment(settlement, adj)
    if doc.terms or doc.due_date is not None:
        terms = w.ram(settlement, "SpecifiedTradePaymentTerms")
        if doc.terms:
            w.ram(terms, "Description", doc.terms)
        if doc.due_date is not None:
            w.date(terms, "DueDateDateTime", doc.due_date)
    _summation(w, settlement)
    if doc.preceding is not None:
        ref = w.ram(settlement, "InvoiceReferencedDocument")
        w.ram(ref, "IssuerAssignedID", doc.preceding[0])
        if doc.preceding[1] is not None:
            w.date(ref, "FormattedIssueDateTime", doc.preceding[1], _QDT)


def _breakdown(w: _Writer, settlement: Any) -> None:
    for row in w.doc.totals.breakdown:
        tax = w.ram(settlement, "ApplicableTradeTax")
        w.money(tax, "CalculatedAmount", row.amount)
        w.ram(tax, "TypeCode", "VAT")
        reason, code = exemption(row.tax)
        if reason is not None:
            w.ram(tax, "ExemptionReason", reason)
        w.money(tax, "BasisAmount", row.base)
        w.ram(tax, "CategoryCode", row.tax.category.value)
        if code is not None:
            w.ram(tax, "ExemptionReasonCode", code)
        if has_rate(row.tax):
            w.ram(tax, "RateApplicablePercent", rate(row.tax.rate))


def _summation(w: _Writer, settlement: Any) -> None:
    doc = w.doc
    t = doc.totals
    summation = w.ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    w.money(summation, "LineTotalAmount", t.line_net_total)
    if t.charges:
        w.money(summation, "ChargeTotalAmount", t.charge_total)
    if t.discounts:
        w.money(summation, "AllowanceTotalAmount", t.discount_total)
    w.money(summation, "TaxBasisTotalAmount", t.tax_exclusive)
    w.money(summation, "TaxTotalAmount", t.tax_total, currency=True)
    if t.rounding:
        w.money(summation, "RoundingAmount", t.rounding)
    w.money(summation, "GrandTotalAmount", t.tax_inclusive)
    if doc.paid:
        w.money(summation, "TotalPrepaidAmount", doc.paid)
    w.money(summation, "DuePayableAmount", doc.due)


def write(etree: Any, doc: DocumentView, profile: Profile) -> bytes:
    """The CII D16B document of ``doc`` under ``profile`` as UTF-8 bytes (same input, same bytes)."""
    root = etree.Element(
        f"{{{_RSM}}}CrossIndustryInvoice",
        nsmap={"rsm": _RSM, "ram": _RAM, "udt": _UDT, "qdt": _QDT},
    )
    w = _Writer(etree, doc)
    context = w.el(root, _RSM, "ExchangedDocumentContext")
    if profile.process is not None:
        w.ram(
            w.ram(context, "BusinessProcessSpecifiedDocumentContextParameter"),
            "ID",
            profile.process,
        )
    w.ram(w.ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", profile.specification)
    header = w.el(root, _RSM, "ExchangedDocument")
    w.ram(header, "ID", doc.number)
    w.ram(header, "TypeCode", doc.type_code)
    w.date(header, "IssueDateTime", doc.issue_date)
    if doc.note:
        w.ram(w.ram(header, "IncludedNote"), "Content", doc.note)
    transaction = w.el(root, _RSM, "SupplyChainTradeTransaction")
    for line in doc.lines:
        _line(w, transaction, line)
    outside = any(row.tax.category is TaxCategory.OUTSIDE_SCOPE for row in doc.totals.breakdown)
    _agreement(w, transaction, omit_vat_ids=outside)
    # Required by the schema; empty unless the model knows BT-72 (a one-day period).
    delivery = w.ram(transaction, "ApplicableHeaderTradeDelivery")
    if doc.delivery_date is not None:
        event = w.ram(delivery, "ActualDeliverySupplyChainEvent")
        w.date(event, "OccurrenceDateTime", doc.delivery_date)
    _settlement(w, transaction)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data
