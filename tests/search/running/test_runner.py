"""The search loop of one worker (``search.running.runner.run_search``): a trial's exception, NaN
or a trial another worker finished first never stops it. Many workers on one study are
``tests/search/running/test_parallel.py``."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from search.running.runner import run_search
from search.running.study import finished_count
from storage import open_storage


def test_an_exception_or_nan_in_a_trial_never_stops_the_study(tmp_path: Path) -> None:
    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path / 's.db'}"))
    calls = {"n": 0}

    def flaky(trial: optuna.Trial) -> float:
        calls["n"] += 1
        x = trial.suggest_float("x", 0, 1)
        if calls["n"] % 3 == 1:
            raise RuntimeError("boom")
        return float("nan") if calls["n"] % 3 == 2 else x

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    run_search(study, flaky, 4)
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) == 4
    assert states.count(TrialState.FAIL) == 8


@pytest.mark.parametrize("taken_as", [TrialState.FAIL, TrialState.COMPLETE])
def test_a_worker_whose_trial_another_finished_goes_on(
        tmp_path: Path, taken_as: TrialState, capsys: pytest.CaptureFixture) -> None:
    # Under load another worker may fail this worker's trial as stale (its heartbeat came
    # late), or run and complete the same re-enqueued trial (SQLite cannot lock the row
    # two workers pop). Optuna then refuses this worker's tell; the worker must go on.
    storage = open_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    name = optuna.create_study(storage=storage, direction="maximize").study_name

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 0:  # what the other worker does meanwhile
            storage.set_trial_state_values(trial._trial_id, taken_as,
                                           [0.5] if taken_as == TrialState.COMPLETE else None)
        return x

    study = optuna.load_study(study_name=name, storage=storage,
                              sampler=optuna.samplers.RandomSampler(seed=0))
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    outcome = run_search(study, objective, 3)
    assert finished_count(study) == 3
    assert study.trials[0].state == taken_as  # the other worker's outcome stands
    # A failed trial does not count: the worker ran one more in its place.
    assert outcome.complete == 3 and len(study.trials) == 3 + (taken_as == TrialState.FAIL)
    err = capsys.readouterr().err
    assert err.count("trial 0 finished by another worker first; going on") == 1


def test_a_worker_stops_without_opening_a_surplus_trial_while_another_runs(
        tmp_path: Path) -> None:
    # Target 2, one trial running in another worker: after its own trial this worker has
    # the target covered and stops; asking for one more would only have the gate fail it
    # as surplus, an empty FAIL in the study (as gan-levers #35 and fixmatch-final #6 were).
    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path / 's.db'}"))
    elsewhere = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    trained = []

    def objective(trial: optuna.Trial) -> float:
        trained.append(trial.number)
        return trial.suggest_float("x", 0, 1)

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    run_search(study, objective, 2)  # no heartbeats here: nothing to wait for
    assert trained == [elsewhere.number + 1]
    assert [t.state for t in study.trials] == [TrialState.RUNNING, TrialState.COMPLETE]
