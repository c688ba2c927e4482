"""T34 deterministic_simulation: seeded runs over the ports, with faults, checked after every step.

Each seed simulates months of billing (sellers with dunning policies, recurring and
one-off invoices, payments in full, in part, failed, refunded, credit notes, voids;
``run_due`` and ``dispatch`` every day) on the memory store and on a SQLite file,
with and without faults at the named fault points (some of them "crashes" that build
the Billing again). After every step what it touched is checked; at the end the
whole store, and that everything converged. Sizes: ``INVOICEKIT_T34_SEEDS`` seeds per
case (4 by default) of ``INVOICEKIT_T34_DAYS`` days (90); the soak is the same with
larger numbers. A failure prints ``INVOICEKIT_SEED=<n>`` and the step to replay.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.domain.status import Status
from invoicekit.ports import Storage
from invoicekit.services.billing import Billing
from invoicekit.testing.simulation import (
    Simulation,
    SimulationConfig,
    SimulationError,
    StepInfo,
)

SEEDS = int(os.environ.get("INVOICEKIT_T34_SEEDS", "4"))
DAYS = int(os.environ.get("INVOICEKIT_T34_DAYS", "90"))
CALM = SimulationConfig(days=DAYS, quiet_days=21)
FAULTY = attrs.evolve(CALM, fault_rate=0.05)


def _sqlite(path: Path) -> Callable[[], Storage]:
    return lambda: SqliteStorage.open(path)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_memory_store_without_faults(seed: int) -> None:
    result = Simulation(seed, CALM).run()

    assert result.faults == 0
    assert result.deliveries > 0
    assert result.steps > DAYS * 2


@pytest.mark.parametrize("seed", range(100, 100 + SEEDS))
def test_memory_store_with_faults_converges(seed: int) -> None:
    result = Simulation(seed, FAULTY).run()

    assert result.faults > 0
    assert result.restarts > 0


@pytest.mark.parametrize("seed", range(200, 200 + max(1, SEEDS // 2)))
def test_sqlite_file_with_and_without_faults(seed: int, tmp_path: Path) -> None:
    calm = Simulation(seed, CALM, storage=_sqlite(tmp_path / "calm.db")).run()
    faulty = Simulation(seed, FAULTY, storage=_sqlite(tmp_path / "faulty.db")).run()

    assert calm.faults == 0
    assert faulty.faults > 0
    assert faulty.restarts > 0  # each reopened the SQLite file


def test_same_seed_same_trace_and_state() -> None:
    first = Simulation(7, FAULTY).run()
    second = Simulation(7, FAULTY).run()
    other = Simulation(8, FAULTY).run()

    assert first.faults > 0
    assert (second.digest, second.trace_digest) == (first.digest, first.trace_digest)
    assert other.digest != first.digest


def test_sqlite_ends_in_the_state_memory_ends_in(tmp_path: Path) -> None:
    # Same seed, same faults: the file store and the reference store agree at the end.
    config = attrs.evolve(FAULTY, days=60)
    on_file = Simulation(11, config, storage=_sqlite(tmp_path / "s.db")).run()
    in_memory = Simulation(11, config).run()

    assert on_file.trace_digest == in_memory.trace_digest
    assert on_file.digest == in_memory.digest


class _MarkPaidWithABalance:
    """Break I7 on purpose: the first open invoice a step touches from step 40 on claims to be paid."""

    def __init__(self) -> None:
        self.broken_at: int | None = None

    def __call__(self, billing: Billing, step: StepInfo) -> None:
        if step.number < 40 or self.broken_at is not None:
            return
        for seller_id, invoice_id in sorted(step.invoices):
            with billing.storage.transaction() as tx:
                invoice = tx.invoices.get(seller_id, invoice_id, for_update=True)
                if invoice.status in OPEN and invoice.amount_due > 0:
                    broken = attrs.evolve(invoice, status=Status.PAID)
                    tx.invoices.save(broken, expected_version=invoice.version)
                    self.broken_at = step.number
                    return


OPEN = frozenset({Status.PENDING, Status.OVERDUE, Status.PARTIALLY_PAID, Status.FAILED})


def test_a_broken_invariant_is_caught_at_its_step_with_the_seed() -> None:
    breaker = _MarkPaidWithABalance()
    simulation = Simulation(21, CALM, after_step=breaker)

    with pytest.raises(SimulationError) as caught:
        simulation.run()

    failure = caught.value
    assert breaker.broken_at is not None
    assert (failure.seed, failure.step) == (21, breaker.broken_at)
    assert any(v.startswith("I7: ") and "is paid with" in v for v in failure.violations)
    assert f"INVOICEKIT_SEED=21 step {breaker.broken_at}" in str(failure)
    assert f"run(stop_after={breaker.broken_at})" in str(failure)


def test_the_whole_store_check_at_the_end_catches_what_steps_do_not_see() -> None:
    # A break of numbering (I3) spans invoices: only the end's whole-store check sees it.
    def take_a_number(billing: Billing, step: StepInfo) -> None:
        if step.number == 30:
            with billing.storage.transaction() as tx:
                tx.sequences.next_value("s0", "invoice", "2026")

    with pytest.raises(SimulationError) as caught:
        Simulation(3, attrs.evolve(CALM, days=40), after_step=take_a_number).run()

    assert any(v.startswith("I3: ") for v in caught.value.violations), caught.value.violations
    assert "end of run" in str(caught.value)


def test_replaying_a_seed_up_to_a_step_leaves_the_store_to_inspect() -> None:
    simulation = Simulation(5, CALM)
    result = simulation.run(stop_after=25)

    assert result.steps == 25
    assert result.digest == ""
    assert simulation.billing.seller("s0").invoices.list(limit=1) is not None


def test_bad_configuration_is_refused_with_what_is_allowed() -> None:
    from invoicekit.errors import ValidationError

    with pytest.raises(ValidationError, match="fault_points"):
        SimulationConfig(fault_points=("no_such_point",))
    with pytest.raises(ValidationError, match="fault_rate"):
        SimulationConfig(fault_rate=1.5)
