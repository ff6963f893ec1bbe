"""The grid sampler over a conditional space's distinct points."""

from __future__ import annotations

import optuna

from search.running.grid import PointGridSampler
from spaces import parse_space

SPACE = parse_space("t", {
    "preset": {"kind": "categorical", "choices": ["paper", "conv"]},
    "width": {"kind": "categorical", "choices": [1, 2, 3], "when": {"preset": "paper"}},
    "kernel": {"kind": "categorical", "choices": [3, 5], "when": {"preset": "conv"}},
})


def test_each_distinct_point_once_then_the_study_stops() -> None:
    study = optuna.create_study(sampler=PointGridSampler(SPACE, seed=0))
    study.optimize(lambda trial: float(len(SPACE.suggest(trial))), n_trials=50)
    # 3 paper widths + 2 conv kernels, not the product 2 x 3 x 2 = 12.
    seen = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(seen) == len(set(seen)) == 5
    assert {dict(p)["preset"] for p in seen} == {"paper", "conv"}
    assert all(("width" in dict(p)) == (dict(p)["preset"] == "paper") for p in seen)


def test_workers_with_one_seed_walk_one_order() -> None:
    first, second = PointGridSampler(SPACE, seed=3), PointGridSampler(SPACE, seed=3)
    assert first.order == second.order and first.signature == second.signature
    assert PointGridSampler(SPACE, seed=4).signature == first.signature  # same grid
