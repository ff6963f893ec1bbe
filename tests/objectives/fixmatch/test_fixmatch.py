"""FixMatch's loss against a hand-worked example, its strong policy, and its training."""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import pytest

from objectives import get_method
from objectives.base import RunContext
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.fixmatch import (
    RandomAffine, affine_transform_rows, fixmatch_losses, strong_view, weak_view)
from objectives.profiles import get_profile
from objectives.training import release, train
from tests.objectives.test_methods import EXTRA

LOG3 = float(np.log(3.0))


def test_the_mask_keeps_confident_weak_views_and_the_loss_is_their_mean_cross_entropy(
) -> None:
    # Two classes. Labeled: logits (0, 0), label 0: CE = log 2.
    # Weak views: (log 9, 0) -> p = (.9, .1), confident at tau .85, pseudo-label 0;
    #             (0, log 3) -> p = (.25, .75), below tau: masked out.
    # Strong views: (0, 0) against label 0: log 2; the second would be (log 3, 0)
    # against label 1: log 4, but it is masked.
    # loss_u = (log 2 + 0) / 2 over both unlabeled images; mask rate 1/2.
    loss_x, loss_u, rate = fixmatch_losses(
        np.array([[0.0, 0.0]]), np.array([0]),
        np.array([[np.log(9.0), 0.0], [0.0, LOG3]]),
        np.array([[0.0, 0.0], [LOG3, 0.0]]), threshold=0.85)
    assert float(loss_x) == pytest.approx(np.log(2.0), rel=1e-6)
    assert float(loss_u) == pytest.approx(np.log(2.0) / 2, rel=1e-6)
    assert float(rate) == 0.5
    # At tau .7 the second weak view (.75) passes too: (log 2 + log 4) / 2.
    _, loss_u, rate = fixmatch_losses(
        np.array([[0.0, 0.0]]), np.array([0]),
        np.array([[np.log(9.0), 0.0], [0.0, LOG3]]),
        np.array([[0.0, 0.0], [LOG3, 0.0]]), threshold=0.7)
    assert float(loss_u) == pytest.approx((np.log(2.0) + np.log(4.0)) / 2, rel=1e-6)
    assert float(rate) == 1.0


def test_a_threshold_reached_exactly_counts_and_no_gradient_flows_into_the_targets() -> None:
    import tensorflow as tf

    weak = tf.Variable([[LOG3, 0.0]])  # p = (.75, .25)
    with tf.GradientTape() as tape:
        _, loss_u, rate = fixmatch_losses(tf.zeros((1, 2)), tf.constant([0]), weak,
                                          tf.zeros((1, 2)), threshold=0.75)
    assert float(rate) == 1.0 and tape.gradient(loss_u, weak) is None


def test_the_step_is_the_one_a_single_pass_over_all_views_makes() -> None:
    # The weak views' pass runs off the tape; the step must still be plain SGD on the
    # loss of one pass over the labeled batch, the weak and the strong views.
    import tensorflow as tf

    from objectives.classifier import Classifier
    from objectives.encoder import EncoderConfig, build_encoder
    from objectives.fixmatch.model import FixMatchModel

    keras.utils.set_random_seed(0)
    config = EncoderConfig(kernel_size=3, depth=1, filters=4, latent_width=8,
                           downsample="max_pool", padding="same")
    student = Classifier(build_encoder(config), name="student")
    # Views that change nothing, so the hand-made pass sees the step's own images; a
    # threshold under 1/10 keeps every pseudo-label, so the unlabeled loss has a gradient.
    model = FixMatchModel(student, Classifier(build_encoder(config, name="avg"), name="average"),
                          keras.layers.Identity(), keras.layers.Identity(), threshold=0.05,
                          unlabeled_weight=2.0, ema_decay=0.9)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    model.build((None, 28, 28, 1))
    rng = np.random.default_rng(0)
    # An average apart from the student: pseudo-labels taken from it would show.
    model.average.set_weights([rng.normal(size=w.shape).astype(np.float32)
                               for w in model.average.get_weights()])
    x_lab = rng.random((4, 28, 28, 1), dtype=np.float32)
    y_lab = np.array([0, 1, 2, 3])
    x_unl = rng.random((8, 28, 28, 1), dtype=np.float32)
    weights = student.trainable_variables
    before = [w.numpy() for w in weights]
    with tf.GradientTape() as tape:
        logits = student(np.concatenate([x_lab, x_unl, x_unl]), training=True)
        loss_x, loss_u, rate = fixmatch_losses(logits[:4], y_lab, logits[4:12], logits[12:],
                                               threshold=0.05)
        loss = loss_x + 2.0 * loss_u
    grads = tape.gradient(loss, weights)
    assert float(rate) == 1.0 and float(loss_u) > 0.0
    logs = model.train_step({"x_lab": tf.constant(x_lab), "y_lab": tf.constant(y_lab),
                             "x_unl": tf.constant(x_unl)})
    assert float(logs["loss"]) == pytest.approx(float(loss), rel=1e-5)
    for w, b, g in zip(weights, before, grads, strict=True):
        np.testing.assert_allclose(w.numpy(), b - 0.1 * g.numpy(), rtol=1e-4, atol=1e-6)
    release()


