"""50 consecutive trials in one worker must not grow its resident memory by more than 300 MB."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import optuna

from objectives import Objective, get_method
from objectives.budget import Budget
from objectives.data import SearchData
from search.running.runner import run_search
from storage import open_storage


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_fifty_trials_do_not_leak(tmp_path: Path, tiny_data: SearchData, budget: Budget,
                                  params: dict) -> None:
    budget = dataclasses.replace(budget, max_epochs=1, patience=1)
    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path / 'm.db'}"),
                                direction="maximize", pruner=optuna.pruners.NopPruner())
    objective = Objective(get_method("supervised"), tiny_data, budget, seed=0)

    def fixed(trial: optuna.Trial) -> float:
        # One small configuration throughout: a leak shows per trial whatever the model.
        return objective.run(trial, dict(params))

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    run_search(study, fixed, 5)  # warm-up: TensorFlow's one-off allocations
    before = _rss_mb()
    run_search(study, fixed, 55)
    growth = _rss_mb() - before
    assert len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))) == 55
    print(f"RSS growth over 50 trials: {growth:.1f} MB")
    assert growth <= 300
