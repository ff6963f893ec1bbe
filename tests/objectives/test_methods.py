"""The three semi-supervised methods on tiny synthetic data, and their building blocks."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import optuna
import pytest
import tensorflow as tf
from scipy.special import logsumexp, softplus

from objectives import METHODS, Objective, get_method
from objectives.autoencoder import DenoisingAutoencoder, build_decoder
from objectives.base import RunContext
from objectives.cache import PretrainCache
from objectives.contrastive import nt_xent
from objectives.data import SearchData
from objectives.encoder import EncoderConfig, InfeasibleConfig, build_encoder
from objectives.gan import CollapseGuard, WeightNormDense, discriminator_macs, gan_losses
from objectives.profiles import Budget
from objectives.training import release, train
from spaces.gan import PAPER_PARAMS

EXTRA = {
    "autoencoder": {"noise_level": 0.2, "finetune_learning_rate": 3e-3,
                    "freeze_encoder": False},
    "contrastive": {"temperature": 0.5, "projection_width": 32, "augment_strength": 1.0,
                    "finetune_learning_rate": 3e-3, "freeze_encoder": False},
    "gan": {**PAPER_PARAMS, "batch_size": 32, "mlp_width_scale": 0.5, "mlp_depth": 3,
            "ema_decay": 0.99},
}


def _params(method: str, base: dict) -> dict:
    return {**base, **EXTRA.get(method, {})}


@pytest.mark.parametrize("name", ["autoencoder", "contrastive", "gan"])
def test_method_trial_reports_validation_and_retrains(
    name: str, tiny_data: SearchData, budget: Budget, params: dict, tmp_path: Path
) -> None:
    method = get_method(name)
    budget = dataclasses.replace(budget, max_epochs=1, gan_epochs=2, pretrain_epochs=1,
                                 unlabeled_limit=320)
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial(_params(name, params))
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
    assert set(done.params) == set(method.space.names())
    # Retrain path: same training loop, no pruning.
    result = train(method, done.params, tiny_data, budget, RunContext(seed=1))
    assert np.isfinite([h["loss"] for h in result.history]).all()
    release()


def test_gan_losses_match_numpy() -> None:
    rng = np.random.default_rng(0)
    lab, unl, fake = (rng.normal(size=(6, 10)).astype(np.float32) for _ in range(3))
    y = np.array([0, 3, 9, 2, 2, 5])
    loss_lab, loss_unl = gan_losses(lab, y, unl, fake)
    expected_lab = np.mean(logsumexp(lab, axis=1) - lab[np.arange(6), y])
    lse_u, lse_f = logsumexp(unl, axis=1), logsumexp(fake, axis=1)
    expected_unl = (-0.5 * lse_u.mean() + 0.5 * softplus(lse_u).mean()
                    + 0.5 * softplus(lse_f).mean())
    assert float(loss_lab) == pytest.approx(expected_lab, rel=1e-5)
    assert float(loss_unl) == pytest.approx(expected_unl, rel=1e-5)


def test_weight_norm_keeps_norm_equal_to_scale() -> None:
    layer = WeightNormDense(7, activation="relu", train_scale=True)
    x = tf.random.normal((64, 5)) * 3.0 + 1.0
    layer(x)
    layer.scale.assign(tf.linspace(0.5, 2.0, 7))
    np.testing.assert_allclose(np.linalg.norm(layer.kernel().numpy(), axis=0),
                               np.linspace(0.5, 2.0, 7), rtol=1e-5)
    out = layer.data_init(x)
    pre = x @ layer.kernel() + layer.bias
    np.testing.assert_allclose(np.mean(pre, axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.std(pre, axis=0), 1.0, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(layer.kernel().numpy(), axis=0),
                               layer.scale.numpy(), rtol=1e-5)
    np.testing.assert_allclose(out, layer(x), atol=1e-5)


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


def test_collapse_guard_prunes_with_reason(tiny_data: SearchData, budget: Budget,
                                           params: dict) -> None:
    guard = CollapseGuard(threshold=0.01, patience=2)

    class _Model:
        stop_training = False

    guard.set_model(_Model())  # type: ignore[arg-type]
    for epoch, value in enumerate([0.3, 0.005, 0.004]):
        guard.on_epoch_end(epoch, {"loss_unl": value})
    assert guard.model.stop_training and guard.stop_reason.startswith("collapse")


def test_gan_trial_writes_sample_grid(tiny_data: SearchData, budget: Budget, params: dict,
                                      tmp_path: Path) -> None:
    budget = dataclasses.replace(budget, gan_epochs=1, unlabeled_limit=128)
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial(_params("gan", params))
    trial = study.ask()
    study.tell(trial, Objective(get_method("gan"), tiny_data, budget, 0,
                                artifact_dir=tmp_path)(trial))
    png = Path(study.trials[0].user_attrs["samples_png"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.parent == tmp_path / study.study_name
    assert json.loads(study.trials[0].user_attrs["config"])["method"] == "gan"


def test_all_methods_registered() -> None:
    assert METHODS.names() == ["supervised", "autoencoder", "contrastive", "gan"]


def test_gan_size_cap_refuses_large_discriminators(budget: Budget) -> None:
    # The official MLP: 784-1000-500-250-250-250-10, by hand.
    paper = 784 * 1000 + 1000 * 500 + 500 * 250 + 250 * 250 * 2 + 250 * 10
    assert discriminator_macs(PAPER_PARAMS) == paper
    big = {**PAPER_PARAMS, "preset": "conv", "kernel_size": 5, "depth": 3, "filters": 32,
           "latent_width": 256}
    # Conv blocks 28x28x32 (k5, 1 channel), 14x14x64, 7x7x128, pooled to 3x3, dense 256, 10.
    conv = (28 * 28 * 25 * 32 + 14 * 14 * 25 * 32 * 64 + 7 * 7 * 25 * 64 * 128
            + 3 * 3 * 128 * 256 + 256 * 10)
    assert discriminator_macs(big) == conv
    gan = get_method("gan")
    capped = dataclasses.replace(budget, gan_max_macs=paper)
    gan.check(PAPER_PARAMS, capped)  # at the cap is allowed
    gan.check(big, budget)  # no cap
    with pytest.raises(InfeasibleConfig, match="21.0 M multiply-accumulates"):
        gan.check(big, capped)
    assert budget.fingerprint != capped.fingerprint
    assert budget.fingerprint == dataclasses.replace(budget).fingerprint


def test_gan_average_is_the_official_debiased_average(tiny_data: SearchData,
                                                       budget: Budget) -> None:
    # The official average s_t = d s_{t-1} + (1 - d) p_t starts at zero and is read as
    # s_t / (1 - d^t); the model keeps only the debiased value and must agree with it.
    params = _params("gan", dict(PAPER_PARAMS))
    model = get_method("gan").build(params, tiny_data, budget, RunContext(seed=0))
    d_vars = model.discriminator.trainable_variables
    decay, rng = float(params["ema_decay"]), np.random.default_rng(0)
    sums = [np.zeros(v.shape) for v in d_vars]
    for step in range(1, 6):
        for var in d_vars:
            var.assign(rng.normal(size=var.shape).astype("float32"))
        model._update_average(d_vars)
        sums = [decay * s + (1 - decay) * v.numpy() for s, v in zip(sums, d_vars)]
    for s, avg in zip(sums, model.average.trainable_variables):
        np.testing.assert_allclose(avg.numpy(), s / (1 - decay**5), atol=1e-5)  # float32, terms ~1
    release()
