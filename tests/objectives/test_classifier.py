"""The classifier head every method ends with, and its labeled-image augmentation."""

from __future__ import annotations

import warnings

import keras
import numpy as np

from objectives.classifier import Classifier, label_augmenter
from objectives.encoder import EncoderConfig, build_encoder
from tests.conftest import PARAMS


def _digits() -> np.ndarray:
    # A bright square in the middle of each image: where it moves is easy to measure.
    x = np.zeros((64, 28, 28, 1), dtype=np.float32)
    x[:, 10:18, 10:18] = 1.0
    return x


def test_augmenter_is_off_unless_asked() -> None:
    assert label_augmenter(PARAMS) is None
    assert label_augmenter({**PARAMS, "augment": False, "augment_shift": 0.1}) is None


def test_augmenter_shifts_within_its_range_and_keeps_the_content() -> None:
    keras.utils.set_random_seed(0)
    augment = label_augmenter({"augment": True, "augment_shift": 0.12,
                               "augment_rotation": 0.0})
    x = _digits()
    out = keras.ops.convert_to_numpy(augment(x, training=True))
    rows = np.arange(28)[None, :, None, None]
    centre = (out * rows).sum(axis=(1, 2, 3)) / out.sum(axis=(1, 2, 3))
    # Moved (most images), by at most 12 % of 28 pixels (3.4) plus interpolation.
    assert np.mean(np.abs(centre - 13.5) > 0.5) > 0.5
    assert np.max(np.abs(centre - 13.5)) <= 28 * 0.12 + 0.5
    # A shift of at most 3.4 pixels never pushes the square out of the frame.
    np.testing.assert_allclose(out.sum(axis=(1, 2, 3)), 64.0, rtol=0.05)


def test_classifier_augments_training_batches_only() -> None:
    keras.utils.set_random_seed(1)
    params = {**PARAMS, "augment": True, "augment_shift": 0.2, "augment_rotation": 0.05}
    model = Classifier(build_encoder(EncoderConfig.from_params(params)),
                       augment=label_augmenter(params))
    model.compile(optimizer="adam")
    x, y = _digits(), np.arange(64) % 10
    # Evaluation sees the images as they are: the same logits twice.
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_an_augmented_classifier_builds_without_keras_warning() -> None:
    model = Classifier(build_encoder(EncoderConfig.from_params(PARAMS)),
                       augment=label_augmenter({"augment": True, "augment_shift": 0.1,
                                                "augment_rotation": 0.05}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(_digits()[:1])
    assert model.augment.built and model.head.built
