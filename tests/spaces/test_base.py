from __future__ import annotations

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution

from spaces import SpaceError, get_space, parse_space
from spaces.supervised import SPEC

VALID = {
    "lr": {"kind": "float", "low": 1e-4, "high": 1e-2, "log": True, "grid": [1e-3, 1e-2]},
    "units": {"kind": "int", "low": 1, "high": 4, "grid": [1, 4]},
    "act": {"kind": "categorical", "choices": ["relu", "tanh"]},
}


def test_space_to_distributions_and_grid() -> None:
    space = parse_space("t", VALID)
    dists = space.distributions()
    assert dists["lr"] == FloatDistribution(1e-4, 1e-2, log=True)
    assert dists["act"] == CategoricalDistribution(["relu", "tanh"])
    assert space.grid() == {"lr": [1e-3, 1e-2], "units": [1, 4], "act": ["relu", "tanh"]}
    assert space.grid_size() == 8


def test_suggest_through_ask_tell_stays_in_range() -> None:
    space = parse_space("t", VALID)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        values = space.suggest(trial)
        assert 1e-4 <= values["lr"] <= 1e-2
        assert values["units"] in range(1, 5)
        assert values["act"] in ("relu", "tanh")
        study.tell(trial, 0.0)
    assert set(study.trials[0].distributions) == {"lr", "units", "act"}


def test_supervised_space_matches_the_issue() -> None:
    space = get_space("supervised")
    dists = space.distributions()
    assert dists["learning_rate"] == FloatDistribution(1e-4, 1e-2, log=True)
    assert dists["batch_size"].choices == (16, 32, 64, 100)
    assert dists["kernel_size"].choices == (3, 5, 7)
    assert dists["depth"].choices == (1, 2, 3)
    assert dists["filters"].choices == (16, 32, 64)
    assert dists["latent_width"].choices == (32, 64, 128, 256)
    assert set(dists["downsample"].choices) == {"max_pool", "stride"}
    assert set(dists["padding"].choices) == {"same", "valid"}
    assert dists["dropout"] == FloatDistribution(0.0, 0.5)
    assert space.grid_size() > 1 and set(space.grid()) == set(SPEC)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "no parameters"),
        ({"x": {"kind": "float", "low": 1.0, "high": 1.0, "grid": [1.0]}}, "must be below"),
        ({"x": {"kind": "float", "low": 2.0, "high": 1.0, "grid": [1.0]}}, "must be below"),
        ({"x": {"kind": "float", "low": 0.0, "high": 1.0, "log": True, "grid": [0.5]}},
         "low > 0"),
        ({"x": {"kind": "int", "low": 5, "high": 1}}, "must be below"),
        ({"x": {"kind": "categorical", "choices": []}}, "choices are empty"),
        ({"x": {"kind": "categorical", "choices": [1, 1]}}, "repeat"),
        ({"x": {"kind": "categorical", "choices": [1, 2], "grid": [3]}}, "not among"),
        ({"x": {"kind": "float", "low": 0.0, "high": 1.0, "grid": []}}, "grid is empty"),
        ({"x": {"kind": "float", "low": 0.0, "high": 1.0, "grid": [2.0]}}, "outside"),
        ({"x": {"kind": "float", "low": 0.0, "high": 1.0}}, "missing field 'grid'"),
        ({"x": {"kind": "gaussian", "low": 0, "high": 1}}, "unknown parameter kind"),
        ({"x": {"low": 0, "high": 1}}, "unknown parameter kind"),
        ({"x": {"kind": "float", "low": "a", "high": 1.0, "grid": [0.5]}}, "could not convert"),
    ],
)
def test_invalid_spaces_are_refused(spec: dict, message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        parse_space("bad", spec)