def _left_heavy(images: np.ndarray) -> np.ndarray:
    """Per image: whether more of its bright pixels lie left of the middle of their
    extent. Brightness and contrast move every pixel alike, so the image is first cut
    at half its own range."""
    flat = images[..., 0]
    low, high = flat.min(axis=(1, 2), keepdims=True), flat.max(axis=(1, 2), keepdims=True)
    bright = flat > (low + high) / 2
    out = []
    for mask in bright:
        cols = np.nonzero(mask.any(axis=0))[0]
        if cols.size == 0:
            out.append(False)
            continue
        middle = (cols[0] + cols[-1]) / 2
        mass = mask.sum(axis=0)
        out.append(mass[: int(np.floor(middle)) + 1].sum() > mass[int(np.ceil(middle)):].sum())
    return np.array(out)


@pytest.mark.parametrize("view", ["strong", "weak"])
def test_no_view_ever_flips_a_digit(view: str) -> None:
    keras.utils.set_random_seed(0)
    layer = strong_view(1.0) if view == "strong" else weak_view()
    flips = (keras.layers.RandomFlip, keras.layers.RandAugment)
    assert not any(isinstance(op, flips) for op in layer.layers)
    # A large block left of a small one. Rotation (up to 30 degrees), shear and shifts
    # keep the large one on the left; a mirror would put it on the right.
    images = np.zeros((256, 28, 28, 1), np.float32)
    images[:, 10:19, 4:11] = 1.0
    images[:, 12:17, 16:19] = 1.0
    assert _left_heavy(images).all() and not _left_heavy(images[:, :, ::-1]).any()
    seen = layer(images, training=True).numpy()
    assert not np.allclose(seen, images)  # it did transform
    # Every view keeps the order; with cutout a patch may hide part of the large block.
    assert _left_heavy(seen).mean() >= (0.9 if view == "strong" else 1.0)


def test_the_strength_is_checked_and_scales_the_policy() -> None:
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        strong_view(1.5)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        strong_view(0.0)
    assert strong_view(0.5).layers[0].rotation == pytest.approx(15 / 360)


def _warp(image: np.ndarray, angle: float = 0.0, shear_x: float = 0.0,
          shift_x: float = 0.0, shift_y: float = 0.0) -> np.ndarray:
    def one(value: float) -> object:
        return keras.ops.convert_to_tensor([value], "float32")

    rows = affine_transform_rows(one(angle), one(shear_x), one(0.0), one(shift_x),
                                 one(shift_y), 28, 28)
    return keras.ops.convert_to_numpy(keras.ops.image.affine_transform(image, rows))


