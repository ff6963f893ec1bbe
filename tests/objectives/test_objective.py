"""objectives.objective: the pruning callback's steps."""

from __future__ import annotations

import warnings

import optuna

from objectives.objective import StepOffsetPruning


def test_reports_are_offset_and_a_repeated_step_is_kept_quietly() -> None:
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    trial = study.ask()
    trial.report(0.5, step=3)  # as inherited from a killed run
    callback = StepOffsetPruning(trial, "val_accuracy", offset=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callback.on_epoch_end(0, {"val_accuracy": 0.9})  # step 3 again
    callback.on_epoch_end(1, {"val_accuracy": 0.7})
    study.tell(trial, 0.7)
    # The first report of a step stands; the next epoch lands at its shifted step.
    assert study.trials[0].intermediate_values == {3: 0.5, 4: 0.7}


def test_a_calibrated_best_so_far_reading_reports_the_phase_s_best_value() -> None:
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    trial = study.ask()
    pretraining = StepOffsetPruning(trial, "knn_accuracy", 0, best=True)
    for epoch, value in enumerate([0.99, 0.97]):
        pretraining.on_epoch_end(epoch, {"knn_accuracy": value})
    finetuning = StepOffsetPruning(trial, "val_accuracy", 2, best=True)
    for epoch, value in enumerate([0.5, 0.8, 0.6]):
        finetuning.on_epoch_end(epoch, {"val_accuracy": value})
    # The pretraining signal's 0.99 never leaks into the fine-tuning phase's best.
    assert study.trials[0].intermediate_values == {0: 0.99, 1: 0.99, 2: 0.5, 3: 0.8, 4: 0.8}
