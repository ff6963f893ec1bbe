"""The three semi-supervised methods on tiny synthetic data, and their building blocks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import optuna
import pytest
import tensorflow as tf

from objectives import METHODS, Objective, get_method
from objectives.autoencoder import DenoisingAutoencoder, build_decoder
from objectives.base import RunContext
from objectives.budget import Budget
from objectives.cache import PretrainCache
from objectives.contrastive import nt_xent
from objectives.data import SearchData
from objectives.encoder import EncoderConfig, InfeasibleConfig, build_encoder
from objectives.training import release, train
from spaces.gan import PAPER_PARAMS

EXTRA = {
    "autoencoder": {"noise_level": 0.2, "finetune_learning_rate": 3e-3,
                    "freeze_encoder": False, "augment": True, "augment_shift": 0.1,
                    "augment_rotation": 0.05},
    "contrastive": {"temperature": 0.5, "projection_width": 32, "augment_strength": 1.0,
                    "finetune_learning_rate": 3e-3, "freeze_encoder": False,
                    "augment": False},
    "gan": {**PAPER_PARAMS, "batch_size": 32, "mlp_width_scale": 0.5, "mlp_depth": 3,
            "ema_decay": 0.99},
    "fixmatch": {"lr_schedule": "cosine", "mu": 2, "threshold": 0.9, "unlabeled_weight": 1.0,
                 "strength": 0.5, "ema_decay": 0.99},
}


def _params(method: str, base: dict) -> dict:
    return {**base, **EXTRA.get(method, {})}


@pytest.mark.parametrize("name", ["autoencoder", "contrastive", "gan", "fixmatch"])
def test_method_trial_reports_validation_and_retrains(
    name: str, tiny_data: SearchData, budget: Budget, params: dict, tmp_path: Path
) -> None:
    method = get_method(name)
    budget = dataclasses.replace(budget, max_epochs=1, gan_epochs=2, pretrain_epochs=1,
                                 unlabeled_limit=320)
    study = optuna.create_study(direction="maximize")
    # As a study enqueues a configuration: what it lacks at its first grid value.
    configuration = method.space.point(_params(name, params))
    study.enqueue_trial(configuration)
    trial = study.ask()
    objective = Objective(method, tiny_data, budget, seed=0,
                          pretrain_cache=PretrainCache(tmp_path / "cache"),
                          artifact_dir=tmp_path / "art")
    value = objective(trial)
    study.tell(trial, value)
    done = study.trials[0]
    assert 0.0 <= value <= 1.0
    assert done.intermediate_values, "validation accuracy was reported"
    assert all(np.isfinite(v) for v in done.intermediate_values.values())
    # Every active parameter was stored, and nothing else (a paper GAN has no encoder).
    assert done.params == configuration
    # Retrain path: same training loop, no pruning.
    result = train(method, done.params, tiny_data, budget, RunContext(seed=1))
    assert np.isfinite([h["loss"] for h in result.history]).all()
    release()


def test_nt_xent_prefers_matching_views() -> None:
    z = tf.random.normal((32, 16), seed=1)
    same = float(nt_xent(z, z, 0.2))
    shuffled = float(nt_xent(z, tf.random.shuffle(z, seed=2), 0.2))
    assert same < shuffled


def test_autoencoder_loss_falls_on_a_fixed_batch(tiny_data: SearchData) -> None:
    config = EncoderConfig(3, 2, 8, 16, "max_pool", "same", 0.0)
    import keras

    keras.utils.set_random_seed(0)
    model = DenoisingAutoencoder(build_encoder(config), build_decoder(config), 0.0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    batch = tf.constant(tiny_data.unlabeled_x[:32])
    first = float(model.reconstruction_loss(batch))
    for _ in range(15):
        model.train_on_batch(batch)
    assert float(model.reconstruction_loss(batch)) < first
    assert model(batch).shape == batch.shape


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_decoder_mirrors_encoder_shape(depth: int) -> None:
    config = EncoderConfig(5, depth, 8, 16, "stride", "valid", 0.0)
    assert build_decoder(config).output.shape[1:] == (28, 28, 1)


def test_pretraining_cache_hit_and_corrupt_entry(
    tiny_data: SearchData, budget: Budget, params: dict, tmp_path: Path
) -> None:
    method = get_method("autoencoder")
    budget = dataclasses.replace(budget, max_epochs=1, pretrain_epochs=1, unlabeled_limit=200)
    cache = PretrainCache(tmp_path)
    first = RunContext(seed=0, pretrain_cache=cache)
    p = _params("autoencoder", params)
    train(method, p, tiny_data, budget, first)
    assert first.notes["pretrain_cache"] == "miss"
    # Only a fine-tuning parameter differs: the pretrained encoder is reused.
    second = RunContext(seed=0, pretrain_cache=cache)
    train(method, {**p, "finetune_learning_rate": 1e-3, "freeze_encoder": True}, tiny_data,
          budget, second)
    assert second.notes["pretrain_cache"] == "hit"
    assert second.notes["pretrain_key"] == first.notes["pretrain_key"]
    cache.path(first.notes["pretrain_key"]).write_bytes(b"corrupt")
    third = RunContext(seed=0, pretrain_cache=cache)
    train(method, p, tiny_data, budget, third)
    assert third.notes["pretrain_cache"] == "miss"
    assert cache.path(first.notes["pretrain_key"]).stat().st_size > 100
    # A pretraining parameter differs: a new entry.
    fourth = RunContext(seed=0, pretrain_cache=cache)
    train(method, {**p, "noise_level": 0.0}, tiny_data, budget, fourth)
    assert fourth.notes["pretrain_key"] != first.notes["pretrain_key"]
    release()


def test_all_methods_registered() -> None:
    assert METHODS.names() == ["supervised", "autoencoder", "contrastive", "gan", "fixmatch"]


@pytest.mark.parametrize("name", ["autoencoder", "contrastive"])
def test_pretraining_size_cap_refuses_large_encoders(name: str, budget: Budget,
                                                     params: dict) -> None:
    big = {**_params(name, params), "kernel_size": 7, "depth": 3, "filters": 64,
           "latent_width": 256, "downsample": "max_pool", "padding": "same"}
    # Conv blocks 28x28x64 (k7, 1 channel), 14x14x128, 7x7x256, pooled to 3x3, dense 256.
    macs = (28 * 28 * 49 * 64 + 14 * 14 * 49 * 64 * 128 + 7 * 7 * 49 * 128 * 256
            + 3 * 3 * 256 * 256)
    if name == "autoencoder":
        # The decoder: dense 256 -> 4x4x256, transposed convs to 8x8x128, 16x16x64,
        # 32x32x64, then the pixel conv (its output cropped to 28x28 afterwards).
        macs += (256 * 16 * 256 + 4 * 4 * 49 * 256 * 128 + 8 * 8 * 49 * 128 * 64
                 + 16 * 16 * 49 * 64 * 64 + 32 * 32 * 49 * 64)
    capped = dataclasses.replace(budget, pretrain_max_macs=macs)
    get_method(name).check(big, capped)  # at the cap is allowed
    with pytest.raises(InfeasibleConfig, match=f"model of {macs / 1e6:.1f} M"):
        get_method(name).check(big, dataclasses.replace(capped, pretrain_max_macs=macs - 1))
    # The baseline never pretrains: the cap does not concern it, nor its runs' fingerprint.
    tight = dataclasses.replace(capped, pretrain_max_macs=1)
    get_method("supervised").check({**big, **_params("supervised", params)}, tight)
    supervised = get_method("supervised")
    assert supervised.budget_fingerprint(tight) == supervised.budget_fingerprint(budget)
    assert get_method(name).budget_fingerprint(tight) != get_method(name).budget_fingerprint(
        budget)


def test_plateau_stops_once_the_signal_flattens() -> None:
    from objectives.pretrainer import Plateau

    class Model:
        stop_training = False

    plateau = Plateau("loss", "min", patience=2, min_gain=0.01)
    plateau.set_model(Model())  # type: ignore[arg-type]  # a stand-in with the attributes read
    # 1.0 -> 0.9 is progress; 0.895 and 0.894 are under 1 % better than 0.9: two flat
    # epochs stop it.
    for epoch, loss in enumerate([1.0, 0.9, 0.895]):
        plateau.on_epoch_end(epoch, {"loss": loss})
        assert not plateau.model.stop_training
    plateau.on_epoch_end(3, {"loss": 0.894})
    assert plateau.model.stop_training
    rising = Plateau("knn_accuracy", "max", patience=1, min_gain=0.005)
    rising.set_model(Model())  # type: ignore[arg-type]  # a stand-in with the attributes read
    for epoch, acc in enumerate([0.5, 0.6, 0.7]):
        rising.on_epoch_end(epoch, {"knn_accuracy": acc})
    assert not rising.model.stop_training


def test_pretraining_records_its_cost_and_the_cache_keeps_it(
    tiny_data: SearchData, budget: Budget, params: dict, tmp_path: Path
) -> None:
    method = get_method("autoencoder")
    budget = dataclasses.replace(budget, pretrain_epochs=8, pretrain_patience=1,
                                 unlabeled_limit=320, max_epochs=1)
    cache = PretrainCache(tmp_path / "cache")
    full = _params("autoencoder", params)
    first = RunContext(seed=0, pretrain_cache=cache)
    train(method, full, tiny_data, budget, first)
    release()
    epochs = first.notes["pretrain_epochs"]
    assert 1 <= epochs <= 8
    # 320 images in batches of 32: 10 steps an epoch.
    assert first.notes["pretrain_steps"] == 10 * epochs
    again = RunContext(seed=0, pretrain_cache=cache)
    train(method, full, tiny_data, budget, again)
    release()
    assert again.notes["pretrain_cache"] == "hit"
    assert again.notes["pretrain_steps"] == first.notes["pretrain_steps"]


def test_every_trial_reports_the_probe_at_every_pretraining_step(
    tiny_data: SearchData, budget: Budget, params: dict, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plateau that always stops after two epochs: pretraining ends at 2 of its 4.
    from objectives.pretrainer import Plateau
    from objectives.pretraining import PretrainMethod

    monkeypatch.setattr(PretrainMethod, "plateau", staticmethod(
        lambda budget, monitor, mode: [Plateau(monitor, mode, patience=1, min_gain=10.0)]))
    method = get_method("contrastive")
    budget = dataclasses.replace(budget, max_epochs=2, pretrain_epochs=4, pretrain_patience=1,
                                 unlabeled_limit=320)
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    objective = Objective(method, tiny_data, budget, seed=0,
                          pretrain_cache=PretrainCache(tmp_path / "cache"))
    p = _params("contrastive", params)
    # The second trial differs in a fine-tuning parameter only: its encoder is cached.
    for trial_params in (p, {**p, "finetune_learning_rate": 1e-3}):
        study.enqueue_trial(trial_params)
        trial = study.ask()
        study.tell(trial, objective(trial))
    release()
    first, second = study.trials
    assert (first.user_attrs["pretrain_epochs"], first.user_attrs["pretrain_cache"],
            second.user_attrs["pretrain_cache"]) == (2, "miss", "hit")
    # Both show the probe at steps 0-3 (the last value standing for the epochs not run),
    # then validation accuracy from step 4: like is compared with like at every rung.
    probe = [first.intermediate_values[s] for s in range(4)]
    assert probe[2] == probe[3] == probe[1]
    assert [second.intermediate_values[s] for s in range(4)] == probe
    for t in (first, second):
        assert sorted(t.intermediate_values) == [0, 1, 2, 3, 4, 5]
