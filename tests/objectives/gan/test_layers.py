"""Weight normalisation and its data-dependent initialisation."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from objectives.gan import WeightNormDense


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
