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

PrunerFactory = Callable[[Budget, int], optuna.pruners.BasePruner]

PRUNERS: Registry[PrunerFactory] = Registry("pruner")
# Five full trials before judging anyone, and two epochs of grace: the first epoch of a
# good configuration is often no better than a bad one's.
PRUNERS.register(
    "median",
    lambda budget, steps: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2),
)
PRUNERS.register(
    "hyperband",
    lambda budget, steps: optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=steps, reduction_factor=3
    ),
)
PRUNERS.register(
    "successive-halving",
    lambda budget, steps: optuna.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=3
    ),
)
PRUNERS.register("none", lambda budget, steps: optuna.pruners.NopPruner())


def make_pruner(name: str, budget: Budget, steps: int | None = None
                ) -> optuna.pruners.BasePruner:
    """Builds the pruner registered as ``name`` for ``budget``, whose runs report at most
    ``steps`` steps (default: the profile's ``max_epochs``)."""
    return PRUNERS.get(name)(budget, budget.max_epochs if steps is None else steps)
