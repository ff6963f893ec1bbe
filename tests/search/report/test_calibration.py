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
