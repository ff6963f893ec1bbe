"""The search: pruner registry (``median``, ``hyperband``, ``successive-halving``, ``none``).

Steps are epochs, so factories take the budget to size their resources.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna

from objectives.profiles import Budget
from spaces.registry import Registry

__all__ = ["PRUNERS", "PrunerFactory", "make_pruner"]

PrunerFactory = Callable[[Budget], optuna.pruners.BasePruner]

PRUNERS: Registry[PrunerFactory] = Registry("pruner")
# Five full trials before judging anyone, and two epochs of grace: the first epoch of a
# good configuration is often no better than a bad one's.
PRUNERS.register(
    "median",
    lambda budget: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2),
)
PRUNERS.register(
    "hyperband",
    lambda budget: optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=budget.max_epochs, reduction_factor=3
    ),
)
PRUNERS.register(
    "successive-halving",
    lambda budget: optuna.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=3
    ),
)
PRUNERS.register("none", lambda budget: optuna.pruners.NopPruner())


def make_pruner(name: str, budget: Budget) -> optuna.pruners.BasePruner:
    """Builds the pruner registered as ``name`` for ``budget``."""
    return PRUNERS.get(name)(budget)
