"""The study's side of a calibration: its configurations, their trials on resume, what
the study stores, and the command that runs it (trials faked, except in the last test)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from objectives import get_method, get_profile
from search.calibration import (
    calibrate,
    calibration_configs,
    calibration_trials,
    enqueue_calibration,
    stored_calibration,
)
from search.cli.calibrate_command import plan_calibration
from search.cli.common import UsageError
from search.running.runner import run_search
from spaces import get_space
from storage import open_storage
from tests.conftest import run_cli

SPACE = get_space("supervised")


def _study(tmp_path: Path) -> optuna.Study:
    return optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path / 's.db'}"),
                               direction="maximize", pruner=optuna.pruners.NopPruner())


class _Fake:
    """Reports a curve that ranks like the final value from step 1 on, and records the
    configurations it trained."""

    def __init__(self) -> None:
        self.trained: list[dict] = []

    def __call__(self, trial: optuna.Trial) -> float:
        params = SPACE.suggest(trial)
        self.trained.append(params)
        final = params["learning_rate"] * 100
        for step in range(5):
            trial.report(-final if step == 0 else final, step)
        return final


def test_configurations_start_at_the_reference_are_feasible_distinct_and_repeatable(
) -> None:
    reference = {"learning_rate": 1e-3, "batch_size": 32, "kernel_size": 3, "depth": 2}
    refused = {"n": 0}

    def feasible(params: dict) -> bool:
        refused["n"] += params["kernel_size"] == 7
        return params["kernel_size"] != 7

    configs = calibration_configs(SPACE, 6, 0, None, feasible)
    assert all(c["kernel_size"] != 7 for c in configs) and refused["n"] > 0
    assert len({json.dumps(c, sort_keys=True) for c in configs}) == 6
    assert configs == calibration_configs(SPACE, 6, 0, None, feasible)
    assert configs != calibration_configs(SPACE, 6, 1, None, feasible)
    with_ref = calibration_configs(SPACE, 3, 0, reference, lambda p: True)
    assert with_ref[0] == SPACE.point(reference)  # what it lacks at its first grid value
    held = calibration_configs(SPACE, 4, 0, None, lambda p: True, fixed={"depth": 1})
    assert all(c["depth"] == 1 for c in held)
    with pytest.raises(ValueError, match="fewer than --calibrate 3"):
        calibration_configs(SPACE, 3, 0, None, lambda p: False)


def test_a_resumed_calibration_does_not_rerun_its_finished_trials(tmp_path: Path) -> None:
    study = _study(tmp_path)
    configs = calibration_configs(SPACE, 4, 0, None, lambda p: True)
    assert enqueue_calibration(study, configs, reference=False) == 4
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    first = _Fake()
    run_search(study, first, 2)  # the session ends after two of the four
    assert first.trained == configs[:2]
    # The rerun enqueues nothing new and trains only the two left.
    assert enqueue_calibration(study, configs, reference=False) == 0
    second = _Fake()
    run_search(study, second, 4)
    assert second.trained == configs[2:]
    outcome = calibrate(study, 0.6, top=4, pretrain_steps=0,
                        label=lambda s: f"epoch {s + 1}")
    assert outcome.trials == [0, 1, 2, 3] and outcome.mode == "last"
    assert outcome.start == 1  # step 0 ranks backwards
    assert stored_calibration(study) == outcome


def test_a_calibration_trial_that_failed_with_an_exception_is_enqueued_again(
        tmp_path: Path) -> None:
    study = _study(tmp_path)
    configs = calibration_configs(SPACE, 3, 0, None, lambda p: True)
    enqueue_calibration(study, configs, reference=False)
    trial = study.ask()  # the first queued configuration
    study.tell(trial, state=TrialState.FAIL)
    assert enqueue_calibration(study, configs, reference=False) == 1
    again = calibration_trials(study)[-1]
    assert again.state == TrialState.WAITING
    assert again.system_attrs["fixed_params"] == configs[0]
    assert again.user_attrs["calibration_index"] == 0


def test_the_command_calibrates_once_then_searches_with_the_calibrated_pruner(
        tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    common = ("--method", "supervised", "--profile", "smoke", "--storage", url,
              "--data-dir", str(mnist_dir), "--pruner", "hyperband", "--calibrate", "3")
    code, out, _ = run_cli(capsys, *common, "--n-trials", "4")
    assert code == 0 and "calibration of 'supervised-tpe': 3 configurations" in out
    assert "Kendall's tau" in out and "epoch 1" in out
    study = optuna.load_study(study_name="supervised-tpe", storage=url)
    assert sum(bool(t.user_attrs.get("calibration")) for t in study.trials) == 3
    assert stored_calibration(study) is not None
    code, out, _ = run_cli(capsys, *common, "--n-trials", "5")
    assert code == 0 and "is calibrated already" in out
    study = optuna.load_study(study_name="supervised-tpe", storage=url)
    assert sum(bool(t.user_attrs.get("calibration")) for t in study.trials) == 3


def test_the_report_shows_each_calibration_and_keeps_measurement_studies_out_of_the_rows(
        tmp_path: Path) -> None:
    from search.report.readers.study_reader import collect
    from search.report.calibration import calibration_sections
    from search.report.tables import method_rows

    url = f"sqlite:///{tmp_path / 's.db'}"
    study = optuna.create_study(storage=open_storage(url), study_name="supervised-cal",
                                direction="maximize")
    study.set_user_attr("method", "supervised")
    enqueue_calibration(study, calibration_configs(SPACE, 4, 0, None, lambda p: True),
                        reference=False)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    run_search(study, _Fake(), 4)
    calibrate(study, 0.6, top=4, pretrain_steps=0, label=lambda s: f"epoch {s + 1}")
    studies, rows = collect(url)
    assert rows[0].calibration_only and method_rows(rows, []) == []
    md, parts, written = calibration_sections(studies, tmp_path)
    text = "\n".join(md)
    assert "| supervised-cal | 4 | epoch 2 (value at the rung, tau +1.00) |" in text
    assert "| epoch 1 | 4 | -1.00" in text and written[0].stat().st_size > 0
    # An older, uncalibrated study of the method: which of its cuts came before the start.
    old = optuna.create_study(storage=open_storage(url), study_name="supervised-old",
                              direction="maximize")
    old.set_user_attr("method", "supervised")
    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    for state, curve in [(TrialState.PRUNED, {0: 0.5}), (TrialState.PRUNED, {0: 0.5, 3: 0.6}),
                         (TrialState.COMPLETE, {0: 0.5, 4: 0.9}), (TrialState.PRUNED, {})]:
        old.add_trial(optuna.trial.create_trial(
            state=state, params={"x": 0.5}, distributions=dist, intermediate_values=curve,
            value=0.9 if state == TrialState.COMPLETE else None))
    studies, _ = collect(url)
    text = "\n".join(calibration_sections(studies, tmp_path)[0])
    assert ("supervised-old: 1 of its 2 pruned trials were cut before the start, epoch 2 "
            "(#0); started there, its pruner would have run them on at least that far.") in text


@pytest.mark.parametrize(("start", "mode"), [(5, "best"), (None, "last")])
def test_search_workers_take_their_pruner_from_the_stored_calibration(
        tmp_path: Path, start: int | None, mode: str) -> None:
    import argparse

    from objectives import get_method, get_profile
    from search.calibration import Calibration
    from search.cli.calibrate_command import search_pruning

    url = f"sqlite:///{tmp_path / 's.db'}"
    study = optuna.create_study(storage=open_storage(url), study_name="s",
                                direction="maximize")
    study.set_user_attr("calibration", json.dumps(Calibration(
        0.6, mode, start, "" if start is None else f"epoch {start + 1}", [0, 1, 2],
        rows={"last": [], "best": []}).to_dict()))
    args = argparse.Namespace(storage=url, pruner="hyperband")
    pruner, best = search_pruning(args, get_method("supervised"), get_profile("final"), "s")
    assert best == (mode == "best")
    if start is None:
        assert isinstance(pruner, optuna.pruners.NopPruner)
    else:
        assert isinstance(pruner, optuna.pruners.HyperbandPruner)
        assert pruner._min_resource == start and pruner._max_resource == 200


def _plan(study: optuna.Study, n: int, recalibrate: bool = False) -> int | None:
    args = argparse.Namespace(calibrate=n, recalibrate=recalibrate, seed=0)
    return plan_calibration(args, get_method("supervised"), get_profile("smoke"), study, {})


def test_a_calibration_refuses_while_search_trials_are_in_flight(tmp_path: Path) -> None:
    # A search worker's trial, alive or killed: the calibration phase would count it
    # towards its target, or (re-run by the heartbeat recovery) train it unpruned.
    study = _study(tmp_path)
    search_trial = study.ask()
    with pytest.raises(UsageError, match=r"search trials running or waiting \(#0\)"):
        _plan(study, 3)
    assert not calibration_trials(study)  # nothing enqueued
    study.tell(search_trial, state=TrialState.FAIL)
    assert _plan(study, 3) == 3 and len(calibration_trials(study)) == 3


def test_a_recalibration_cut_short_resumes_without_being_asked_again(tmp_path: Path) -> None:
    study = _study(tmp_path)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    assert _plan(study, 3) == 3
    run_search(study, _Fake(), 3)
    first = calibrate(study, 0.6, top=4, pretrain_steps=0, label=str)
    assert _plan(study, 3) is None  # calibrated: the stored outcome stands
    assert _plan(study, 4, recalibrate=True) == 4  # one more configuration enqueued
    # The session ends before it ran: the rerun, without --recalibrate, finishes it.
    assert _plan(study, 4) == 4
    run_search(study, _Fake(), 4)
    again = calibrate(study, 0.6, top=4, pretrain_steps=0, label=str)
    assert again.trials == [0, 1, 2, 3] and first.trials == [0, 1, 2]
    assert _plan(study, 4) is None
