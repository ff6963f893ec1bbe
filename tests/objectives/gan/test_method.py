"""The GAN as a method: the collapse guard, epochs counted in steps, and the sample grid
of a trial."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import optuna

from objectives import Objective, RunContext, get_method, train
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.gan import CollapseGuard
from storage import files_dir
from storage.artifacts import artifact_store, resolve_file
from tests.objectives.test_methods import _params


def test_collapse_guard_prunes_with_reason(tiny_data: SearchData, budget: Budget,
                                           params: dict) -> None:
    guard = CollapseGuard(threshold=0.01, patience=2)

    class _Model:
        stop_training = False

    guard.set_model(_Model())  # type: ignore[arg-type]  # a stand-in with the attributes read
    for epoch, value in enumerate([0.3, 0.005, 0.004]):
        guard.on_epoch_end(epoch, {"loss_unl": value})
    assert guard.model.stop_training and guard.stop_reason.startswith("collapse")
    assert "(epoch 3)" in guard.stop_reason
    # One low epoch between healthy ones is a wobble, not a collapse; and validation
    # accuracy, which the parameter average keeps rising for epochs after a collapse,
    # does not save a run whose loss_unl stays down.
    wobble = CollapseGuard(threshold=0.01, patience=2)
    wobble.set_model(_Model())  # type: ignore[arg-type]  # a stand-in with the attributes read
    for epoch, value in enumerate([0.3, 0.005, 0.3, 0.004, 0.2]):
        wobble.on_epoch_end(epoch, {"loss_unl": value, "val_accuracy": 0.9})
    assert not wobble.model.stop_training and wobble.stop_reason is None
    rising = CollapseGuard(threshold=0.01, patience=2)
    rising.set_model(_Model())  # type: ignore[arg-type]  # a stand-in with the attributes read
    for epoch, acc in enumerate([0.90, 0.91]):
        rising.on_epoch_end(epoch, {"loss_unl": 0.001, "val_accuracy": acc})
    assert rising.model.stop_training and "(epoch 2)" in rising.stop_reason


def test_gan_epochs_counted_in_steps_whatever_the_batch(tiny_data: SearchData,
                                                       budget: Budget, params: dict) -> None:
    # 600 pool images at batch 64 are 9 batches a pass: epochs of 4 steps walk the pool
    # round and round instead of ending with it, and 3 of them make exactly 12 steps.
    budget = dataclasses.replace(budget, gan_epochs=3, gan_patience=3, gan_epoch_steps=4)
    params = {**_params("gan", params), "batch_size": 64}
    context = RunContext(seed=0)
    result = train(get_method("gan"), params, tiny_data, budget, context)
    assert result.epochs == 3 and context.notes["steps"] == 12
    # Without it an epoch is one pass: 9 steps of 64 over the 600 images.
    budget = dataclasses.replace(budget, gan_epochs=1, gan_epoch_steps=None)
    context = RunContext(seed=0)
    train(get_method("gan"), params, tiny_data, budget, context)
    assert context.notes["steps"] == 9


def test_gan_trial_writes_sample_grid(tiny_data: SearchData, budget: Budget, params: dict,
                                      tmp_path: Path) -> None:
    # The grid is recorded relative to the database (it travels with it) and uploaded to
    # the artifact store beside it, where optuna-dashboard finds it.
    budget = dataclasses.replace(budget, gan_epochs=1, unlabeled_limit=128)
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial(_params("gan", params))
    trial = study.ask()
    study.tell(trial, Objective(get_method("gan"), tiny_data, budget, 0,
                                artifact_dir=files_dir(url) / "artifacts",
                                storage_url=url)(trial))
    attrs = study.trials[0].user_attrs
    assert attrs["samples_png"] == f"studies-files/artifacts/{study.study_name}/trial0.png"
    png = resolve_file(url, attrs["samples_png"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stored = artifact_store(url).open_reader(attrs["samples_png_artifact_id"]).read()
    assert stored == png.read_bytes()
    assert json.loads(attrs["config"])["method"] == "gan"
