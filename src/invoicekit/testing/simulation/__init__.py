"""A deterministic simulator of billing over the ports (T34): one seed, many days, faults, checks.

Run it on your own setup to see your configuration through months or years of
billing in seconds::

    from invoicekit.testing.simulation import Simulation, SimulationConfig

    result = Simulation(seed=7, config=SimulationConfig(days=120, fault_rate=0.02)).run()
    print(result.digest)

The same seed gives the same run and the same digest; a broken invariant raises
``SimulationError`` naming the seed and the step to replay.
"""

from invoicekit.testing.simulation.config import DEFAULT_FAULT_POINTS, SimulationConfig
from invoicekit.testing.simulation.outcome import (
    SimulatedFault,
    SimulationError,
    SimulationResult,
    StepInfo,
    TallyNotifier,
)
from invoicekit.testing.simulation.runner import Simulation

__all__ = [
    "DEFAULT_FAULT_POINTS",
    "SimulatedFault",
    "Simulation",
    "SimulationConfig",
    "SimulationError",
    "SimulationResult",
    "StepInfo",
    "TallyNotifier",
]
