"""Notifier adapters: e-mail (SMTP), SMS, webhooks and the in-app inbox, one module each."""
