"""The report's calibration section, on a calibration stored by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import optuna

from search.calibration import Calibration, RungRow
from search.report.calibration import calibration_sections


def test_rungs_where_no_configuration_reported_are_named_once_not_listed(
        tmp_path: Path) -> None:
    # An autoencoder reports nothing while it pretrains: its pretraining rungs carry no
    # value, and the table keeps only the fine-tuning rungs.
    silent = [RungRow(s, f"pretraining epoch {s + 1}", 0, math.nan, math.nan, math.nan)
              for s in (0, 1, 2)]
    tuned = [RungRow(3, "epoch 1", 4, 0.33, -0.2, 1.0), RungRow(4, "epoch 2", 4, 0.67, 0.1, 1.0)]
    calibration = Calibration(0.6, "last", 4, "epoch 2", [0, 1, 2, 3], seconds=7200.0,
                              rows={"last": silent + tuned, "best": silent + tuned})
    study = optuna.create_study(study_name="autoencoder-calibration")
    study.set_user_attr("method", "autoencoder")
    study.set_user_attr("calibration", json.dumps(calibration.to_dict()))
    md, parts, written = calibration_sections([study], tmp_path)
    text = "\n".join(md)
    assert "| autoencoder-calibration | 4 | epoch 2 (value at the rung, tau +0.67) | 2.00 |" \
        in text
    assert "pretraining epoch 1 |" not in text and "| epoch 1 | 4 | +0.33" in text
    assert ("No configuration reported a value at 3 rung(s) (pretraining epoch 1 to "
            "pretraining epoch 3)") in text and "No configuration" in "".join(parts)
    assert written[0].stat().st_size > 0


def _full_run(study: optuna.Study, curve: list[float], final: float,
              calibration: bool) -> int:
    trial = study.ask()
    if calibration:
        trial.set_user_attr("calibration", True)
    for step, value in enumerate(curve):
        trial.report(value, step)
    study.tell(trial, final)
    return trial.number


def test_the_calibration_is_measured_again_on_the_search_s_full_runs(tmp_path: Path) -> None:
    # Three calibration runs whose first epoch ranks like the end, then three search runs
    # whose first epoch ranks backwards: the calibration's +1.00 at epoch 1 does not hold
    # for what the search proposed, and the table says so beside it.
    study = optuna.create_study(study_name="fixmatch-final", direction="maximize")
    numbers = [_full_run(study, [early, final], final, calibration=True)
               for early, final in ((0.3, 0.5), (0.45, 0.7), (0.8, 0.9))]
    for early, final in ((0.6, 0.93), (0.55, 0.95), (0.4, 0.97)):
        _full_run(study, [early, final], final, calibration=False)
    rows = [RungRow(0, "epoch 1", 3, 1.0, 1.0, 1.0), RungRow(1, "epoch 2", 3, 1.0, 1.0, 1.0)]
    calibration = Calibration(0.6, "last", 0, "epoch 1", numbers,
                              rows={"last": rows, "best": rows})
    study.set_user_attr("calibration", json.dumps(calibration.to_dict()))
    md, parts, _ = calibration_sections([study], tmp_path)
    text = "\n".join(md)
    assert ("| rung | configurations | tau, value at the rung | tau, best value so far | "
            "tau on every full run (6), value at the rung | tau on the search's full runs "
            "(3), value at the rung |") in text
    # All six at epoch 1: 8 concordant pairs and 7 discordant of 15, tau +1/15.
    assert "| epoch 1 | 3 | +1.00 [+1.00, +1.00] | +1.00 [+1.00, +1.00] | +0.07" in text
    search_epoch_1 = text.split("| epoch 1 |")[1].split("\n")[0].rsplit("|", 2)[-2]
    assert search_epoch_1.strip().startswith("-1.00")
    assert "does the calibration hold for what the search proposed?" in "".join(parts)


def test_no_column_is_added_while_no_search_run_has_ended(tmp_path: Path) -> None:
    study = optuna.create_study(study_name="gan-levers", direction="maximize")
    numbers = [_full_run(study, [early, final], final, calibration=True)
               for early, final in ((0.3, 0.5), (0.45, 0.7), (0.8, 0.9))]
    rows = [RungRow(0, "epoch 1", 3, 1.0, 1.0, 1.0)]
    calibration = Calibration(0.6, "last", 0, "epoch 1", numbers,
                              rows={"last": rows, "best": rows})
    study.set_user_attr("calibration", json.dumps(calibration.to_dict()))
    md, _, _ = calibration_sections([study], tmp_path)
    assert "full run" not in "\n".join(md)
