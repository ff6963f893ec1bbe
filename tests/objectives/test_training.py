from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from objectives import METHODS, get_method
from objectives.data import SearchData
from objectives.encoder import InfeasibleConfig
from objectives.profiles import PROFILES, Budget
from objectives.base import RunContext
from objectives.training import NonFiniteLoss, release, train


def test_supervised_learns_tiny_data(tiny_data: SearchData, budget: Budget,
                                     params: dict) -> None:
    budget = dataclasses.replace(budget, max_epochs=6, patience=6, labeled_repeats=5)
    result = train(get_method("supervised"), params, tiny_data, budget, RunContext(seed=0))
    assert result.val_accuracy > 0.5  # chance is 0.1
    assert result.epochs == len(result.history) >= 1
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(result.history[0])
    assert result.n_params > 0 and result.seconds > 0
    release()


def test_same_seed_same_result(tiny_data: SearchData, budget: Budget, params: dict) -> None:
    method = get_method("supervised")
    first = train(method, params, tiny_data, budget, RunContext(seed=1)).val_accuracy
    release()
    second = train(method, params, tiny_data, budget, RunContext(seed=1)).val_accuracy
    release()
    assert first == second


def test_infeasible_params_fail_before_building(tiny_data: SearchData, budget: Budget,
                                                params: dict) -> None:
    params.update(padding="valid", kernel_size=7, depth=3)
    with pytest.raises(InfeasibleConfig):
        train(get_method("supervised"), params, tiny_data, budget, RunContext(seed=0))


def test_nan_loss_is_reported(tiny_data: SearchData, budget: Budget, params: dict) -> None:
    poisoned = dataclasses.replace(tiny_data, labeled_x=np.full_like(tiny_data.labeled_x, np.nan))
    with pytest.raises(NonFiniteLoss, match="nan"):
        train(get_method("supervised"), params, poisoned, budget, RunContext(seed=0))
    release()


def test_registries_hold_the_baseline_and_profiles() -> None:
    assert METHODS.names()[0] == "supervised"
    assert PROFILES.names() == ["smoke", "bench", "paper"]
    smoke, bench, paper = (PROFILES.get(n) for n in PROFILES.names())
    assert smoke.max_epochs <= 2 < bench.max_epochs < paper.max_epochs
