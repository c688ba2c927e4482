"""What a simulated run gives back: its result, the failure that names a seed, and its fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import attrs

from invoicekit.adapters.notify.headers import check_message
from invoicekit.ports import Delivery, OutgoingMessage

__all__ = ["SimulatedFault", "SimulationError", "SimulationResult", "StepInfo", "TallyNotifier"]


class SimulatedFault(Exception):  # noqa: N818 - what it is: a fault the simulator injected
    """Raised at a named fault point by the simulator (``crash``: the process "dies" there)."""

    def __init__(self, point: str, *, crash: bool = False) -> None:
        super().__init__(f"simulated fault at {point!r}" + (" (crash)" if crash else ""))
        self.point = point
        self.crash = crash


class SimulationError(AssertionError):
    """An invariant broke: names the seed and the step to replay, and what broke.

    Replay with ``Simulation(seed, config).run(stop_after=step)`` and look at its
    ``billing``; the message starts with ``INVOICEKIT_SEED=<seed>``.
    """

    def __init__(self, seed: int, step: int, day: int, name: str, found: Sequence[str]) -> None:
        self.seed = seed
        self.step = step
        self.day = day
        self.violations = list(found)
        shown = "\n  ".join(self.violations[:20])
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""  # noqa: PLR2004
        super().__init__(
            f"INVOICEKIT_SEED={seed} step {step} (day {day}, {name}) broke an invariant:\n  "
            f"{shown}{more}\nreplay: Simulation({seed}, config).run(stop_after={step})"
        )


@attrs.frozen
class StepInfo:
    """The step just taken, as ``after_step`` sees it."""

    number: int
    day: int
    name: str
    #: (seller id, invoice id) of the invoices the step touched, as far as it knows.
    invoices: frozenset[tuple[str, str]]


@attrs.frozen
class SimulationResult:
    """How a run went: its size, its faults, and digests to compare two runs of one seed by."""

    seed: int
    steps: int
    days: int
    #: SHA-256 of the store's final state (invoices, messages, templates); "" when stopped early.
    digest: str
    #: SHA-256 of the trace: every step, in order, with its outcome.
    trace_digest: str
    faults: int
    restarts: int
    sellers: int
    customers: int
    #: Messages the default notifier delivered (repeats of a key included).
    deliveries: int


@attrs.define
class TallyNotifier:
    """An e-mail notifier that keeps only counts: keys seen, deliveries, repeats of a key."""

    channel: str = "email"
    keys: set[tuple[str, str]] = attrs.Factory(set)
    deliveries: int = 0
    repeats: int = 0

    def send(self, message: OutgoingMessage) -> Delivery:
        """Count ``message``; a key seen before is a repeat (delivered again, as after a crash)."""
        check_message(message.recipient, message.subject)
        self.deliveries += 1
        at = datetime(1970, 1, 1, tzinfo=UTC)
        seen = (message.seller_id, message.key)
        if seen in self.keys:
            self.repeats += 1
            return Delivery(message.key, message.channel, at, duplicate=True)
        self.keys.add(seen)
        return Delivery(message.key, message.channel, at, provider_id=f"tally-{len(self.keys)}")
