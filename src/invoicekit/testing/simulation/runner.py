"""``Simulation``: one seed, simulated days of billing, faults, and invariant checks after every step.

Each simulated day the host does what its agenda says (customers pay, cards fail,
refunds, credit notes, voids, new one-off invoices), then runs its daily job:
``billing.run_due(now)`` and ``billing.dispatch()``. Each of these is one *step*.
A fault injected at a named point raises inside a step; the simulator records it
and carries on as a host would (the action is tried again the next day; a "crash"
builds the ``Billing`` again over the same store). After each step, what it
touched is checked; at the end, after days without faults, everything must have
converged and the whole store is checked. A failure names the seed and the step.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Final

from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.errors import InvoiceKitError
from invoicekit.faults import FaultPoints
from invoicekit.ports import Notifier, Renderer, Storage
from invoicekit.services.billing import Billing
from invoicekit.services.due_report import DueReport
from invoicekit.testing.clock import FixedClock
from invoicekit.testing.fakes import MemoryRenderer
from invoicekit.testing.invariants import Violation, violations
from invoicekit.testing.simulation.checks import CHASING, StepChecks, Touched
from invoicekit.testing.simulation.config import SimulationConfig
from invoicekit.testing.simulation.digest import store_digest
from invoicekit.testing.simulation.host import Action, Host
from invoicekit.testing.simulation.outcome import (
    SimulatedFault,
    SimulationError,
    SimulationResult,
    StepInfo,
    TallyNotifier,
)
from invoicekit.testing.simulation.world import Customer, World, build_world

__all__ = ["Simulation"]

#: Messages delivered per ``dispatch`` call; the day's step calls it until fewer come back.
_DISPATCH_BATCH: Final = 1000
#: Chance per active day that the daily job runs with the clock turned back (a clock jump).
_CLOCK_BACK: Final = 0.03


class Simulation:
    """A deterministic simulated run of billing over the ports, driven by a seed.

    ``storage`` opens the store (called again after each simulated crash; by default
    one ``MemoryStorage`` that survives the crashes, as a database would). ``after_step``
    is called after each step, before its checks, with the Billing and the step: a host's
    own checks go there (and a test breaks an invariant there on purpose).
    """

    def __init__(
        self,
        seed: int,
        config: SimulationConfig | None = None,
        *,
        storage: Callable[[], Storage] | None = None,
        notifiers: Sequence[Notifier] | None = None,
        renderer: Renderer | None = None,
        after_step: Callable[[Billing, StepInfo], None] | None = None,
    ) -> None:
        self.seed = seed
        self.config = config or SimulationConfig()
        if storage is None:
            memory = MemoryStorage()
            storage = lambda: memory  # noqa: E731 - the one store of this run
        self._open = storage
        self._notifiers = list(notifiers) if notifiers is not None else [TallyNotifier()]
        self._renderer = renderer or MemoryRenderer()
        self._after_step = after_step
        self._rng = random.Random(f"{seed}:world")  # noqa: S311 - a simulation, not secrets
        self._fault_rng = random.Random(f"{seed}:faults")  # noqa: S311
        self._ids = itertools.count(1)
        self.clock = FixedClock(self.config.start)
        self._faults_on = False
        self._faults = self._fault_points()
        self.billing = self._build(self._open())
        self._checks = StepChecks()
        self.trace: list[str] = []
        self._step = 0
        self._day = 0
        self._stop_after: int | None = None
        self.faults_injected = 0
        self.restarts = 0
        self._customer_of: dict[str, tuple[str, str]] = {}

    # -- wiring -------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{self.seed}_{next(self._ids):08d}"

    def _fault_points(self) -> FaultPoints:
        config = self.config
        if config.fault_rate <= 0:
            return FaultPoints()

        def arm(point: str) -> Callable[[], None]:
            def maybe_fail() -> None:
                if self._faults_on and self._fault_rng.random() < config.fault_rate:
                    crash = self._fault_rng.random() < config.crash_rate
                    raise SimulatedFault(point, crash=crash)

            return maybe_fail

        return FaultPoints({point: arm(point) for point in config.fault_points})

    def _build(self, storage: Storage) -> Billing:
        return Billing(
            storage=storage,
            clock=self.clock,
            faults=self._faults,
            new_id=self._new_id,
            dispatch="worker",
            notifiers=self._notifiers,
            renderer=self._renderer,
        )

    def _restart(self) -> None:
        """A crash: drop the Billing and everything it held in memory; open the store again."""
        old = self.billing.storage
        new = self._open()
        if new is not old:
            old.close()
        self.billing = self._build(new)
        self.restarts += 1

    # -- the run ------------------------------------------------------------------------

    def run(self, *, stop_after: int | None = None) -> SimulationResult:
        """Simulate every day, check the whole store at the end; raises SimulationError.

        ``stop_after`` ends the run after that step (to replay a failing seed up to it and
        look at ``self.billing``); the end checks are then skipped.
        """
        self._stop_after = stop_after
        config = self.config
        world = build_world(self.billing, self._rng, config, config.start)
        self._world = world
        host = Host(self._rng, world.customers)
        for template_id in world.templates:
            customer = next(c for c in world.customers if template_id == f"{c.id}r")
            self._customer_of[template_id] = (customer.seller_id, customer.id)
        try:
            for day in range(config.days + config.quiet_days):
                self._day = day
                self._faults_on = day < config.days and config.fault_rate > 0
                self._simulate_day(host, world, day, active=day < config.days)
        except _Stopped:
            return self._result(world, digest="")
        self._faults_on = False
        if not config.check_end:
            return self._result(world, digest="")
        self._converged(world)
        return self._result(world, digest=store_digest(self.billing, world.sellers))

    def _simulate_day(self, host: Host, world: World, day: int, *, active: bool) -> None:
        now = self.config.start + timedelta(days=day)
        self.clock.set(now)
        for action in host.agenda.pop(day, []):
            self._perform(host, action, day)
        if active:
            for customer in world.customers:
                if self._rng.random() < self.config.one_off_rate:
                    self._one_off(host, customer, day)
        at = now
        if active and self._rng.random() < _CLOCK_BACK:
            at = now - timedelta(hours=self._rng.randrange(1, 30))
            self.clock.set(at)
        self._run_due(host, at, day)
        self.clock.set(now)
        if self.config.dispatch:
            self._dispatch()

    # -- steps --------------------------------------------------------------------------

    def _perform(self, host: Host, action: Action, day: int) -> None:
        touched = Touched()
        touched.invoice(action.seller_id, action.invoice_id)

        def act() -> str:
            done = host.perform(self.billing, action)
            if action.kind == "issue":
                self._learn(host, day, action.seller_id, action.invoice_id)
            return done

        if self._try(str(action), act, touched, refusals=True) is None:
            host.later(day + 1, action)  # a fault: the host tries again tomorrow

    def _one_off(self, host: Host, customer: Customer, day: int) -> None:
        touched = Touched()

        def draft() -> str:
            invoice_id, issued = host.one_off(self.billing, customer, day)
            self._customer_of[invoice_id] = (customer.seller_id, customer.id)
            touched.invoice(customer.seller_id, invoice_id)
            if issued:
                host.plan(day, customer.id, customer.seller_id, invoice_id)
            return f"drafted {invoice_id}" + (" and issued" if issued else "")

        self._try(f"one-off for {customer.id}", draft, touched, refusals=True)

    def _run_due(self, host: Host, at: datetime, day: int) -> None:
        touched = Touched()

        def run() -> str:
            report = self.billing.run_due(at)
            self._touched_by(report, touched, host, day)
            return _summary(report)

        self._try(f"run_due at {at.isoformat()}", run, touched, refusals=False)

    def _touched_by(self, report: DueReport, touched: Touched, host: Host, day: int) -> None:
        for entry in report.done:
            if entry.action == "generate":
                invoice_id = entry.made[0]
                index = int((entry.step or "period -1").split()[-1])
                touched.periods.append((entry.seller_id, entry.subject_id, index, invoice_id))
                touched.invoice(entry.seller_id, invoice_id)
                seller_id, customer_id = self._customer_of[entry.subject_id]
                self._customer_of[invoice_id] = (seller_id, customer_id)
                host.plan(day, customer_id, seller_id, invoice_id)
                continue
            touched.invoice(entry.seller_id, entry.subject_id)
            if entry.action == "late_fee":
                for fee in entry.made:
                    touched.invoice(entry.seller_id, fee)
                    owner = self._customer_of.get(entry.subject_id)
                    if owner is not None:
                        self._customer_of[fee] = owner
                        host.plan(day, owner[1], entry.seller_id, fee)
            elif entry.action in CHASING:
                touched.chasers += [
                    (entry.seller_id, key, entry.subject_id, entry.action) for key in entry.made
                ]

    def _dispatch(self) -> None:
        touched = Touched()

        def deliver() -> str:
            sent = retrying = failed = 0
            while True:
                report = self.billing.dispatch(limit=_DISPATCH_BATCH)
                sent, retrying = sent + len(report.sent), retrying + len(report.retrying)
                failed += len(report.failed)
                keys = [
                    *report.sent,
                    *(k for k, _ in report.retrying),
                    *(k for k, _ in report.failed),
                ]
                for key in keys:
                    owner = self._customer_of.get(key.split(":")[0])
                    if owner is not None:
                        touched.invoice(owner[0], key.split(":")[0])
                if report.count < _DISPATCH_BATCH:
                    return f"sent {sent}, retrying {retrying}, failed {failed}"

        self._try("dispatch", deliver, touched, refusals=False)

    def _learn(self, host: Host, day: int, seller_id: str, invoice_id: str) -> None:
        owner = self._customer_of.get(invoice_id)
        if owner is not None:
            host.plan(day, owner[1], seller_id, invoice_id)

    def _try(
        self, name: str, body: Callable[[], str], touched: Touched, *, refusals: bool
    ) -> str | None:
        """Run one step; record it; check it. None when a fault stopped it."""
        self._step += 1
        outcome: str | None
        try:
            outcome = body()
        except SimulatedFault as fault:
            self.faults_injected += 1
            if fault.crash:
                self._restart()
            self._record(name, f"fault at {fault.point}{', restarted' if fault.crash else ''}")
            outcome = None
        except InvoiceKitError as exc:
            if not refusals:
                self._fail(name, [Violation("I10", f"{type(exc).__name__}: {exc}")])
            outcome = f"refused: {type(exc).__name__}"
            self._record(name, outcome)
        else:
            self._record(name, outcome)
        info = StepInfo(self._step, self._day, name, frozenset(touched.invoices))
        if self._after_step is not None:
            self._after_step(self.billing, info)
        if self.config.check_steps:
            found = self._checks.check(self.billing, touched)
            if found:
                self._fail(name, found)
        if self._stop_after is not None and self._step >= self._stop_after:
            raise _Stopped
        return outcome

    def _record(self, name: str, outcome: str) -> None:
        self.trace.append(f"{self._step} day {self._day} {name}: {outcome}")

    def _fail(self, name: str, found: Sequence[Violation | str]) -> None:
        raise SimulationError(self.seed, self._step, self._day, name, [str(v) for v in found])

    # -- the end ------------------------------------------------------------------------

    def _converged(self, world: World) -> None:
        """After the quiet days: nothing left to do, a repeat does nothing, the store is sound."""
        self._step += 1
        name = "end of run"
        billing = self.billing
        found: list[Violation] = []
        again = billing.run_due(self.clock.now())
        if again.done:
            found.append(
                Violation("I10", f"run_due still had work after the quiet days: {again.done[:5]}")
            )
        if billing.recurring_due(dry_run=True).generated:
            found.append(Violation("I2", "recurring periods due are still unbilled"))
        for seller_id in world.sellers:
            messages = billing.seller(seller_id).messages
            stuck = messages.list(status=("queued", "sending", "failed"), limit=5)
            if self.config.dispatch and stuck:
                found += [
                    Violation("I6", f"message {m.key!r} is {m.status.value}: {m.last_error}")
                    for m in stuck
                ]
            found += violations(billing, seller_id)
        if found:
            self._fail(name, found)

    def _result(self, world: World, *, digest: str) -> SimulationResult:
        trace = hashlib.sha256("\n".join(self.trace).encode()).hexdigest()
        sent = sum(getattr(n, "deliveries", 0) for n in self._notifiers)
        return SimulationResult(
            seed=self.seed,
            steps=self._step,
            days=self._day + 1,
            digest=digest,
            trace_digest=trace,
            faults=self.faults_injected,
            restarts=self.restarts,
            sellers=len(world.sellers),
            customers=len(world.customers),
            deliveries=sent,
        )


class _Stopped(Exception):  # noqa: N818 - a control-flow signal, not an error
    """``stop_after`` was reached."""


def _summary(report: DueReport) -> str:
    counts: dict[str, int] = {}
    for entry in report.done:
        counts[entry.action] = counts.get(entry.action, 0) + 1
    return ", ".join(f"{action} {n}" for action, n in sorted(counts.items())) or "nothing due"
