"""``Billing``: the composition root users build once and work through.

Nothing connects at import and there are no globals: a Billing holds the
adapters it was given (storage, payments, renderer, notifiers, clock). Work for
one seller goes through ``billing.seller(seller_id)``, a scope that can never
reach another seller's objects.

What the books are (``SellerBooks``, ``Events``) is in services/seller_books,
re-exported here; this module builds them.
"""

from __future__ import annotations

import builtins
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Literal, Unpack

from invoicekit.clock import SystemClock
from invoicekit.domain import checks
from invoicekit.errors import ConfigurationError, InvoiceKitError
from invoicekit.faults import FaultPoints
from invoicekit.ports import Clock, Notifier, PaymentProvider, Renderer, Storage
from invoicekit.reports.mrr import MrrSource, RecurringTemplates
from invoicekit.reports.mrr_subscriptions import Subscriptions as SubscriptionMrr
from invoicekit.serialization import make_converter
from invoicekit.services.catalog import Coupons, Plans
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.checkout_closing import CheckoutClosing
from invoicekit.services.collection import Collection
from invoicekit.services.dispatch import Dispatcher, DispatchReport, RetryPolicy
from invoicekit.services.due_report import DueReport, generation_entries
from invoicekit.services.event_handlers import (
    EventDispatchReport,
    EventHandler,
    EventHandlers,
    HandlerState,
)
from invoicekit.services.fields import BillingOptions
from invoicekit.services.followups import CustomerNotices
from invoicekit.services.generation import GenerationReport
from invoicekit.services.invoices import Invoices
from invoicekit.services.messages import Inbox, Messages
from invoicekit.services.parties import Customers, Sellers
from invoicekit.services.pay_pages import PayPages
from invoicekit.services.payments import Payments
from invoicekit.services.preview import Preview
from invoicekit.services.providers import Providers
from invoicekit.services.recurring import Recurring
from invoicekit.services.reports import Reports
from invoicekit.services.run_due import RunDue
from invoicekit.services.seller_books import Events, SellerBooks
from invoicekit.services.subscription_billing import generate_all
from invoicekit.services.subscription_invoices import SubscriptionStatusHook
from invoicekit.services.subscriptions import Subscriptions
from invoicekit.services.unit import Runner
from invoicekit.services.usage import Usage
from invoicekit.services.webhook_endpoints import AddedEndpoint, Poster, WebhookEndpoints
from invoicekit.services.webhooks import Webhooks

__all__ = ["Billing", "Events", "SellerBooks"]

log = logging.getLogger("invoicekit.billing")


def _shown_url(url: str) -> str:
    """``url`` checked (http or https) and shown without credentials or query."""
    from invoicekit.adapters.notify.webhook import check_url, redact

    return redact(check_url(url, "url"))


def _new_id(prefix: str) -> str:
    """A random id such as ``inv_3f2a…`` (128 bits; never derived from numbers or time)."""
    return f"{prefix}_{uuid.uuid4().hex}"


