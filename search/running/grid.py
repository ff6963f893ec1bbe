"""The search: a grid sampler over a space's distinct grid points.

Optuna's GridSampler walks a Cartesian product. A conditional space is not one: the GAN's
``paper`` preset has no encoder parameters, so the product would repeat each paper
configuration once per encoder combination, and it would also hold the points a
constraint rules out. This sampler walks :meth:`SearchSpace.grid_points` instead, in a
seeded random order, and marks each trial's point as ``grid_id`` the way Optuna's does,
so the parallel gate (``search.running.runner.GatedObjective``) keeps two workers off one point.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from spaces.base import SearchSpace

__all__ = ["PointGridSampler"]


class PointGridSampler(optuna.samplers.BaseSampler):
    """Samples each of ``space``'s grid points once, then stops the study.

    Args:
        space: The search space whose grid points are walked.
        seed: Seed of the order; every worker of a study needs the same one.
    """

    def __init__(self, space: SearchSpace, seed: int | None = None) -> None:
        self.points = space.grid_points()
        # A study resumed with a changed grid must not mistake old ids for new points.
        self.signature = hashlib.sha1(json.dumps(self.points, sort_keys=True).encode()
                                      ).hexdigest()[:16]
        self.order = [int(i) for i in np.random.default_rng(seed).permutation(len(self.points))]

    def _taken(self, study: optuna.Study) -> tuple[set[int], set[int]]:
        """Grid ids of this grid's finished and running trials."""
        done, running = set(), set()
        for t in study._storage.get_all_trials(study._study_id, deepcopy=False):
            grid_id = t.system_attrs.get("grid_id")
            # Another worker's trial may be between writing its signature and its point.
            if t.system_attrs.get("grid_signature") != self.signature or grid_id is None:
                continue
            if t.state.is_finished():
                done.add(grid_id)
            elif t.state == TrialState.RUNNING:
                running.add(grid_id)
        return done, running

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if "grid_id" in trial.system_attrs or "fixed_params" in trial.system_attrs:
            return  # an enqueued configuration, or a re-run that already has its point
        done, running = self._taken(study)
        free = [i for i in self.order if i not in done and i not in running]
        # All points taken: rerun one still running (a killed worker's) rather than none.
        free = free or [i for i in self.order if i not in done] or self.order
        # Workers starting together see the same free points; trial numbers are unique,
        # so indexing by them spreads the workers over different points.
        storage = study._storage
        storage.set_trial_system_attr(trial._trial_id, "grid_signature", self.signature)
        storage.set_trial_system_attr(trial._trial_id, "grid_id",
                                      free[trial.number % len(free)])

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial
                                    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        point = self.points[trial.system_attrs["grid_id"]]
        if param_name not in point:
            raise ValueError(f"parameter {param_name!r} is inactive at grid point {point}")
        return point[param_name]

    def after_trial(self, study: optuna.Study, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        done, _ = self._taken(study)
        # The storage marks this trial finished only after this call.
        attrs = study._storage.get_trial_system_attrs(trial._trial_id)
        if attrs.get("grid_signature") == self.signature:
            done.add(attrs["grid_id"])
        if len(done) >= len(self.points):
            study.stop()
