"""Conditional parameters, constraints and the grid of distinct points."""

from __future__ import annotations

import optuna
import pytest

from spaces import SpaceError, get_space, parse_space
from spaces.base import Constraint
from spaces.common import ENCODER_FITS, feature_map_sides
from spaces.gan import PAPER_PARAMS

SPEC = {
    "body": {"kind": "categorical", "choices": ["mlp", "conv"]},
    "width": {"kind": "categorical", "choices": [8, 16], "when": {"body": "mlp"}},
    "kernel": {"kind": "categorical", "choices": [3, 5, 7], "grid": [3, 7],
               "when": {"body": ["conv"]}},
    "lr": {"kind": "float", "low": 0.1, "high": 1.0, "grid": [0.5]},
}
NO_SEVEN = Constraint("no_seven", ("kernel",), lambda p: float(p["kernel"] == 7),
                      lambda p: "kernel 7 is ruled out")


def test_a_trial_samples_and_stores_only_its_active_parameters() -> None:
    space = parse_space("t", SPEC)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(30):
        trial = study.ask()
        values = space.suggest(trial)
        study.tell(trial, 0.0)
        expected = {"body", "lr", "width" if values["body"] == "mlp" else "kernel"}
        assert set(values) == set(study.trials[-1].params) == expected
        seen.add(values["body"])
    assert seen == {"mlp", "conv"}
    # Builders get every parameter: inactive ones at their first grid value.
    assert space.resolve({"body": "mlp", "width": 16, "lr": 0.3}) == {
        "body": "mlp", "width": 16, "kernel": 3, "lr": 0.3}


def test_grid_points_are_the_branches_not_the_product() -> None:
    space = parse_space("t", SPEC, [NO_SEVEN])
    points = space.grid_points()
    # mlp x 2 widths, conv x kernel 3 (7 is infeasible); lr has one grid value.
    assert points == [{"body": "mlp", "width": 8, "lr": 0.5},
                      {"body": "mlp", "width": 16, "lr": 0.5},
                      {"body": "conv", "kernel": 3, "lr": 0.5}]
    assert space.grid_size() == 3


def test_constraints_apply_only_to_active_parameters() -> None:
    space = parse_space("t", SPEC, [NO_SEVEN])
    assert space.infeasibility({"body": "conv", "kernel": 7, "lr": 0.5}) == \
        "kernel 7 is ruled out"
    assert space.violations({"body": "conv", "kernel": 7}) == {"no_seven": 1.0}
    # A configuration stored before ``kernel`` became conditional still carries it.
    assert space.infeasibility({"body": "mlp", "width": 8, "kernel": 7, "lr": 0.5}) is None
    assert space.violations({"body": "mlp", "width": 8, "kernel": 7}) == {}


@pytest.mark.parametrize(("when", "message"), [
    ({"later": "x"}, "not an earlier parameter"),
    ({"lr0": 0.5}, "not categorical"),
    ({"body": "rnn"}, "not among"),
    ("body", "must map"),
])
def test_bad_conditions_are_refused(when: object, message: str) -> None:
    spec = {"lr0": {"kind": "float", "low": 0.1, "high": 1.0, "grid": [0.5]},
            "body": {"kind": "categorical", "choices": ["mlp", "conv"]},
            "x": {"kind": "categorical", "choices": [1, 2], "when": when},
            "later": {"kind": "categorical", "choices": ["x"]}}
    with pytest.raises(SpaceError, match=message):
        parse_space("bad", spec)


def test_constraint_over_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(SpaceError, match="unknown parameters"):
        parse_space("t", SPEC, [Constraint("c", ("depth",), lambda p: 0.0, lambda p: "")])


def test_encoder_constraint_matches_the_feature_map_arithmetic() -> None:
    # valid padding, kernel 7: 28 -> 22 -> 11, 11 -> 5 -> 2, 2 -> vanished.
    assert feature_map_sides(7, 3, "max_pool", "valid") == [11, 2, 0]
    bad = {"kernel_size": 7, "depth": 3, "downsample": "max_pool", "padding": "valid"}
    assert ENCODER_FITS.violation(bad) == 1.0
    assert "block 3 of 3" in ENCODER_FITS.reason(bad)
    assert ENCODER_FITS.violation({**bad, "padding": "same"}) == 0.0


def test_gan_paper_preset_has_no_encoder_parameters() -> None:
    space = get_space("gan")
    assert "kernel_size" not in PAPER_PARAMS and space.active_values(PAPER_PARAMS) == \
        PAPER_PARAMS
    conv = {"learning_rate": 1e-3, "batch_size": 100, "preset": "conv"}
    assert space.active("kernel_size", conv) and not space.active("mlp_depth", conv)
    names = {name for p in space.grid_points() if p["preset"] == "paper" for name in p}
    assert not names & {"kernel_size", "depth", "filters", "padding", "downsample"}
    assert all(space.infeasibility(p) is None for p in space.grid_points())
