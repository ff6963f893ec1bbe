"""The GAN's searchable levers, each against a formula worked by hand, and all of them
switched on in one training run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp, softmax

from objectives import get_method
from objectives.base import RunContext
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.gan.layers import MinibatchDiscrimination
from objectives.gan.networks import discriminator_macs
from objectives.gan.terms import (
    Levers,
    LinearDecayTail,
    consistency_loss,
    entropy_loss,
    historical_penalty,
    minibatch_generator_loss,
)
from objectives.training import release, train
from spaces.gan import PAPER_LEVERS, PAPER_PARAMS, SPACE
from tests.objectives.test_methods import _params

RNG = np.random.default_rng(0)
A, B = (RNG.normal(size=(4, 10)).astype(np.float32) for _ in range(2))


def test_consistency_is_the_mean_squared_difference_of_the_two_softmaxes() -> None:
    expected = np.mean((softmax(A, axis=1) - softmax(B, axis=1)) ** 2)
    assert float(consistency_loss(A, B)) == pytest.approx(expected, rel=1e-5)
    assert float(consistency_loss(A, A)) == 0.0
    # By hand for one sample of two classes: softmax(0, 0) = (.5, .5) and
    # softmax(log 3, 0) = (.75, .25): mean((.25)^2, (.25)^2) = 1/16.
    pair = consistency_loss(np.array([[0.0, 0.0]]), np.array([[np.log(3.0), 0.0]]))
    assert float(pair) == pytest.approx(1 / 16, rel=1e-6)


def test_entropy_is_the_mean_entropy_of_the_predictions() -> None:
    p = softmax(A, axis=1)
    assert float(entropy_loss(A)) == pytest.approx(np.mean(-(p * np.log(p)).sum(1)), rel=1e-5)
    # Two equal logits: log 2; a certain prediction: 0.
    assert float(entropy_loss(np.array([[1.0, 1.0]]))) == pytest.approx(np.log(2.0))
    assert float(entropy_loss(np.array([[50.0, -50.0]]))) == pytest.approx(0.0, abs=1e-6)


def test_the_usual_generator_loss_is_minus_log_d_of_the_fakes() -> None:
    z = np.exp(logsumexp(A, axis=1))
    expected = -np.mean(np.log(z / (z + 1.0)))
    assert float(minibatch_generator_loss(A)) == pytest.approx(expected, rel=1e-5)
    # All logits at 0 with K = 10: Z = 10, D = 10/11.
    assert float(minibatch_generator_loss(np.zeros((1, 10), np.float32))) == pytest.approx(
        np.log(1.1), rel=1e-5)
    # Huge logits stay finite (D -> 1, loss -> 0).
    assert float(minibatch_generator_loss(np.full((1, 10), 200.0, np.float32))) == 0.0


def test_historical_penalty_sums_the_squared_distances() -> None:
    v = [tf.Variable([1.0, 2.0]), tf.Variable([[3.0]])]
    h = [tf.Variable([0.0, 0.0]), tf.Variable([[1.0]])]
    assert float(historical_penalty(v, h)) == pytest.approx(1 + 4 + 4)


def test_the_rate_holds_for_two_thirds_then_falls_linearly_to_zero() -> None:
    schedule = LinearDecayTail(0.003, 600)
    rates = [float(schedule(step)) for step in (0, 399, 400, 500, 550, 600, 700)]
    assert rates == pytest.approx([0.003, 0.003, 0.003, 0.0015, 0.00075, 0.0, 0.0],
                                  abs=1e-9)


def test_minibatch_features_count_each_samples_close_neighbours() -> None:
    layer = MinibatchDiscrimination(kernels=1, dims=2)
    h = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 3.0]], np.float32)
    layer.build(h.shape)
    layer.tensor.assign(np.eye(2, dtype=np.float32))  # M = h
    out = layer(h).numpy()
    # L1 distances: rows 0-1: 0; 0-2 and 1-2: 1 + 2 = 3. o_i = mean_{j != i} e^{-d} - 1.
    e3 = np.exp(-3.0)
    np.testing.assert_allclose(out[:, :2], h)
    np.testing.assert_allclose(out[:, 2], [(1 + e3) / 2 - 1, (1 + e3) / 2 - 1, e3 - 1],
                               rtol=1e-5)
    # The same sample among three copies of itself or alone: the mean does not grow.
    same = np.repeat(h[:1], 4, axis=0)
    np.testing.assert_allclose(layer(same).numpy()[:, 2], 0.0, atol=1e-6)


def test_the_paper_setting_has_every_lever_off_and_keeps_its_size() -> None:
    resolved = SPACE.resolve(PAPER_PARAMS)
    assert Levers.from_params(resolved) == Levers()
    assert SPACE.point(PAPER_PARAMS) == {**PAPER_PARAMS, **PAPER_LEVERS}
    base = discriminator_macs(resolved)
    assert base == discriminator_macs(PAPER_PARAMS)
    with_mb = {**resolved, "technique": "minibatch_discrimination", "minibatch_kernels": 100}
    assert discriminator_macs(with_mb) == base - 250 * 10 + 250 * 100 * 5 + 350 * 10


def test_label_shifts_move_a_pixel_by_at_most_the_lever(tiny_data: SearchData,
                                                       budget: Budget) -> None:
    params = SPACE.resolve({**_params("gan", dict(PAPER_PARAMS)), "label_shift": 2})
    model = get_method("gan").build(params, tiny_data, budget, RunContext(seed=0))
    image = np.zeros((64, 28, 28, 1), np.float32)
    image[:, 14, 14] = 1.0
    moved = model.shift(image, training=True).numpy()
    rows, cols = np.nonzero(moved[..., 0].reshape(64, 28, 28).sum(0))
    assert moved.sum() == 64 and set(rows) <= set(range(12, 17)) and len(set(cols)) > 1
    release()


def test_all_levers_on_train_to_a_finite_loss_and_a_decayed_rate(
        tiny_data: SearchData, budget: Budget) -> None:
    params = {**_params("gan", dict(PAPER_PARAMS)), "lr_schedule": "decay_last_third",
              "separate_g_lr": True, "g_learning_rate": 1e-3, "d_beta_1": 0.0,
              "g_beta_1": 0.8, "consistency": True, "consistency_weight": 0.1,
              "entropy": True, "entropy_weight": 0.3, "label_shift": 2,
              "historical_averaging": True, "historical_weight": 1e-3}
    budget = dataclasses.replace(budget, gan_epochs=2, gan_patience=2, gan_epoch_steps=3,
                                 unlabeled_limit=320, official_adam=True)
    for technique in ("feature_matching", "minibatch_discrimination"):
        run = {**params, "technique": technique, "minibatch_kernels": 50}
        result = train(get_method("gan"), run, tiny_data, budget, RunContext(seed=0))
        last = result.history[-1]
        assert all(np.isfinite(last[k]) for k in ("loss", "loss_con", "loss_ent",
                                                  "loss_hist", "loss_gen"))
        model = result.model
        d_opt, g_opt = model.optimizers
        assert int(d_opt.iterations) == 6 and float(d_opt.learning_rate) == 0.0
        assert g_opt.beta_1 == 0.8 and d_opt.beta_1 == 0.0
        release()


def test_historical_averages_are_the_mean_of_every_value_so_far(
        tiny_data: SearchData, budget: Budget) -> None:
    params = {**_params("gan", dict(PAPER_PARAMS)), "historical_averaging": True,
              "historical_weight": 1e-3}
    model = get_method("gan").build(params, tiny_data, budget, RunContext(seed=0))
    g_vars = model.generator.trainable_variables
    seen = [[v.numpy()] for v in g_vars]  # the initial values count
    rng = np.random.default_rng(1)
    for step in range(1, 5):
        for var, values in zip(g_vars, seen):
            var.assign(rng.normal(size=var.shape).astype("float32"))
            values.append(var.numpy())
        model._update_history("g", g_vars, tf.constant(step))
    for values, history in zip(seen, model.histories["g"]):
        np.testing.assert_allclose(history.numpy(), np.mean(values, axis=0), atol=1e-5)
    release()
