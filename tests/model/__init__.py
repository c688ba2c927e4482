"""Independent reference model of the totals rules (docs/explanation/totals-rules.md).

Deliberately shares no code with ``invoicekit``; used as a test oracle.
"""
