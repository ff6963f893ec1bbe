"""Per-epoch checkpoints: a run killed after epoch k resumes there and ends as a whole run."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import keras
import numpy as np
import optuna
import pytest

from objectives import Objective, get_method
from objectives.objective import trial_checkpoint_name
from objectives.base import RunContext
from objectives.budget import Budget
from objectives.checkpoint import load_checkpoint, pretrain_checkpoint
from objectives.data import SearchData
from objectives.training import release, train
from tests.objectives.test_methods import EXTRA


class Kill(keras.callbacks.Callback):
    """Interrupts the run as Ctrl-C would, when ``epoch`` is about to start."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if epoch == self.epoch:
            raise KeyboardInterrupt


class Snapshot(keras.callbacks.Callback):
    """The weights and optimizer steps when the first epoch starts (after any resume)."""

    weights: list[np.ndarray] | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.weights is not None:
            return
        self.weights = self.model.get_weights()
        optimizers = getattr(self.model, "optimizers", [self.model.optimizer])
        self.steps = [int(o.iterations.numpy()) for o in optimizers]
        self.slots = [[v.numpy() for v in o.variables] for o in optimizers]


@pytest.mark.parametrize("name", ["supervised", "gan", "autoencoder", "fixmatch"])
def test_killed_run_resumes_where_it_stopped(name: str, tiny_data: SearchData, budget: Budget,
                                             params: dict, tmp_path: Path) -> None:
    method, params = get_method(name), {**params, **EXTRA.get(name, {})}
    budget = dataclasses.replace(budget, max_epochs=4, patience=4, gan_epochs=4,
                                 gan_patience=4, unlabeled_limit=320, consistency_epochs=4)
    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train(method, params, tiny_data, budget,
              RunContext(seed=0, checkpoint=path, callbacks=[Kill(2)]))
    saved = load_checkpoint(path)
    assert saved is not None and saved["epoch"] == 2
    release()

    snapshot = Snapshot()
    context = RunContext(seed=0, checkpoint=path, callbacks=[snapshot])
    resumed = train(method, params, tiny_data, budget, context)
    # Everything the killed run had learned is back before the third epoch starts: every
    # weight (the GAN's average and generator too) and every optimizer's step count.
    for now, then in zip(snapshot.weights, saved["weights"], strict=True):
        np.testing.assert_array_equal(now, then)
    steps_per_epoch = saved["optimizers"][0][0]  # iterations is each optimizer's first
    assert snapshot.steps == [int(v[0]) for v in saved["optimizers"]] and steps_per_epoch > 0
    # Adam's moments too, not just its step count.
    for now_slots, then_slots in zip(snapshot.slots, saved["optimizers"], strict=True):
        assert len(now_slots) == len(then_slots) > 2
        for now, then in zip(now_slots, then_slots):
            np.testing.assert_array_equal(now, then)
    assert context.notes["resumed_from_epoch"] == 2
    assert not path.exists()  # the run ended: nothing left to resume
    release()

    whole = train(method, params, tiny_data, budget, RunContext(seed=0))
    release()
    assert resumed.epochs == whole.epochs == len(resumed.history) == 4
    # Not bitwise: the epochs after a resume draw a fresh random stream (noise, shuffling;
    # Keras and TensorFlow do not expose their state), so the accuracies agree within what
    # one run's randomness moves on these 200 validation images, not to the last image.
    assert resumed.val_accuracy == pytest.approx(whole.val_accuracy, abs=0.05)
    assert resumed.history[:2] == saved["callbacks"][0]["history"]  # the epoch log goes on


def test_early_stopping_state_survives_the_resume(tiny_data: SearchData, budget: Budget,
                                                  params: dict, tmp_path: Path) -> None:
    budget = dataclasses.replace(budget, max_epochs=4, patience=4)
    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train(get_method("supervised"), params, tiny_data, budget,
              RunContext(seed=0, checkpoint=path, callbacks=[Kill(3)]))
    stopping = pickle.loads(path.read_bytes())["callbacks"][1]
    assert stopping["best"] is not None and stopping["best_weights"] is not None
    release()


def test_unreadable_checkpoint_is_dropped(tiny_data: SearchData, budget: Budget,
                                          params: dict, tmp_path: Path) -> None:
    path = tmp_path / "run.ckpt"
    path.write_bytes(b"not a checkpoint")
    context = RunContext(seed=0, checkpoint=path)
    result = train(get_method("supervised"), params, tiny_data, budget, context)
    assert "resumed_from_epoch" not in context.notes and result.epochs >= 1
    assert not path.exists()
    release()


