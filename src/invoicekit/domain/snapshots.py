"""What an invoice keeps of its customer: the customer as at issue, less what is not the invoice's.

The saved payment method belongs to the customer, not to any invoice: it is left out of
the snapshot, so an invoice's stored document and hash never carry a card reference.
"""

from __future__ import annotations

import attrs

from invoicekit.domain.parties import Customer

__all__ = ["customer_snapshot", "optional_snapshot"]


def customer_snapshot(customer: Customer) -> Customer:
    """The customer as an invoice keeps it: without the saved payment method."""
    if isinstance(customer, Customer) and customer.payment_method is not None:
        return attrs.evolve(customer, payment_method=None)
    return customer


def optional_snapshot(customer: Customer | None) -> Customer | None:
    """``customer_snapshot`` of an invoice's customer; None (a draft's) is kept."""
    return None if customer is None else customer_snapshot(customer)
