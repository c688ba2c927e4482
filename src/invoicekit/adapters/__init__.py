"""Adapters: implementations of the ports in invoicekit.ports."""
