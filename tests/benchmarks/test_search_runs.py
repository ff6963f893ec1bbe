"""The search benchmarks' bookkeeping: best-so-far curves and trials-to-target."""

from __future__ import annotations

import math
from pathlib import Path

import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from benchmarks.samplers import trials_to_reach
from benchmarks.search_runs import StudySpec, best_after, finished_trials, load, median_range


def _study(states_values: list[tuple[TrialState, float | None]]) -> optuna.Study:
    study = optuna.create_study(direction="maximize")
    for number, (state, value) in enumerate(states_values):
        study.add_trial(optuna.trial.create_trial(
            state=state, value=value, params={"x": float(number)},
            distributions={"x": FloatDistribution(0, 100)},
            intermediate_values={0: value} if value is not None else {}))
    return study


def test_best_after_counts_completed_trials_in_order() -> None:
    study = _study([(TrialState.COMPLETE, 0.5), (TrialState.FAIL, None),
                    (TrialState.PRUNED, 0.9), (TrialState.COMPLETE, 0.7),
                    (TrialState.COMPLETE, 0.6)])
    trials = finished_trials(study, limit=3)
    # The failed trial does not count towards the budget; a pruned one does, without value.
    assert [t.number for t in trials] == [0, 2, 3]
    assert [best_after(trials, n) for n in (1, 2, 3)] == [0.5, 0.5, 0.7]
    assert trials_to_reach(trials, 0.7) == 3 and trials_to_reach(trials, 0.8) is None
    # Read mid-run, a study with fewer finished trials than asked has no "best after n".
    assert math.isnan(best_after(trials, 4))


def test_unstarted_study_reads_as_empty(tmp_path: Path) -> None:
    spec = StudySpec("grid", "median", 1, 30)
    study = load(spec, f"sqlite:///{tmp_path / 'bench.db'}")
    assert study is None and finished_trials(study, 30) == []


def test_spec_name_and_median_range() -> None:
    assert StudySpec("tpe", "median", 2, 30).name == "supervised-tpe-median-seed2"
    assert median_range([0.8, 0.9, 0.85]) == "0.8500 [0.8000–0.9000]"
    # Unfinished studies (NaN) are left out, and the table says how many values remain.
    assert median_range([0.8, float("nan"), 0.9]) == "0.8500 [0.8000–0.9000] (n=2)"
    assert median_range([float("nan")] * 3) == "–"
