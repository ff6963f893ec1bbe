"""The search: sampler registry (``tpe``, ``random``, ``grid``), each factory seedable.

Factories take the method's space (the grid sampler reads the grid the space defines), the
seed, and the worker's index: parallel workers of TPE and random search need distinct
seeds or they would propose the same trials, while every grid worker needs the same seed,
because Optuna numbers grid points in a seed-dependent order.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna

from search.grid import PointGridSampler
from spaces.base import SearchSpace
from spaces.registry import Registry

__all__ = ["SAMPLERS", "SamplerFactory", "make_sampler"]

SamplerFactory = Callable[[SearchSpace, int, int], optuna.samplers.BaseSampler]

SAMPLERS: Registry[SamplerFactory] = Registry("sampler")
SAMPLERS.register(
    "tpe", lambda space, seed, worker: optuna.samplers.TPESampler(seed=seed + 1000 * worker)
)
SAMPLERS.register(
    "random",
    lambda space, seed, worker: optuna.samplers.RandomSampler(seed=seed + 1000 * worker),
)
# Every worker walks the same seeded order; the gate keeps them off each other's points.
SAMPLERS.register("grid", lambda space, seed, worker: PointGridSampler(space, seed=seed))


def make_sampler(
    name: str, space: SearchSpace, seed: int, worker: int = 0
) -> optuna.samplers.BaseSampler:
    """Builds the sampler registered as ``name`` for ``space``, for worker ``worker``."""
    return SAMPLERS.get(name)(space, seed, worker)