def test_rerun_of_a_killed_trial_resumes_its_checkpoint(tiny_data: SearchData, budget: Budget,
                                                        params: dict, tmp_path: Path) -> None:
    # Trial 0's worker was killed after two epochs; heartbeat recovery enqueued trial 1
    # with the same parameters and the retry history Optuna writes.
    budget = dataclasses.replace(budget, max_epochs=4, patience=4)
    method = get_method("supervised")
    params = {**params, "augment": False}  # every parameter of the space, fixed
    study = optuna.create_study(direction="maximize", study_name="s")
    killed = study.ask(method.space.distributions(params))
    objective = Objective(method, tiny_data, budget, seed=0, checkpoint_dir=tmp_path)
    path = tmp_path / "s" / trial_checkpoint_name(killed.number, objective._config(params))
    with pytest.raises(KeyboardInterrupt):
        train(method, params, tiny_data, budget,
              RunContext(seed=0, checkpoint=path, callbacks=[Kill(2)]))
    release()
    # The kill also cut a checkpoint write short: tens of MB that nothing would read.
    partial = path.with_name(f"{path.name}.k1ll3d.tmp")
    partial.write_bytes(b"half a checkpoint")
    study.tell(killed, state=optuna.trial.TrialState.FAIL)
    study.add_trial(optuna.trial.create_trial(
        state=optuna.trial.TrialState.WAITING, params=params,
        distributions=method.space.distributions(params),
        system_attrs={"failed_trial": killed.number, "retry_history": [killed.number]},
        intermediate_values={0: 0.5, 1: 0.6}))
    retry = study.ask()
    study.tell(retry, objective(retry))
    done = study.trials[retry.number]
    assert done.user_attrs["resumed_from_epoch"] == 2 and done.user_attrs["epochs"] == 4
    # With the killed trial's reports (heartbeat recovery copies them), the curve is whole.
    assert sorted(done.intermediate_values) == [0, 1, 2, 3]
    assert not list(tmp_path.rglob("*.ckpt")) and not list(tmp_path.rglob("*.tmp"))


def test_a_study_made_anew_does_not_resume_an_old_trial_of_its_number(
        tiny_data: SearchData, budget: Budget, params: dict, tmp_path: Path) -> None:
    # The database of study "s" was lost; its trial 0 had been killed after two epochs.
    budget = dataclasses.replace(budget, max_epochs=3, patience=3)
    method = get_method("supervised")
    old = {**params, "augment": False}
    objective = Objective(method, tiny_data, budget, seed=0, checkpoint_dir=tmp_path)
    stale = tmp_path / "s" / trial_checkpoint_name(0, objective._config(old))
    with pytest.raises(KeyboardInterrupt):
        train(method, old, tiny_data, budget,
              RunContext(seed=0, checkpoint=stale, callbacks=[Kill(2)]))
    release()
    assert stale.exists()
    stale.with_name(f"{stale.name}.k1ll3d.tmp").write_bytes(b"half a checkpoint")
    study = optuna.create_study(direction="maximize", study_name="s")
    trial = study.ask(method.space.distributions(old))
    new = {**old, "learning_rate": old["learning_rate"] * 2}
    study.tell(trial, objective.run(trial, new))
    done = study.trials[0]
    assert "resumed_from_epoch" not in done.user_attrs and done.user_attrs["epochs"] == 3
    # The old trial's checkpoint is gone too, and so is its half-written one.
    assert not list(tmp_path.rglob("*.ckpt")) and not list(tmp_path.rglob("*.tmp"))
    release()


class Recorder(keras.callbacks.Callback):
    """Stands in for a trial's pruning callback: records each (step, value) it is given."""

    def __init__(self, reports: list[tuple[int, float]], monitor: str, offset: int) -> None:
        super().__init__()
        self.reports, self.monitor, self.offset = reports, monitor, offset

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.reports.append((epoch + self.offset, float((logs or {})[self.monitor])))


@pytest.mark.parametrize(("name", "probed"), [("autoencoder", []), ("contrastive", [2, 3])])
def test_killed_pretraining_resumes_and_reports_every_step(
    name: str, probed: list[int], tiny_data: SearchData, budget: Budget, params: dict,
    tmp_path: Path
) -> None:
    method, params = get_method(name), {**params, **EXTRA[name]}
    budget = dataclasses.replace(budget, max_epochs=2, patience=2, pretrain_epochs=4,
                                 unlabeled_limit=320)
    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train(method, params, tiny_data, budget,
              RunContext(seed=0, checkpoint=path, pretrain_callbacks=[Kill(2)]))
    saved = load_checkpoint(pretrain_checkpoint(path))
    assert saved is not None and saved["epoch"] == 2 and not path.exists()
    release()
    # As if the two epochs before the cut had taken 1,000 s: the run's time counts them.
    (clock,) = [state for state in saved["callbacks"] if "seconds" in state]
    clock["seconds"] = 1000.0
    pretrain_checkpoint(path).write_bytes(pickle.dumps(saved))

    reports: list[tuple[int, float]] = []
    context = RunContext(seed=0, checkpoint=path,
                         pruning=lambda monitor, offset: [Recorder(reports, monitor, offset)])
    result = train(method, params, tiny_data, budget, context)
    release()
    assert 1000.0 < result.seconds < 1600.0
    # Pretraining went on from its third epoch: 4 epochs of 10 steps (320 images of 32).
    assert context.notes["pretrain_resumed_from_epoch"] == 2
    assert (context.notes["pretrain_epochs"], context.notes["pretrain_steps"]) == (4, 40)
    # The resumed run reports its own epochs once each: the probe's last two (the first
    # two went to the pruner before the kill), then fine-tuning from step 4.
    assert [step for step, _ in reports] == [*probed, 4, 5]
    if probed:  # the restored log holds the probe's first two epochs
        assert len([h["knn_accuracy"] for h in saved["callbacks"][0]["history"]]) == 2
    assert not list(tmp_path.glob("*.ckpt"))