def test_the_one_warp_moves_pixels_as_worked_by_hand() -> None:
    dot = np.zeros((1, 28, 28, 1), np.float32)
    dot[0, 10, 10] = 1.0
    assert np.array_equal(_warp(dot), dot)
    # Output pixel p reads input p - shift: the dot moves by (+3, -2) in (x, y).
    assert np.argwhere(_warp(dot, shift_x=3.0, shift_y=-2.0)[0, ..., 0] > 0.5).tolist() == [
        [8, 13]]
    # Shear about the centre (13.5, 13.5): output (x, y) reads input x + 2 (y - 13.5), so
    # the dot at row 15, column 13 shows at column 13 - 2 * 1.5 = 10.
    dot = np.zeros((1, 28, 28, 1), np.float32)
    dot[0, 15, 13] = 1.0
    assert np.argwhere(_warp(dot, shear_x=2.0)[0, ..., 0] > 0.5).tolist() == [[15, 10]]
    # The rotation is Keras' own, to the pixel, at a fixed angle (a twentieth of a turn).
    block = np.zeros((1, 28, 28, 1), np.float32)
    block[0, 6:20, 8:14] = 1.0
    block[0, 6:10, 8:22] = 1.0
    theirs = keras.layers.RandomRotation((0.05, 0.05), fill_mode="constant")(
        block, training=True)
    np.testing.assert_allclose(_warp(block, angle=0.05 * 2 * math.pi),
                               keras.ops.convert_to_numpy(theirs), atol=1e-5)


def test_the_warp_draws_per_image_within_its_limits() -> None:
    keras.utils.set_random_seed(0)
    dots = np.zeros((64, 28, 28, 1), np.float32)
    dots[:, 14, 14] = 1.0
    seen = keras.ops.convert_to_numpy(RandomAffine(0.0, 0.0, 0.1)(dots, training=True))
    # Each image's centre of mass: shifts of at most 0.1 * 28 = 2.8 pixels, per image.
    grid = np.arange(28, dtype=np.float32)
    mass = seen[..., 0].sum(axis=(1, 2))
    rows = (seen[..., 0].sum(axis=2) * grid).sum(axis=1) / mass
    cols = (seen[..., 0].sum(axis=1) * grid).sum(axis=1) / mass
    assert np.abs(rows - 14).max() <= 2.8 + 1e-4 and np.abs(cols - 14).max() <= 2.8 + 1e-4
    assert np.unique(np.round(cols, 3)).size > 32
    assert np.array_equal(RandomAffine(0.1, 0.1, 0.1)(dots, training=False), dots)


def test_the_reference_is_fixmatch_s_published_setting_and_fits_final() -> None:
    method = get_method("fixmatch")
    reference = method.reference_params
    assert reference is not None
    # Sohn et al. 2020's loss, batch and schedule; encoder and Adam's rate are ours.
    assert {k: reference[k] for k in ("threshold", "unlabeled_weight", "mu", "batch_size",
                                      "lr_schedule", "ema_decay")} == {
        "threshold": 0.95, "unlabeled_weight": 1.0, "mu": 7, "batch_size": 64,
        "lr_schedule": "cosine", "ema_decay": 0.999}
    assert method.space.point(reference) == dict(reference)  # every value in its range
    method.check(reference, get_profile("final"))  # under the encoder's cap: no raise
    with pytest.raises(ValueError):
        method.check({**reference, "filters": 64, "kernel_size": 7}, get_profile("final"))


def test_it_trains_on_synthetic_data_and_evaluates_its_weight_average(
        tiny_data: SearchData, budget: Budget, params: dict) -> None:
    method = get_method("fixmatch")
    budget = dataclasses.replace(budget, consistency_epochs=3, consistency_epoch_steps=4,
                                 unlabeled_limit=320)
    result = train(method, {**params, **EXTRA["fixmatch"]}, tiny_data, budget,
                   _context())
    last = result.history[-1]
    assert all(np.isfinite(last[k]) for k in ("loss", "loss_x", "loss_u", "mask_rate"))
    assert 0.0 <= last["mask_rate"] <= 1.0 and result.epochs == 3
    model = result.model
    assert int(model.optimizer.iterations) == 12
    # What is evaluated is the average, and it is not the student's weights.
    x = tiny_data.val_x[:8]
    np.testing.assert_allclose(model(x).numpy(), model.average(x).numpy(), rtol=1e-6)
    assert not np.allclose(model.average.get_weights()[0], model.student.get_weights()[0])
    release()


def _context() -> RunContext:
    return RunContext(seed=0)
