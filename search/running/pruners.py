"""The search: pruner registry (``median``, ``hyperband``, ``successive-halving``, ``none``).

Steps are epochs (pretraining epochs first, for the methods that pretrain), so factories
take the budget and the most steps a run of the method reports: Hyperband's top rung is
then the profile's full budget, and its lower rungs are the low-fidelity evaluations.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna

from objectives.budget import Budget
from spaces.registry import Registry

__all__ = ["PRUNERS", "PrunerFactory", "make_pruner"]

PrunerFactory = Callable[[Budget, int, "int | None"], optuna.pruners.BasePruner]

PRUNERS: Registry[PrunerFactory] = Registry("pruner")
# Uncalibrated defaults: five full trials before judging anyone, and two epochs of grace
# (the first epoch of a good configuration is often no better than a bad one's); Hyperband
# and successive halving from the first step. A calibrated study (``search.calibration``)
# passes ``start``, the first step whose values rank like the full budget's, and each
# pruner judges no earlier: the median's warm-up, the halvings' minimum resource.
PRUNERS.register(
    "median",
    lambda budget, steps, start: optuna.pruners.MedianPruner(
        n_startup_trials=5, n_warmup_steps=2 if start is None else start),
)
PRUNERS.register(
    "hyperband",
    lambda budget, steps, start: optuna.pruners.HyperbandPruner(
        min_resource=max(1, start or 1), max_resource=steps, reduction_factor=3
    ),
)
PRUNERS.register(
    "successive-halving",
    lambda budget, steps, start: optuna.pruners.SuccessiveHalvingPruner(
        min_resource=max(1, start or 1), reduction_factor=3
    ),
)
PRUNERS.register("none", lambda budget, steps, start: optuna.pruners.NopPruner())


def make_pruner(name: str, budget: Budget, steps: int | None = None,
                start: int | None = None, off: bool = False) -> optuna.pruners.BasePruner:
    """Builds the pruner registered as ``name`` for ``budget``.

    Args:
        name: A registered pruner.
        budget: The profile.
        steps: The most steps a run reports (default: the profile's ``max_epochs``).
        start: The first step the pruner may judge at, from a calibration; ``None`` for
            the uncalibrated default.
        off: A calibration found no rung that ranks like the full budget: no pruning.
    """
    if off:
        return optuna.pruners.NopPruner()
    return PRUNERS.get(name)(budget, budget.max_epochs if steps is None else steps, start)
