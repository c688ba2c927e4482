"""Read what a UBL 2.1 Invoice or CreditNote states into the syntax-neutral ``Doc``."""

from __future__ import annotations

from typing import Any, Final

from invoicekit.einvoice import read_parts as parts
from invoicekit.einvoice.read_source import Source, fail, text_of
from invoicekit.einvoice.read_stated import Doc, Party, StatedLine

#: Where this syntax states the parts UBL and CII share.
PATHS: Final = parts.Paths(
    cii=False,
    period_start="cbc:StartDate",
    period_end="cbc:EndDate",
    tax_category="cbc:ID",
    tax_rate="cbc:Percent",
    tax_reason="cbc:TaxExemptionReason",
    tax_reason_code="cbc:TaxExemptionReasonCode",
    tax_scheme="cac:TaxScheme/cbc:ID",
    charge_indicator="cbc:ChargeIndicator",
    charge_amount="cbc:Amount",
    charge_reason="cbc:AllowanceChargeReason",
    charge_percent="cbc:MultiplierFactorNumeric",
    charge_base="cbc:BaseAmount",
    charge_tax="cac:TaxCategory",
    preceding_number="cbc:ID",
    preceding_date="cbc:IssueDate",
)
#: Where LegalMonetaryTotal states each sum (BT-106 ... BT-115).
_TOTALS: Final = {
    "BT-106": "cbc:LineExtensionAmount",
    "BT-109": "cbc:TaxExclusiveAmount",
    "BT-112": "cbc:TaxInclusiveAmount",
    "BT-107": "cbc:AllowanceTotalAmount",
    "BT-108": "cbc:ChargeTotalAmount",
    "BT-113": "cbc:PrepaidAmount",
    "BT-114": "cbc:PayableRoundingAmount",
    "BT-115": "cbc:PayableAmount",
}


