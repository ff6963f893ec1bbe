"""The search: sampler registry (``tpe``, ``random``, ``grid``), each factory seedable.

Factories take the method's space so the grid sampler reads the grid the space defines.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna

from spaces.base import SearchSpace
from spaces.registry import Registry

__all__ = ["SAMPLERS", "SamplerFactory", "make_sampler"]

SamplerFactory = Callable[[SearchSpace, "int | None"], optuna.samplers.BaseSampler]

SAMPLERS: Registry[SamplerFactory] = Registry("sampler")
SAMPLERS.register("tpe", lambda space, seed: optuna.samplers.TPESampler(seed=seed))
SAMPLERS.register("random", lambda space, seed: optuna.samplers.RandomSampler(seed=seed))
SAMPLERS.register(
    "grid", lambda space, seed: optuna.samplers.GridSampler(space.grid(), seed=seed)
)


def make_sampler(name: str, space: SearchSpace, seed: int | None) -> optuna.samplers.BaseSampler:
    """Builds the sampler registered as ``name`` for ``space``."""
    return SAMPLERS.get(name)(space, seed)
