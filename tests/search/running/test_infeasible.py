"""A configuration the encoder cannot build is refused in one line, counts for nothing, and
teaches TPE where not to look."""

from __future__ import annotations

import io
import logging
import math
from pathlib import Path

import optuna
from optuna.trial import TrialState

from objectives import Objective, get_method
from objectives.budget import Budget
from objectives.data import SearchData
from search.running.runner import run_search
from search.running.study import finished_count, infeasible
from spaces import parse_space
from spaces.base import Constraint
from tests.search.running.studies import supervised_study


def test_infeasible_trial_is_refused_in_one_line_and_does_not_count(
    tmp_path: Path, tiny_data: SearchData, budget: Budget, params: dict,
) -> None:
    study = supervised_study(f"sqlite:///{tmp_path / 's.db'}")
    study.enqueue_trial({**params, "padding": "valid", "kernel_size": 7, "depth": 3})
    # What a user sees is one emitted line per log call. A handler of the test's own on
    # Optuna's logger receives each call exactly once, whatever handlers the root logger
    # or pytest's capture attach elsewhere (caplog saw every line twice on some machines).
    shown = io.StringIO()
    handler = logging.StreamHandler(shown)
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        outcome = run_search(study, Objective(get_method("supervised"), tiny_data, budget,
                                              0), 2)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    (refused,) = [t for t in study.get_trials() if infeasible(t)]
    # Pruned with a constraint, which TPE ranks among its worst; it logged one line.
    assert refused.state == TrialState.PRUNED and refused.constraints == {"feasible": 1.0}
    assert refused.user_attrs["fail_reason"].startswith("infeasible: feature map shrinks")
    assert refused.user_attrs["epochs"] == 0
    lines = [line for line in shown.getvalue().splitlines()
             if f"Trial {refused.number} " in line]
    assert len(lines) == 1 and "pruned" in lines[0] and "Traceback" not in shown.getvalue()
    # It does not count: two trained trials besides it.
    assert finished_count(study) == 2 and outcome.infeasible == 1
    assert outcome.complete + outcome.pruned == 2


def _infeasible_proposals(mode: str, seed: int) -> int:
    """Infeasible proposals of TPE after its 10 random startup trials, of 50, when refused
    trials are told as the objective tells them ("constraint") or as failures."""
    space = parse_space("t", {
        "lr": {"kind": "float", "low": 1e-4, "high": 1e-1, "log": True, "grid": [1e-3]},
        "k": {"kind": "categorical", "choices": [1, 2, 3, 4, 5, 6]},
        "pad": {"kind": "categorical", "choices": ["same", "valid"]},
    }, [Constraint("fits", ("k", "pad"), lambda p: float(p["pad"] == "valid" and p["k"] >= 3),
                   lambda p: "too big")])
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    proposals = 0
    for number in range(60):
        trial = study.ask()
        values = space.suggest(trial)
        if space.infeasibility(values) is None:
            # Larger k scores better: the infeasible region borders the best one.
            study.tell(trial, -(math.log10(values["lr"]) + 2.5) ** 2 + 0.1 * values["k"])
            continue
        proposals += number >= 10
        if mode == "constraint":
            trial.set_constraint("feasible", 1.0)
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, state=TrialState.FAIL)
    return proposals


def test_tpe_learns_to_avoid_infeasible_regions() -> None:
    # A third of the space is infeasible. Failed trials teach TPE nothing (16-47 of 50
    # proposals land there for seeds 0-2); refused trials told with a constraint do.
    told = sum(_infeasible_proposals("constraint", seed) for seed in range(3))
    failed = sum(_infeasible_proposals("fail", seed) for seed in range(3))
    assert told < failed / 2, (told, failed)