def read_ubl(src: Source, root: Any, credit: bool) -> Doc:
    """What the UBL ``root`` (an Invoice, or a CreditNote when ``credit``) states."""
    d = Doc(credit=credit, root=src.path(root))
    d.specification = src.text(root, "cbc:CustomizationID")
    src.text(root, "cbc:ProfileID")
    d.number = src.required(root, "cbc:ID", "the invoice number (BT-1)")
    d.issue_date = src.required_date(root, "cbc:IssueDate", "BT-2")
    d.due_date = src.date(root, "cbc:DueDate")
    code = src.one(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode")
    parts.type_code(src, code, credit)
    notes = src.all(root, "cbc:Note")
    d.note = text_of(notes[0]) if notes else None
    parts.one_note(src, notes)
    d.currency = src.required(root, "cbc:DocumentCurrencyCode", "the currency (BT-5)")
    d.buyer_reference = src.text(root, "cbc:BuyerReference")
    d.period = parts.invoice_period(src, root, "cac:InvoicePeriod", PATHS)
    delivered = src.one(root, "cac:Delivery/cbc:ActualDeliveryDate")
    if delivered is not None:
        when = src.date(root, "cac:Delivery/cbc:ActualDeliveryDate")
        d.delivery = None if when is None else (when, src.path(delivered))
    d.order_reference = src.text(root, "cac:OrderReference/cbc:ID")
    d.preceding = parts.preceding(
        src, src.one(root, "cac:BillingReference/cac:InvoiceDocumentReference"), PATHS
    )
    d.contract_reference = src.text(root, "cac:ContractDocumentReference/cbc:ID")
    d.project_reference = src.text(root, "cac:ProjectReference/cbc:ID")
    d.seller = _party(src, src.one(root, "cac:AccountingSupplierParty/cac:Party"), "seller")
    d.buyer = _party(src, src.one(root, "cac:AccountingCustomerParty/cac:Party"), "customer")
    means = src.one(root, "cac:PaymentMeans")
    if means is not None:
        _means(src, d, means)
    terms = src.stated(root, "cac:PaymentTerms/cbc:Note")
    d.terms = terms if terms is not None and terms[0] else None
    d.adjustments = [parts.adjustment(src, a, PATHS) for a in src.all(root, "cac:AllowanceCharge")]
    _tax_total(src, d, root)
    total = src.one(root, "cac:LegalMonetaryTotal")
    if total is None:
        raise fail(d.root, "the document states no totals (LegalMonetaryTotal)")
    d.stated.update(parts.amounts(src, total, _TOTALS))
    line_name = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    d.lines = [_line(src, line, credit) for line in src.all(root, line_name)]
    return d


def _party(src: Source, node: Any | None, who: str) -> Party:
    if node is None:
        raise fail(who, "the document names no such party")
    point = src.one(node, "cbc:EndpointID")
    postal = parts.address(
        src,
        src.one(node, "cac:PostalAddress"),
        country="cac:Country/cbc:IdentificationCode",
        line1="cbc:StreetName",
        line2="cbc:AdditionalStreetName",
        city="cbc:CityName",
        postal_code="cbc:PostalZone",
        region="cbc:CountrySubentity",
    )
    ids = [
        (src.text(scheme, "cac:TaxScheme/cbc:ID") == "VAT", src.one(scheme, "cbc:CompanyID"))
        for scheme in src.all(node, "cac:PartyTaxScheme")
    ]
    vat_id, tax_number = parts.tax_ids(src, ids)
    legal = src.one(node, "cac:PartyLegalEntity")
    contact_node = src.one(node, "cac:Contact")
    return Party(
        path=src.path(node),
        name=parts.one_line(src, legal, "cbc:RegistrationName") if legal is not None else None,
        trading_name=parts.one_line(src, node, "cac:PartyName/cbc:Name")
        if who == "seller"
        else None,
        registration_id=src.text(legal, "cbc:CompanyID") if legal is not None else None,
        vat_id=vat_id,
        tax_number=tax_number,
        endpoint=parts.endpoint(src, point),
        address=postal,
        contact=parts.contact(
            src,
            contact_node,
            name=("cbc:Name",),
            phone=("cbc:Telephone",),
            email=("cbc:ElectronicMail",),
        ),
    )


def _line(src: Source, node: Any, credit: bool) -> StatedLine:
    where = src.path(node)
    src.text(node, "cbc:ID")
    qty = src.one(node, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity")
    if qty is None:
        raise fail(where, "a line needs a quantity (BT-129)")
    net = src.amount(node, "cbc:LineExtensionAmount")
    if net is None:
        raise fail(where, "a line needs a net amount (BT-131)")
    item = src.one(node, "cac:Item")
    category = src.one(item, "cac:ClassifiedTaxCategory") if item is not None else None
    if item is None or category is None:
        raise fail(where, "a line needs an item with its VAT category (BT-151)")
    price = src.one(node, "cac:Price")
    price_amount = src.amount(price, "cbc:PriceAmount") if price is not None else None
    if price is None or price_amount is None:
        raise fail(where, "a line needs a net price (BT-146)")
    base_qty = src.number(price, "cbc:BaseQuantity")
    return parts.line(
        src,
        node,
        name=src.required(item, "cbc:Name", "the item name (BT-153)"),
        quantity=qty,
        net=net,
        price=price_amount,
        base_quantity=base_qty,
        tax=category,
        period_node=src.one(node, "cac:InvoicePeriod"),
        adjustments=src.all(node, "cac:AllowanceCharge"),
        paths=PATHS,
        notes=src.all(node, "cbc:Note"),
    )


def _means(src: Source, d: Doc, means: Any) -> None:
    d.means = src.stated(means, "cbc:PaymentMeansCode")
    d.payment_id = src.stated(means, "cbc:PaymentID")
    account = src.one(means, "cac:PayeeFinancialAccount")
    if account is not None:
        bic = src.one(account, "cac:FinancialInstitutionBranch/cbc:ID")
        d.account = parts.bank_account(src, account, iban="cbc:ID", holder="cbc:Name", bic=bic)


def _tax_total(src: Source, d: Doc, root: Any) -> None:
    for tax_total in root.findall(src.tag("cac:TaxTotal")):
        amount = tax_total.find(src.tag("cbc:TaxAmount"))
        if amount is not None and amount.get("currencyID", d.currency) != d.currency:
            continue  # BT-111 in the tax currency: left for the unknown report
        src.seen.add(tax_total)
        d.stated.update(parts.amounts(src, tax_total, {"BT-110": "cbc:TaxAmount"}))
        for sub in src.all(tax_total, "cac:TaxSubtotal"):
            category = src.one(sub, "cac:TaxCategory")
            base, amount_ = src.amount(sub, "cbc:TaxableAmount"), src.amount(sub, "cbc:TaxAmount")
            if category is None or base is None or amount_ is None:
                raise fail(src.path(sub), "a VAT breakdown row needs its base, amount and category")
            d.rows.append(parts.row(src, category, base, amount_, PATHS))
        break
