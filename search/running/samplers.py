"""The search: sampler registry (``tpe``, ``tpe-multivariate``, ``random``, ``grid``), each
factory seedable.

Factories take the method's space (the grid sampler reads the grid the space defines), the
seed, and a stream index: parallel workers of TPE and random search need distinct seeds or
they would propose the same trials, and so does a resumed study: re-seeded as on its first
run, TPE's random start-up phase would replay the first run's proposals (a resumed study
trained trials 0 and 1 again as trials 9 and 10). Every grid worker needs the same seed,
because Optuna numbers grid points in a seed-dependent order, and a grid never repeats a
point anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import warnings

import optuna

from search.running.grid import PointGridSampler
from spaces.base import SearchSpace
from spaces.registry import Registry

__all__ = ["SAMPLERS", "SamplerFactory", "make_sampler"]

SamplerFactory = Callable[[SearchSpace, int, int], optuna.samplers.BaseSampler]

SAMPLERS: Registry[SamplerFactory] = Registry("sampler")
SAMPLERS.register(
    "tpe", lambda space, seed, stream: optuna.samplers.TPESampler(seed=seed + 1000 * stream)
)



def _multivariate_tpe(space: SearchSpace, seed: int, stream: int) -> optuna.samplers.BaseSampler:
    """TPE over the joint density of parameters that occur together.

    ``multivariate`` models parameters jointly (the GAN's learning rates, betas and
    weights interact); ``group`` splits a conditional space into the groups of parameters
    that appear together, so a lever's weight is modelled with the trials that switched
    it on rather than dropped as independent TPE does; ``constant_liar`` makes parallel
    workers see each other's running trials as bad, so two workers rarely propose the
    same region at once.
    """
    with warnings.catch_warnings():  # "experimental" since Optuna 2.2, in every worker
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed + 1000 * stream, multivariate=True,
                                          group=True, constant_liar=True)


SAMPLERS.register("tpe-multivariate", _multivariate_tpe)
SAMPLERS.register(
    "random",
    lambda space, seed, stream: optuna.samplers.RandomSampler(seed=seed + 1000 * stream),
)
# Every worker walks the same seeded order; the gate keeps them off each other's points.
SAMPLERS.register("grid", lambda space, seed, stream: PointGridSampler(space, seed=seed))


def make_sampler(
    name: str, space: SearchSpace, seed: int, worker: int = 0, resumed_at: int = 0
) -> optuna.samplers.BaseSampler:
    """Builds the sampler registered as ``name`` for ``space``.

    Args:
        name: A registered sampler.
        space: The method's search space.
        seed: The search's ``--seed``.
        worker: This worker's index among the parallel workers, below 1000.
        resumed_at: How many trials the study held when this worker joined it. A fresh
            study (0) keeps the streams of earlier versions; every other count gets its
            own, so a resumed search draws new proposals, and rerunning the same resume
            draws the same ones.
    """
    stream = worker if resumed_at == 0 else worker + 1000 * resumed_at
    return SAMPLERS.get(name)(space, seed, stream)