class Billing:
    """The facade: build it with a storage (and optionally payments, renderer, notifiers, clock).

    Delivery: ``notifiers`` are the channels messages go out on (one notifier per
    channel; the in-app inbox is always there). ``dispatch="now"`` (the default)
    delivers a message in the thread that caused it; ``dispatch="worker"`` only
    queues it for ``billing.dispatch()`` or ``billing.run_worker()``. Either way,
    retries of temporary failures (and messages of a process that died mid-send)
    go out on a later ``billing.dispatch()``: call it from a scheduler. The renderer
    defaults to the built-in ``TemplateRenderer`` (EPC QR codes on EUR invoices when the
    ``qr`` extra is installed; pass ``renderer=TemplateRenderer(qr=True)`` to require it).
    Notifiers are passed as ``notifiers=[...]``, the one way (there is no ``notifier=``).
    ``pay_url`` is where the web app (``invoicekit.web``) is mounted: each message then
    carries a pay link of its own to our hosted page (``billing.pay_pages``), valid for
    ``pay_link_ttl`` (at most ten years); without it messages link to the provider's
    ``payment_link``, if any. ``pay_url`` is the mount point only (http(s), a host, no
    query or fragment): links are ``pay_url + "/i/<token>"``.
    The constructors ``in_memory``, ``sqlite`` and ``from_url`` take the same keyword
    arguments, typed (``BillingOptions``), so mypy reports a misspelt one.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        payments: PaymentProvider | Sequence[PaymentProvider] | None = None,
        renderer: Renderer | None = None,
        notifiers: Iterable[Notifier] = (),
        clock: Clock | None = None,
        faults: FaultPoints | None = None,
        new_id: Callable[[str], str] = _new_id,
        dispatch: Literal["now", "worker"] = "now",
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(minutes=5),
        attach_pdf: bool = False,
        pay_url: str | None = None,
        pay_link_ttl: timedelta = timedelta(days=60),
    ) -> None:
        self.storage = storage
        #: The payment providers by name (the first is the default; ``Seller.payment_provider``
        #: chooses another).
        self.providers = Providers(payments)
        #: The default provider (the first given), or None.
        self.payments_provider = self.providers.default
        #: Where ``reports.mrr`` finds recurring revenue: templates and subscriptions; append more.
        self.mrr_sources: list[MrrSource] = [RecurringTemplates(), SubscriptionMrr()]
        self.renderer = renderer
        self.clock: Clock = clock or SystemClock()
        self._new_id = new_id
        self._runner = Runner(
            storage, self.clock, make_converter(), faults or FaultPoints(), new_id
        )
        self.sellers = Sellers(self._runner, new_id, self.providers.check_choice)
        #: Providers' signed notifications (webhooks) in: ``billing.webhooks.receive(...)``.
        self.webhooks = Webhooks(
            self._runner, self.providers, lambda seller_id: InvoiceChanges(self._runner, seller_id)
        )
        if dispatch not in ("now", "worker"):
            raise ConfigurationError(f"dispatch must be 'now' or 'worker', not {dispatch!r}")
        self._immediate = dispatch == "now"
        from invoicekit.adapters.notify.inbox import InAppNotifier

        channels: dict[str, Notifier] = {"in_app": InAppNotifier(storage, self.clock)}
        for one in notifiers:
            channels[one.channel] = one
        self.notifiers = channels
        self.dispatcher = Dispatcher(
            self._runner,
            channels,
            self._get_renderer,
            retry=retry,
            lease=lease,
            attach_pdf=attach_pdf,
        )
        self.pay_pages = PayPages(
            self._runner, pay_url=pay_url, ttl=pay_link_ttl, provider_for=self.providers.for_invoice
        )
        if pay_url is not None:
            self.dispatcher.pay_link = self.pay_pages.for_message
        self._runner.on_change.append(
            CustomerNotices(self._runner, self.dispatcher, immediate=self._immediate)
        )
        self._runner.on_change.append(CheckoutClosing(self._runner, self.providers.get))
        self._runner.on_change.append(SubscriptionStatusHook())
        self._handlers = EventHandlers(self._runner)
        self._endpoints: dict[str, AddedEndpoint] = {}
        #: The executor of ``run_due``; its ``generate`` hook runs recurring templates first.
        self._due = RunDue(
            self._runner,
            lambda seller_id: self.seller(seller_id).invoices,
            lambda: self.notifiers,
            generate=lambda now, dry_run: generation_entries(
                self.recurring_due(now, dry_run=dry_run)
                + self.subscriptions_due(now, dry_run=dry_run)
            ),
        )
        self._due.collect = Collection(self._runner, self.providers)

    def _get_renderer(self) -> Renderer:
        """The renderer given, or the built-in one (with EPC QR codes when the qr extra is installed)."""
        if self.renderer is None:
            from invoicekit.adapters.render import TemplateRenderer

            self.renderer = TemplateRenderer()
        return self.renderer

    def dispatch(self, *, limit: int = 100) -> DispatchReport:
        """Deliver up to ``limit`` due messages of every seller now, in the calling thread."""
        return self.dispatcher.dispatch(limit=limit)

    def run_due(self, now: datetime | None = None, *, dry_run: bool = False) -> DueReport:
        """Do what is due at ``now`` for every seller: generate, mark overdue, remind, add late fees.

        First the recurring templates' due periods become invoices (``recurring_due``), then
        every open invoice is chased by its seller's policy.

        Each step runs once, in its own transaction, after checking the invoice again (a
        payment that lands first wins). Calling it twice, or from several workers at once,
        does nothing the second time. ``dry_run`` returns the plan and writes nothing.
        Each seller's ``dunning`` policy (changed by a customer's ``dunning``) says what is
        sent when; a seller without one gets no automatic reminders, only overdue marking.
        Returns a report of what was done and what was skipped, and why.
        """
        report = self._due(now, dry_run=dry_run)
        if self._handlers and not dry_run:
            self._events_round()
        return report

    def run_worker(self, stop: threading.Event, *, interval: float = 1.0) -> None:
        """Deliver due messages (and call event handlers) until ``stop`` is set.

        Run it in a thread or a process of its own. Several workers, in threads or
        processes on the same database, never send a message twice while its lease holds.
        """
        self.dispatcher.run(stop, interval=interval, also=self._events_round)

    def on(self, event: str, handler: EventHandler, *, name: str | None = None) -> str:
        """Call ``handler(notice)`` for each event of type ``event`` ("invoice.paid", "invoice.*", "*").

        Handlers run in ``dispatch_events`` (also at the end of ``run_due`` and in
        ``run_worker``), at least once per event and in outbox order, so in order per
        invoice. ``name`` (default: the handler's dotted path) keys its cursor in
        storage: a handler registered again under the same name, in any process,
        resumes where it stopped; a new name starts after the events stored so far.
        Returns the name.
        """
        return self._handlers.on(event, handler, name=name)

    def dispatch_events(self, *, limit: int = 1000) -> EventDispatchReport:
        """Call the registered handlers with up to ``limit`` new events each, in the calling thread."""
        return self._handlers.dispatch(limit=limit)

    def event_handlers(self) -> builtins.list[HandlerState]:
        """Every handler with a cursor in storage: position, failures, and whether it is parked."""
        return self._handlers.states()

    def resume_event_handler(self, name: str) -> HandlerState:
        """Restart a parked handler at the event it failed on (NotFoundError for an unknown name)."""
        return self._handlers.resume(name)

    def _events_round(self) -> int:
        """One dispatch of the event handlers for the worker loop and run_due; the calls made."""
        if not self._handlers:
            return 0
        try:
            return self._handlers.dispatch().called
        except InvoiceKitError:
            log.exception("event handlers could not be dispatched; trying again on the next round")
            return 0

    @classmethod
    def in_memory(cls, **options: Unpack[BillingOptions]) -> Billing:
        """Everything in memory, for tests and demos (``clock=FixedClock(...)`` recommended).

        ``options`` are Billing's keyword arguments besides ``storage`` (``BillingOptions``).
        """
        from invoicekit.adapters.storage.memory import MemoryStorage

        return cls(storage=MemoryStorage(), **options)

    @classmethod
    def sqlite(cls, path: str | Path, **options: Unpack[BillingOptions]) -> Billing:
        """The embedded default: one SQLite file (created and migrated when new)."""
        from invoicekit.adapters.storage.sqlite import SqliteStorage

        return cls(storage=SqliteStorage.open(path), **options)

    @classmethod
    def from_url(cls, url: str, **options: Unpack[BillingOptions]) -> Billing:
        """``memory://``, ``sqlite:///path/to.db`` or an SQLAlchemy URL (``postgresql+psycopg://…``)."""
        if url == "memory://":
            return cls.in_memory(**options)
        if url.startswith("sqlite:///") and url.removeprefix("sqlite:///"):
            return cls.sqlite(url.removeprefix("sqlite:///"), **options)
        if "://" in url and not url.startswith("sqlite:"):
            from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage

            return cls(storage=SqlAlchemyStorage.from_url(url), **options)
        raise ConfigurationError(
            f"cannot open storage {url!r}: use 'memory://', 'sqlite:///path.db' or an SQLAlchemy URL "
            "such as 'postgresql+psycopg://user@host/db'"
        )

    def seller(self, seller_id: str) -> SellerBooks:
        """The books of one seller; every call through them is confined to that seller."""
        checks.refuse(checks.lookup("seller_id", seller_id), "seller")
        invoices = Invoices(
            self._runner,
            seller_id,
            self._new_id,
            self.providers,
            self.dispatcher,
            immediate=self._immediate,
        )
        return SellerBooks(
            seller_id=seller_id,
            customers=Customers(self._runner, seller_id, self._new_id),
            invoices=invoices,
            payments=Payments(
                self._runner,
                InvoiceChanges(self._runner, seller_id),
                self._new_id,
                self.providers,
            ),
            events=Events(self._runner, seller_id),
            messages=Messages(self._runner, seller_id, self.dispatcher),
            inbox=Inbox(self._runner, seller_id),
            recurring=Recurring(
                self._runner,
                seller_id,
                self._new_id,
                invoices._issue_in,  # noqa: SLF001 - services share it
            ),
            plans=Plans(self._runner, seller_id, self._new_id),
            coupons=Coupons(self._runner, seller_id, self._new_id),
            subscriptions=Subscriptions(
                self._runner,
                seller_id,
                self._new_id,
                invoices._issue_in,  # noqa: SLF001 - services share it
                Preview(self._runner, seller_id),
            ),
            usage=Usage(self._runner, seller_id),
            webhook_endpoints=WebhookEndpoints(
                self._runner,
                self._handlers,
                seller_id,
                make_poster=self._event_poster,
                shown=_shown_url,
                registry=self._endpoints,
            ),
            reports=Reports(self._runner, seller_id, lambda: self.mrr_sources),
        )

    def _event_poster(self, secret: str | bytes) -> Poster:
        """A signed POST of one event document (one attempt: the handler's policy retries)."""
        from invoicekit.adapters.notify.webhook import WebhookNotifier

        return WebhookNotifier(secret=secret, retries=0, clock=self.clock).post

    def recurring_due(
        self, now: datetime | None = None, *, dry_run: bool = False
    ) -> GenerationReport:
        """``recurring.generate_due`` for every seller with templates; one report for all.

        Safe to call from many workers at once and again after a crash: each period
        becomes one invoice (T14, T25, T28). ``run_due`` calls it; so may a scheduler.
        """
        with self._runner.read() as tx:
            sellers = sorted({seller_id for seller_id, _ in tx.recurring.billing()})
        report = GenerationReport(dry_run=dry_run)
        for seller_id in sellers:
            report += self.seller(seller_id).recurring.generate_due(now, dry_run=dry_run)
        return report

    def subscriptions_due(
        self, now: datetime | None = None, *, dry_run: bool = False
    ) -> GenerationReport:
        """Every due bill of every seller's subscriptions as one invoice, exactly once (I2).

        Ends trials whose end has come, drafts each due bill, issues those without usage
        at once and those with usage once the seller's ``usage_grace`` has passed. Safe from many
        workers at once and again after a crash. ``run_due`` calls it after
        ``recurring_due``; so may a scheduler.
        """
        return generate_all(
            self._runner,
            lambda seller_id: self.seller(seller_id).invoices._issue_in,  # noqa: SLF001 - shared
            now,
            dry_run=dry_run,
        )

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    def __enter__(self) -> Billing:  # noqa: PYI034 - Billing is not meant to be subclassed
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
