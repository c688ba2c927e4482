"""Helpers for testing code built on invoicekit (hypothesis strategies); import only from tests."""
