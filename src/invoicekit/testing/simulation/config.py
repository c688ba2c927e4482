"""``SimulationConfig``: the size, the calendar and the faults of one simulated run.

Every choice the simulator makes comes from the seed; the config only says how
much of each there is, so a seed and a config together name one run exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import attrs

from invoicekit.errors import ValidationError, problem
from invoicekit.faults import POINTS

__all__ = ["DEFAULT_FAULT_POINTS", "SimulationConfig"]

#: Where faults are injected by default: every named point the services pass through.
DEFAULT_FAULT_POINTS: Final = tuple(p for p in POINTS if p != "after_provider_call")


@attrs.frozen
class SimulationConfig:
    """How big a simulated run is, how long it lasts and how often it fails.

    ``fault_rate`` is the chance that reaching one of ``fault_points`` raises there
    (``crash_rate`` of those faults also restart the "process": the ``Billing`` is
    built again over the same store). Faults stop after ``days``; ``quiet_days``
    more follow without faults, after which everything must have converged.
    """

    #: Sellers, each with its own dunning policy.
    sellers: int = 2
    #: Customers per seller.
    customers: int = 10
    #: Simulated days with host activity (and faults, when any).
    days: int = 90
    #: Days without faults and new work at the end, for run_due and dispatch to converge.
    quiet_days: int = 21
    #: The first simulated day (09:00 UTC is when the host's daily job runs).
    start: datetime = datetime(2026, 1, 1, 9, tzinfo=UTC)
    #: Share of the customers billed a monthly retainer by a recurring template.
    retainer_share: float = 0.5
    #: Chance per customer and day of a one-off draft (issued the same day, or left a draft).
    one_off_rate: float = 0.02
    #: Chance that reaching an armed fault point raises there.
    fault_rate: float = 0.0
    #: Of the faults, the share that also restarts the process (a new Billing, same store).
    crash_rate: float = 0.25
    #: The named fault points armed (see ``invoicekit.faults.POINTS``).
    fault_points: tuple[str, ...] = DEFAULT_FAULT_POINTS
    #: Check what each step touched right after it; the whole store is checked at the end.
    check_steps: bool = True
    #: Check convergence and the whole store at the end (and take the digest).
    check_end: bool = True
    #: Deliver the queued messages each day (``billing.dispatch()``); False leaves them queued.
    dispatch: bool = True
    #: Share of the customers whose payments fail before they pay, pay in part, pay late or never.
    troubled_share: float = 0.5

    def __attrs_post_init__(self) -> None:
        found = [
            problem(name, "must be at least 1", value)
            for name, value in (("sellers", self.sellers), ("customers", self.customers))
            if value < 1
        ]
        found += [
            problem(name, "must be 0 or more", value)
            for name, value in (("days", self.days), ("quiet_days", self.quiet_days))
            if value < 0
        ]
        found += [
            problem(name, "must be between 0 and 1", value)
            for name, value in (
                ("retainer_share", self.retainer_share),
                ("one_off_rate", self.one_off_rate),
                ("fault_rate", self.fault_rate),
                ("crash_rate", self.crash_rate),
                ("troubled_share", self.troubled_share),
            )
            if not 0 <= value <= 1
        ]
        unknown = sorted(set(self.fault_points) - set(POINTS))
        if unknown:
            found.append(problem("fault_points", f"known points: {', '.join(POINTS)}", unknown))
        if self.start.utcoffset() is None:
            found.append(problem("start", "must be timezone-aware", self.start))
        if found:
            raise ValidationError(found, subject="simulation config")
