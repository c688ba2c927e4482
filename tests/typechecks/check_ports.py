"""Static conformance: each adapter satisfies its port (checked by mypy --strict, never run)."""

from __future__ import annotations

from invoicekit.adapters.notify.files import FileNotifier
from invoicekit.adapters.notify.inbox import InAppNotifier
from invoicekit.adapters.notify.sms import HttpSmsGateway, SmsGateway, SmsNotifier
from invoicekit.adapters.notify.smtp import SmtpNotifier
from invoicekit.adapters.notify.webhook import WebhookNotifier
from invoicekit.adapters.payments.manual import ManualPayments
from invoicekit.adapters.payments.stripe import StripePayments
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.ports import (
    Checkout,
    IssueCheck,
    Notifier,
    PaymentNotices,
    PaymentProvider,
    Renderer,
    Storage,
)
from invoicekit.testing import MemoryNotifier, MemoryPayments, MemoryRenderer


def _memory_storage(s: MemoryStorage) -> Storage:
    return s


def _sqlite_storage(s: SqliteStorage) -> Storage:
    return s


def _sqlalchemy_storage(s: SqlAlchemyStorage) -> Storage:
    return s


def _manual_payments(p: ManualPayments) -> PaymentProvider:
    return p


def _manual_issue_check(p: ManualPayments) -> IssueCheck:
    return p


def _stripe_payments(p: StripePayments) -> PaymentProvider:
    return p


def _stripe_checkout(p: StripePayments) -> Checkout:
    return p


def _stripe_notices(p: StripePayments) -> PaymentNotices:
    return p


def _memory_payments(p: MemoryPayments) -> PaymentProvider:
    return p


def _webhook_notifier(n: WebhookNotifier) -> Notifier:
    return n


def _file_notifier(n: FileNotifier) -> Notifier:
    return n


def _in_app_notifier(n: InAppNotifier) -> Notifier:
    return n


def _memory_notifier(n: MemoryNotifier) -> Notifier:
    return n


def _smtp_notifier(n: SmtpNotifier) -> Notifier:
    return n


def _sms_notifier(n: SmsNotifier) -> Notifier:
    return n


def _http_sms_gateway(g: HttpSmsGateway) -> SmsGateway:
    return g


def _template_renderer(r: TemplateRenderer) -> Renderer:
    return r


def _memory_renderer(r: MemoryRenderer) -> Renderer:
    return r
